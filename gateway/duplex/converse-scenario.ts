import { setTimeout as sleep } from 'node:timers/promises';
import { ModelCallError } from '../models/spec/model-call-error.js';
import { isBenignRealtimeCode, type RealtimeConnection, type RealtimeModelV1 } from '../models/spec/realtime-model-v1.js';
import { isRetryableRealtimeCode } from '../models/openai/realtime-protocol.js';
import { PlaybackTimeline } from './playback-timeline.js';

// A turn-taking scenario played live (issue 17): the user's audio goes to a
// realtime upstream in real time, in 20 ms chunks on a clock that starts with
// the first chunk, and everything the model says is placed on that clock as a
// client would play it (PlaybackTimeline). The upstream decides when to speak
// (its own turn detection), which is what the scenario tests. After the file,
// silence keeps streaming as from an open microphone: a server VAD ends a
// turn on silence it hears, so a file that ends with the user's turn still
// gets its answer.

/** A realtime upstream that answers in speech. */
export interface DuplexUpstream extends Pick<RealtimeModelV1, 'inputSampleRateHz'> {
  /** Opens a connection configured with the session's instructions. */
  connect(opts: { signal?: AbortSignal; instructions?: string }): Promise<RealtimeConnection>;
  /** Rate of the PCM16 it sends. */
  readonly outputSampleRateHz: number;
}

/** Pacing and bounds. */
export interface ConverseOptions {
  /** Length of each appended chunk, ms (default 20). */
  readonly chunkMs?: number;
  /** The longest the microphone stays open after the user's audio, s (default 10). */
  readonly tailS?: number;
  /** It closes earlier once this long has passed with nothing playing or in progress, s (default 4). */
  readonly quietS?: number;
  /** The session's instructions (the run's system prompt). */
  readonly instructions?: string;
  /** Cancels the conversation. */
  readonly signal?: AbortSignal;
}

/** What one played scenario produced. */
export interface Conversation {
  /** The model's channel. */
  readonly timeline: PlaybackTimeline;
  /** Length of the user's audio, s. */
  readonly userSeconds: number;
  /** Responses the upstream started. */
  readonly responses: number;
  /** When the upstream said the user started speaking, s on the scenario clock (playback stopped there). */
  readonly speechStartedS: readonly number[];
  /** The model's own transcripts of its responses, joined (kept for consistency only, never scored). */
  readonly selfTranscript: string;
  /** The latest any chunk went out after its time, ms: a busy event loop slips the clock and the timings with it. */
  readonly maxSendLagMs: number;
}

/** PCM16 little-endian bytes to samples, carrying an odd trailing byte to the next chunk. */
class Pcm16Reader {
  #carry: number | undefined;
  read(bytes: Uint8Array): Int16Array {
    const all = this.#carry === undefined ? bytes : Uint8Array.of(this.#carry, ...bytes);
    const n = all.length >> 1;
    this.#carry = all.length % 2 === 1 ? all[all.length - 1] : undefined;
    const view = new DataView(all.buffer, all.byteOffset, n * 2);
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
    return out;
  }
}

/** Plays `userPcm` (PCM16 at the upstream's input rate) to the upstream in real time and records the model's channel. */
export async function converseScenario(upstream: DuplexUpstream, userPcm: Int16Array, opts: ConverseOptions = {}): Promise<Conversation> {
  const chunkMs = opts.chunkMs ?? 20;
  const tailS = opts.tailS ?? 10;
  const quietS = Math.min(opts.quietS ?? 4, tailS);
  const rate = upstream.inputSampleRateHz;
  const userSeconds = userPcm.length / rate;
  const perChunk = Math.max(1, Math.round((rate * chunkMs) / 1000));
  const silence = new Int16Array(perChunk);
  const timeline = new PlaybackTimeline(upstream.outputSampleRateHz);
  const speechStartedS: number[] = [];
  const transcripts: string[] = [];
  let responses = 0;
  let inProgress = 0;
  /** The response under way, and those the user interrupted: their late audio is never played (OpenAI's clients drop it). */
  let current: string | undefined;
  const interrupted = new Set<string>();
  /** The last thing that happened on the model's side (a response ending), s. */
  let lastDoneS = 0;
  let failure: Error | undefined;
  let ended = false;
  let maxSendLagMs = 0;

  const conn = await upstream.connect({ signal: opts.signal, ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}) });
  const t0 = performance.now();
  const clock = (): number => (performance.now() - t0) / 1000;
  const reader = new Pcm16Reader();

  const consume = (async (): Promise<void> => {
    for await (const ev of conn.events()) {
      if (ev.type === 'audio-delta') {
        if (ev.responseId === undefined || !interrupted.has(ev.responseId)) timeline.add(clock(), reader.read(ev.data));
      } else if (ev.type === 'speech-started') {
        const at = clock();
        speechStartedS.push(at);
        timeline.interrupt(at);
        if (current !== undefined) interrupted.add(current);
      } else if (ev.type === 'response-created') {
        responses++;
        inProgress++;
        current = ev.responseId;
      } else if (ev.type === 'response-done') {
        inProgress = Math.max(0, inProgress - 1);
        if (ev.responseId === undefined || ev.responseId === current) current = undefined;
        lastDoneS = clock();
        if (ev.text) transcripts.push(ev.text);
      } else if (ev.type === 'error' && !isBenignRealtimeCode(ev.code)) {
        // A socket error (then a close) is a connection failure, retried like any other.
        const retryable = ev.code === 'upstream_error' || isRetryableRealtimeCode(ev.code);
        failure ??= new ModelCallError(`Realtime upstream error: ${ev.message}`, { retryable, responseBody: ev.code });
        return;
      }
    }
    ended = true;
  })().catch((err: unknown) => {
    failure ??= err instanceof Error ? err : new Error(String(err));
  });

  const send = async (k: number, chunk: Int16Array): Promise<void> => {
    const due = t0 + k * chunkMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    conn.appendAudio(chunk);
  };
  try {
    let k = 0;
    for (let i = 0; i < userPcm.length && !failure && !ended; i += perChunk, k++) await send(k, userPcm.subarray(i, Math.min(userPcm.length, i + perChunk)));
    // The microphone stays open: silence until the model has been quiet for quietS (nothing playing, nothing under way), at most tailS.
    const quiet = (): boolean => {
      const now = clock();
      return inProgress === 0 && timeline.endS <= now && now - Math.max(userSeconds, lastDoneS, timeline.endS) >= quietS;
    };
    for (; !failure && !ended && clock() < userSeconds + tailS && !quiet(); k++) await send(k, silence);
    if (failure) throw failure;
    if (ended) throw new ModelCallError('Realtime upstream closed the connection during the scenario', { retryable: true });
    return { timeline, userSeconds, responses, speechStartedS, selfTranscript: transcripts.join(' ').trim(), maxSendLagMs };
  } catch (err) {
    if (opts.signal?.aborted && !(err instanceof ModelCallError)) {
      throw new ModelCallError(`Request aborted (${String(opts.signal.reason)})`, { retryable: true, cause: err });
    }
    throw err;
  } finally {
    await conn.close();
    await consume.catch(() => undefined);
  }
}
