import type * as Ga from 'openai/resources/realtime/realtime';
import type { RealtimeScript, RealtimeSessionRecord } from '../models/servers/scripted-realtime-server.js';

// Scripted realtime upstreams that answer in speech (OpenAI Realtime GA
// events, typed with the `openai` package), for the duplex runner's tests.
// Each hears the user's appended audio on its own clock (samples received at
// 24 kHz) with an energy detector, decides when to answer like a server VAD
// does, and streams its reply at twice real time, as OpenAI does.

/** How one scripted model behaves. */
export interface UpstreamBehaviour {
  /** Silence after the user's speech before it answers, ms (short: takes over pauses). */
  readonly answerAfterSilenceMs: number;
  /** On user speech it announces `speech_started` and cancels (`stop`), or ignores it and talks on. */
  readonly onBargeIn: 'stop' | 'talk-on';
  /** What it says: PCM16 mono at 24 kHz. */
  readonly reply: Int16Array;
  /** What it claims it said (its transcript deltas). */
  readonly selfTranscript: string;
}

const RATE = 24_000;
const FRAME = 480; // 20 ms
const LOUD = 300; // RMS of PCM16 above which a frame is speech (the scenarios' silence is digital zero)

interface SessionState {
  posS: number;
  lastVoicedS: number;
  voiced: boolean;
  pendingTurn: boolean;
  responding: { timer: NodeJS.Timeout; id: string } | undefined;
  responses: number;
}

/** The script, with one behaviour per model name (the `model` query of the upgrade URL). */
export function turnTakingScript(behaviours: Readonly<Record<string, UpstreamBehaviour>>): RealtimeScript {
  const states = new WeakMap<RealtimeSessionRecord, SessionState>();
  return (ev, send, session) => {
    const model = new URL(session.url, 'http://x').searchParams.get('model') ?? '';
    const b = behaviours[model];
    if (!b) throw new Error(`no scripted behaviour for model ${model}`);
    let st = states.get(session);
    if (!st) {
      st = { posS: 0, lastVoicedS: 0, voiced: false, pendingTurn: false, responding: undefined, responses: 0 };
      states.set(session, st);
      session.socket.on('close', () => st?.responding && clearInterval(st.responding.timer));
    }
    if (ev.type !== 'input_audio_buffer.append') return;
    const bytes = Buffer.from(ev.audio as string, 'base64');
    const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    for (let i = 0; i < pcm.length; i += FRAME) {
      const frame = pcm.subarray(i, Math.min(pcm.length, i + FRAME));
      let sum = 0;
      for (const x of frame) sum += x * x;
      const loud = Math.sqrt(sum / frame.length) > LOUD;
      st.posS += frame.length / RATE;
      if (loud) {
        if (!st.voiced) onSpeechStart(st, b, send);
        st.voiced = true;
        st.pendingTurn = true;
        st.lastVoicedS = st.posS;
      } else {
        st.voiced = false;
        if (st.pendingTurn && !st.responding && st.posS - st.lastVoicedS >= b.answerAfterSilenceMs / 1000) respond(st, b, send);
      }
    }
  };
}

function onSpeechStart(st: SessionState, b: UpstreamBehaviour, send: (ev: unknown) => void): void {
  if (b.onBargeIn === 'talk-on') return;
  const started: Ga.InputAudioBufferSpeechStartedEvent = {
    type: 'input_audio_buffer.speech_started',
    event_id: `ss${st.posS.toFixed(2)}`,
    audio_start_ms: Math.round(st.posS * 1000),
    item_id: `item_u${st.responses}`,
  };
  send(started);
  if (st.responding) {
    clearInterval(st.responding.timer);
    const done: Ga.ResponseDoneEvent = {
      type: 'response.done',
      event_id: `rd_${st.responding.id}`,
      response: { id: st.responding.id, object: 'realtime.response', status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } },
    };
    st.responding = undefined;
    send(done);
  }
}

function respond(st: SessionState, b: UpstreamBehaviour, send: (ev: unknown) => void): void {
  st.pendingTurn = false;
  const id = `resp_${++st.responses}`;
  const created: Ga.ResponseCreatedEvent = {
    type: 'response.created',
    event_id: `rc_${id}`,
    response: { id, object: 'realtime.response', status: 'in_progress' },
  };
  send(created);
  const chunk = RATE / 10; // 100 ms of audio every 50 ms
  let at = 0;
  const timer = setInterval(() => {
    if (at < b.reply.length) {
      const piece = b.reply.subarray(at, Math.min(b.reply.length, at + chunk));
      at += chunk;
      const delta: Ga.ResponseAudioDeltaEvent = {
        type: 'response.output_audio.delta',
        event_id: `ad_${id}_${at}`,
        response_id: id,
        item_id: `item_${id}`,
        output_index: 0,
        content_index: 0,
        delta: Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64'),
      };
      send(delta);
      return;
    }
    clearInterval(timer);
    st.responding = undefined;
    const transcript: Ga.ResponseAudioTranscriptDeltaEvent = {
      type: 'response.output_audio_transcript.delta',
      event_id: `td_${id}`,
      response_id: id,
      item_id: `item_${id}`,
      output_index: 0,
      content_index: 0,
      delta: b.selfTranscript,
    };
    send(transcript);
    const done: Ga.ResponseDoneEvent = { type: 'response.done', event_id: `rd_${id}`, response: { id, object: 'realtime.response', status: 'completed' } };
    send(done);
  }, 50);
  st.responding = { timer, id };
}
