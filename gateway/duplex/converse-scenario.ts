import { setTimeout as sleep } from 'node:timers/promises';
import { ModelCallError } from '../models/spec/model-call-error.js';
import { isBenignRealtimeCode, type RealtimeModelV1 } from '../models/spec/realtime-model-v1.js';
import { isRetryableRealtimeCode } from '../models/openai/realtime-protocol.js';
import { PlaybackTimeline } from './playback-timeline.js';

// A turn-taking scenario played live (issue 17): the user's audio goes to a
// realtime upstream in real time, in 20 ms chunks on a clock that starts with
// the first chunk, and everything the model says is placed on that clock as a
// client would play it (PlaybackTimeline). The upstream decides when to speak
// (its own turn detection), which is what the scenario tests.

/** A realtime upstream that answers in speech. */
export interface DuplexUpstream extends Pick<RealtimeModelV1, 'connect' | 'inputSampleRateHz'> {
  /** Rate of the PCM16 it sends. */
  readonly outputSampleRateHz: number;
}

/** Pacing and bounds. */
export interface ConverseOptions {
  /** Length of each appended chunk, ms (default 20). */
  readonly chunkMs?: number;
  /** How long to wait after the user's audio for the model to finish, s (default 10). */
  readonly tailS?: number;
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
  const rate = upstream.inputSampleRateHz;
  const userSeconds = userPcm.length / rate;
  const perChunk = Math.max(1, Math.round((rate * chunkMs) / 1000));
  const timeline = new PlaybackTimeline(upstream.outputSampleRateHz);
  const speechStartedS: number[] = [];
  const transcripts: string[] = [];
  let responses = 0;
  let inProgress = 0;
  let failure: Error | undefined;
  let ended = false;

  const conn = await upstream.connect({ signal: opts.signal });
  const t0 = performance.now();
  const clock = (): number => (performance.now() - t0) / 1000;
  const reader = new Pcm16Reader();

  const consume = (async (): Promise<void> => {
    for await (const ev of conn.events()) {
      if (ev.type === 'audio-delta') timeline.add(clock(), reader.read(ev.data));
      else if (ev.type === 'speech-started') {
        const at = clock();
        speechStartedS.push(at);
        timeline.interrupt(at);
      } else if (ev.type === 'response-created') {
        responses++;
        inProgress++;
      } else if (ev.type === 'response-done') {
        inProgress = Math.max(0, inProgress - 1);
        if (ev.text) transcripts.push(ev.text);
      } else if (ev.type === 'error' && !isBenignRealtimeCode(ev.code)) {
        failure ??= new ModelCallError(`Realtime upstream error: ${ev.message}`, { retryable: isRetryableRealtimeCode(ev.code), responseBody: ev.code });
        return;
      }
    }
    ended = true;
  })();

  try {
    for (let i = 0, k = 0; i < userPcm.length && !failure && !ended; i += perChunk, k++) {
      const wait = t0 + k * chunkMs - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
      conn.appendAudio(userPcm.subarray(i, Math.min(userPcm.length, i + perChunk)));
    }
    // The model may still be answering the end of the scenario: wait while a response is open or audio plays.
    while (!failure && !ended && clock() < userSeconds + tailS) {
      if (clock() >= userSeconds && inProgress === 0 && timeline.endS <= clock()) break;
      await sleep(50, undefined, { signal: opts.signal });
    }
    if (failure) throw failure;
    if (ended) throw new ModelCallError('Realtime upstream closed the connection during the scenario', { retryable: true });
    return { timeline, userSeconds, responses, speechStartedS, selfTranscript: transcripts.join(' ').trim() };
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
