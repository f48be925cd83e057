import { HELLO_WORLD, VOCAB, waveformCtcDir } from '../asr/tiny-ctc-model.js';
import { ScriptedRealtimeServer } from '../models/servers/scripted-realtime-server.js';
import type { EvalgateConfig } from '../../gateway/config/config-schema.js';

/**
 * A spoken-answer model for the security matrix: a scripted GA realtime
 * upstream that answers every response in PCM16 audio the tiny ONNX CTC
 * expert hears as "HELLO WORLD", with its own (different) transcript beside
 * it, as tests/live/live-spoken-answers.test.ts sets one up. One short clip
 * (0.34 s), sent in two chunks without delay, keeps each turn cheap.
 */

/** What the expert hears: the turn's answer. */
export const SPOKEN_HEARD = 'HELLO WORLD';
/** The model's own transcript of its speech (never the answer). */
export const SPOKEN_SELF = 'goodbye moon';
/** Configured ids: the speaking model and its ASR expert. */
export const SPOKEN_MODEL = 'talker';
export const SPOKEN_EXPERT = 'ctc';

/** 20 ms at 24 kHz: after resampling to 16 kHz each class fills one of the expert's 320-sample frames. */
const FRAME_24K = 480;
const clip = (() => {
  const pcm = new Int16Array(HELLO_WORLD.length * FRAME_24K);
  HELLO_WORLD.forEach((c, i) => pcm.fill(Math.round(0.05 * VOCAB.indexOf(c) * 32767), i * FRAME_24K, (i + 1) * FRAME_24K));
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
})();

/** Starts the upstream; `models(url)` are the config entries of the speaking model and its expert. */
export async function startSpokenUpstream(): Promise<{ up: ScriptedRealtimeServer; models: EvalgateConfig['models'] }> {
  const up = await ScriptedRealtimeServer.start();
  let n = 0;
  up.script = (ev, send) => {
    if (ev.type === 'session.update') return send({ type: 'session.updated', event_id: `su_${n++}`, session: ev.session });
    if (ev.type !== 'response.create') return;
    const id = `resp_${n++}`;
    const at = { response_id: id, item_id: `item_${id}`, output_index: 0, content_index: 0 };
    send({ type: 'response.created', event_id: `rc_${id}`, response: { id, object: 'realtime.response', status: 'in_progress' } });
    const half = Math.ceil(clip.length / 4) * 2;
    for (const [i, piece] of [clip.subarray(0, half), clip.subarray(half)].entries()) {
      send({ type: 'response.output_audio.delta', event_id: `ad_${id}_${i}`, ...at, delta: piece.toString('base64') });
    }
    send({ type: 'response.output_audio_transcript.delta', event_id: `td_${id}`, ...at, delta: SPOKEN_SELF });
    send({ type: 'response.done', event_id: `rd_${id}`, response: { id, object: 'realtime.response', status: 'completed' } });
  };
  const models: EvalgateConfig['models'] = [
    { id: SPOKEN_MODEL, adapter: 'openai-realtime', kind: 'generalist', model: 'gpt-realtime', baseUrl: up.url, options: { outputModality: 'audio' } },
    { id: SPOKEN_EXPERT, adapter: 'onnx-ctc', kind: 'specialist', options: { modelDir: waveformCtcDir() } },
  ];
  return { up, models };
}
