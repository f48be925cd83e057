import { createRequire } from 'node:module';
import type { InferenceSessionLike, TensorFactory, TensorLike } from '../onnx/inference-session-like.js';
import type { OnnxDevice } from '../onnx/onnx-runtime.js';
import { outputAt } from '../onnx/session-io.js';
import { StreamingResampler } from '../audio-features/streaming-resampler.js';

/**
 * A streaming speech segmenter over Silero VAD v5, faithful to the reference
 * python (snakers4/silero-vad `utils_vad.py`):
 * - OnnxWrapper: 512-sample windows at 16 kHz, each preceded by the previous
 *   window's last 64 samples as context, with the recurrent state carried;
 * - get_speech_timestamps: speech starts at the first window with p ≥
 *   threshold; it ends at the first window with p < threshold − 0.15 once
 *   that silence has lasted min_silence; segments not longer than min_speech
 *   are dropped; each side is padded by speech_pad (never across the
 *   previous segment's end). max_speech_duration_s is not implemented.
 *
 * Because a segment is only known to be kept once it has lasted min_speech,
 * `speech_start` is emitted at that moment, carrying the (earlier) padded
 * onset sample; `speech_end` is emitted after min_silence of silence.
 */

/** A turn boundary. */
export interface VadEvent {
  /** Whether speech began or ended here. */
  readonly type: 'speech_start' | 'speech_end';
  /** Position in samples of the audio as pushed (the caller's sample rate). */
  readonly sampleIndex: number;
  /** Position in seconds from the start of the stream. */
  readonly timeS: number;
}

/** Tuning, with the reference defaults. */
export interface SileroVadOptions {
  /** Speech probability at or above which a window is speech (default 0.5). */
  readonly threshold?: number;
  /** Probability below which a window ends speech (default max(threshold − 0.15, 0.01)). */
  readonly negThreshold?: number;
  /** Segments not longer than this are ignored (default 250). */
  readonly minSpeechMs?: number;
  /** Silence needed before a segment ends (default 100). */
  readonly minSilenceMs?: number;
  /** Padding added to each side of a segment (default 30). */
  readonly speechPadMs?: number;
}

/** Options of createSileroVad. */
export interface CreateSileroVadOptions extends SileroVadOptions {
  /** ONNX file; defaults to `@ricky0123/vad-web/dist/silero_vad_v5.onnx`. */
  readonly modelPath?: string;
  /** Execution provider (default cpu; the model is too small to gain from a GPU). */
  readonly device?: OnnxDevice;
}

const RATE_HZ = 16000;
const WINDOW = 512;
const CONTEXT = 64;

/** Path of the bundled Silero VAD v5 model. */
export function defaultSileroModelPath(): string {
  return createRequire(import.meta.url).resolve('@ricky0123/vad-web/dist/silero_vad_v5.onnx');
}

/** Streaming speech segmenter; one per audio stream, sharing one ONNX session per process. */
export class SileroVadSegmenter {
  readonly #session: InferenceSessionLike;
  readonly #threshold: number;
  readonly #negThreshold: number;
  readonly #minSpeech: number;
  readonly #minSilence: number;
  readonly #pad: number;
  /** Context + window, reused for every run. */
  readonly #input = new Float32Array(CONTEXT + WINDOW);
  readonly #state = new Float32Array(2 * 128);
  readonly #feeds: Record<string, TensorLike>;
  readonly #pending = new Float32Array(WINDOW);
  #pendingLen = 0;
  #frameIndex = 0;
  #inputRateHz = 0;
  #resampler: StreamingResampler | undefined;
  #triggered = false;
  #startEmitted = false;
  #segStart = 0;
  #tempEnd = 0;
  #lastEnd = 0;
  #lastProbability = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(session: InferenceSessionLike, tensor: TensorFactory, opts: SileroVadOptions = {}) {
    this.#session = session;
    this.#threshold = opts.threshold ?? 0.5;
    this.#negThreshold = opts.negThreshold ?? Math.max(this.#threshold - 0.15, 0.01);
    this.#minSpeech = (RATE_HZ * (opts.minSpeechMs ?? 250)) / 1000;
    this.#minSilence = (RATE_HZ * (opts.minSilenceMs ?? 100)) / 1000;
    this.#pad = Math.trunc((RATE_HZ * (opts.speechPadMs ?? 30)) / 1000);
    this.#feeds = {
      input: tensor('float32', this.#input, [1, CONTEXT + WINDOW]),
      state: tensor('float32', this.#state, [2, 1, 128]),
      sr: tensor('int64', BigInt64Array.from([BigInt(RATE_HZ)]), []),
    };
  }

  /** Whether the segmenter is inside a speech segment (a start was seen, even if not yet emitted). */
  get speaking(): boolean {
    return this.#triggered;
  }

  /** Speech probability of the most recent window. */
  get lastProbability(): number {
    return this.#lastProbability;
  }

  /**
   * Feeds a chunk of any length. The rate must stay the same until reset().
   * Calls are serialised, so overlapping pushes keep their order.
   */
  push(samples: Float32Array, sampleRateHz: number): Promise<VadEvent[]> {
    return this.#serial(() => this.#push(samples, sampleRateHz));
  }

  /**
   * Ends the stream: processes the partial last window (zero-padded, as the
   * reference does), closes an open segment at the end of the audio, and
   * resets for a new stream.
   */
  flush(): Promise<VadEvent[]> {
    return this.#serial(async () => {
      const events: VadEvent[] = [];
      if (this.#resampler) await this.#feed16k(this.#resampler.flush(), events);
      const total16k = this.#frameIndex * WINDOW + this.#pendingLen;
      if (this.#pendingLen > 0) {
        this.#pending.fill(0, this.#pendingLen);
        await this.#runWindow(this.#pending, events);
      }
      if (this.#triggered && total16k - this.#segStart > this.#minSpeech) {
        if (!this.#startEmitted) events.push(this.#event('speech_start', Math.max(0, this.#segStart - this.#pad, this.#lastEnd)));
        events.push(this.#event('speech_end', total16k));
      }
      this.#resetNow();
      return events;
    });
  }

  /** Forgets the stream (state, context, position) without emitting anything. */
  reset(): void {
    void this.#serial(() => {
      this.#resetNow();
      return Promise.resolve([]);
    });
  }

  #serial(task: () => Promise<VadEvent[]>): Promise<VadEvent[]> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #resetNow(): void {
    this.#input.fill(0);
    this.#state.fill(0);
    this.#pendingLen = 0;
    this.#frameIndex = 0;
    this.#inputRateHz = 0;
    this.#resampler = undefined;
    this.#triggered = false;
    this.#startEmitted = false;
    this.#segStart = this.#tempEnd = this.#lastEnd = 0;
    this.#lastProbability = 0;
  }

  async #push(samples: Float32Array, sampleRateHz: number): Promise<VadEvent[]> {
    if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) throw new RangeError(`Invalid sample rate ${sampleRateHz}`);
    if (this.#inputRateHz === 0) {
      this.#inputRateHz = sampleRateHz;
      this.#resampler = sampleRateHz === RATE_HZ ? undefined : new StreamingResampler(sampleRateHz, RATE_HZ);
    } else if (sampleRateHz !== this.#inputRateHz) {
      throw new RangeError(`Sample rate changed from ${this.#inputRateHz} to ${sampleRateHz} Hz mid-stream; call reset() first`);
    }
    const events: VadEvent[] = [];
    await this.#feed16k(this.#resampler ? this.#resampler.push(samples) : samples, events);
    return events;
  }

  async #feed16k(samples: Float32Array, events: VadEvent[]): Promise<void> {
    let off = 0;
    while (off < samples.length) {
      const take = Math.min(WINDOW - this.#pendingLen, samples.length - off);
      this.#pending.set(samples.subarray(off, off + take), this.#pendingLen);
      this.#pendingLen += take;
      off += take;
      if (this.#pendingLen === WINDOW) {
        await this.#runWindow(this.#pending, events);
        this.#pendingLen = 0;
      }
    }
  }

  async #runWindow(window: Float32Array, events: VadEvent[]): Promise<void> {
    this.#input.set(window, CONTEXT);
    const out = await this.#session.run(this.#feeds);
    const probOut = out.output ?? outputAt(this.#session, out, 0);
    const stateOut = out.stateN ?? outputAt(this.#session, out, 1);
    const prob = probOut?.data[0];
    if (typeof prob !== 'number' || !(stateOut?.data instanceof Float32Array)) {
      throw new Error(`Silero VAD model must output a float32 probability and state; it gave [${Object.keys(out).join(', ')}]`);
    }
    this.#state.set(stateOut.data);
    // The next window's context is this window's tail.
    this.#input.copyWithin(0, WINDOW, WINDOW + CONTEXT);
    this.#lastProbability = prob;
    this.#step(prob, events);
    this.#frameIndex++;
  }

  /** One step of get_speech_timestamps' state machine, for window #frameIndex. */
  #step(prob: number, events: VadEvent[]): void {
    const pos = this.#frameIndex * WINDOW;
    if (prob >= this.#threshold && this.#tempEnd) this.#tempEnd = 0;
    if (prob >= this.#threshold && !this.#triggered) {
      this.#triggered = true;
      this.#startEmitted = false;
      this.#segStart = pos;
    } else if (prob < this.#negThreshold && this.#triggered) {
      if (!this.#tempEnd) this.#tempEnd = pos;
      if (pos - this.#tempEnd >= this.#minSilence) {
        const end = this.#tempEnd;
        if (end - this.#segStart > this.#minSpeech) {
          if (!this.#startEmitted) events.push(this.#event('speech_start', this.#paddedStart()));
          const padded = end + this.#pad;
          events.push(this.#event('speech_end', padded));
          this.#lastEnd = padded;
        }
        this.#triggered = false;
        this.#startEmitted = false;
        this.#tempEnd = 0;
        return;
      }
    }
    // Emit the start once the segment can no longer be dropped as too short:
    // its end will be no earlier than a pending silence start or this window's end.
    if (this.#triggered && !this.#startEmitted) {
      const earliestEnd = this.#tempEnd || pos + WINDOW;
      if (earliestEnd - this.#segStart > this.#minSpeech) {
        events.push(this.#event('speech_start', this.#paddedStart()));
        this.#startEmitted = true;
      }
    }
  }

  #paddedStart(): number {
    return Math.max(0, this.#segStart - this.#pad, this.#lastEnd);
  }

  #event(type: VadEvent['type'], index16k: number): VadEvent {
    const rate = this.#inputRateHz || RATE_HZ;
    return { type, sampleIndex: Math.round((index16k * rate) / RATE_HZ), timeS: index16k / RATE_HZ };
  }
}

/**
 * Opens the model (once per process and device) and returns a new segmenter
 * for one stream. Segmenters are cheap; create one per session.
 */
export async function createSileroVad(opts: CreateSileroVadOptions = {}): Promise<SileroVadSegmenter> {
  const { getSession, ortTensorFactory } = await import('../onnx/onnx-runtime.js');
  // One intra-op thread, as the reference wrapper does: the graph is too small to split.
  const session = await getSession(opts.modelPath ?? defaultSileroModelPath(), { device: opts.device ?? 'cpu', intraOpThreads: 1 });
  return new SileroVadSegmenter(session, await ortTensorFactory(), opts);
}
