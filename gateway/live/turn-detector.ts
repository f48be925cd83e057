import type { VadEvent } from '../../experts/vad/silero-vad-segmenter.js';
import { EvalgateError } from '../errors.js';
import { AudioBuffer } from './audio-buffer.js';
import { defaultAudioFormat, pcm16ToFloat32, type AudioFormat } from './audio-format.js';
import type { TurnDetection } from './live-event.js';
import { newLiveId } from './live-ids.js';

/** The part of a VAD segmenter the detector uses (Silero in the gateway, a script in tests). */
export interface TurnVad {
  /** Feeds audio; resolves with the boundaries it found, positions counted from the last reset. */
  push(samples: Float32Array, sampleRateHz: number): Promise<VadEvent[]>;
  /** Forgets all state: positions count from 0 again. */
  reset(): void;
}

/** A user turn cut from the input: the audio becomes the item `itemId`. */
export interface DetectedTurn {
  /** PCM16 at the session rate. */
  readonly audio: Int16Array;
  /** The item the audio becomes (the id `speech_started` announced, when there was one). */
  readonly itemId: string;
  /** Stream offsets, seconds. */
  readonly startS: number;
  readonly endS: number;
}

/** Bounds, the VAD factory, and the hooks through which the detector reports. */
export interface TurnDetectorOptions {
  /** Uncommitted audio allowed, seconds; more is refused with EVALGATE_ERR_BUFFER_FULL. */
  readonly maxBufferedAudioS: number;
  /** VAD chunks in flight at which the client should stop sending (onBackpressure). */
  readonly maxVadQueue: number;
  /** Opens a VAD (injected so that sessions without turn detection never load ONNX). */
  readonly createVad: (opts: { threshold: number; minSilenceMs: number; speechPadMs: number }) => Promise<TurnVad>;
  /** Reading from the client should pause (true) or resume (false). */
  readonly onBackpressure?: (paused: boolean) => void;
  /** The VAD heard speech begin. */
  readonly onSpeechStarted: (itemId: string, audioStartMs: number) => void;
  /** The VAD heard speech end (its audio, when there is any, follows in onTurnEnded). */
  readonly onSpeechStopped: (itemId: string, audioEndMs: number) => void;
  /** The VAD ended a turn: commit it (a throw here is reported through onError). */
  readonly onTurnEnded: (turn: DetectedTurn) => void;
  /** A VAD failure, or a throw of a hook called from the VAD. */
  readonly onError: (err: unknown) => void;
}

/**
 * The recognition half of a live session (livekit agents keep it apart from
 * the agent activity): buffers uncommitted audio by absolute stream position,
 * runs the VAD when turn detection is on, and cuts turns at its boundaries or
 * at an explicit commit. VAD results arrive late and point back in time, so
 * each chunk's events are mapped through the stream position of the reset
 * they count from; results of a VAD replaced since are ignored.
 */
export class TurnDetector {
  readonly #opts: TurnDetectorOptions;
  #format: AudioFormat = defaultAudioFormat;
  #turnDetection: TurnDetection = null;
  #vad: TurnVad | undefined;
  /** Stream position the VAD's positions count from (its last reset). */
  #vadBase = 0;
  #vadPending = 0;
  /** Stream position the VAD has consumed up to. */
  #vadDone = 0;
  #vadChain: Promise<void> = Promise.resolve();
  /** Stream position of the speech in progress, if any. */
  #speechStart: number | null = null;
  /** The id announced by speech_started, for the item the speech becomes. */
  #pendingItemId: string | undefined;
  readonly #buffer = new AudioBuffer();
  #streamSamples = 0;

  constructor(opts: TurnDetectorOptions) {
    this.#opts = opts;
  }

  /** Negotiated input format. */
  get format(): AudioFormat {
    return this.#format;
  }

  /** Current turn detection (null: commits only). */
  get turnDetection(): TurnDetection {
    return this.#turnDetection;
  }

  /** Uncommitted samples buffered. */
  get bufferedSamples(): number {
    return this.#buffer.length;
  }

  /** Resolves when the VAD has seen everything appended so far. */
  settled(): Promise<void> {
    return this.#vadChain;
  }

  /** Changes the format and/or turn detection. Changing the rate requires an empty buffer and no speech in progress. */
  async configure(change: { format?: AudioFormat; turnDetection?: TurnDetection }): Promise<void> {
    if (change.format && change.format.sampleRateHz !== this.#format.sampleRateHz) {
      if (this.#buffer.length > 0 || this.#speechStart !== null) {
        throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'the sample rate can only change while the input buffer is empty' });
      }
      this.#format = change.format;
      this.#vad?.reset();
      this.#vadBase = this.#streamSamples;
      this.#vadDone = this.#streamSamples;
    }
    if (change.turnDetection === undefined) return;
    this.#turnDetection = change.turnDetection;
    if (!change.turnDetection) {
      this.#vad = undefined;
      this.#speechStart = null;
      return;
    }
    this.#vad = await this.#opts.createVad({
      threshold: change.turnDetection.threshold,
      minSilenceMs: change.turnDetection.silenceDurationMs,
      speechPadMs: change.turnDetection.prefixPaddingMs,
    });
    this.#vadBase = this.#streamSamples;
    this.#vadDone = this.#streamSamples;
    this.#speechStart = null;
  }

  /** Buffers a chunk (bounded: a chunk that does not fit is refused whole with EVALGATE_ERR_BUFFER_FULL). */
  append(pcm: Int16Array): void {
    const maxSamples = this.#opts.maxBufferedAudioS * this.#format.sampleRateHz;
    if (this.#buffer.length + pcm.length > maxSamples) {
      throw new EvalgateError('EVALGATE_ERR_BUFFER_FULL', {
        detail: `more than ${this.#opts.maxBufferedAudioS} s of uncommitted audio; commit or clear the buffer (this chunk was dropped)`,
      });
    }
    this.#buffer.append(pcm);
    this.#streamSamples += pcm.length;
  }

  /** Runs the VAD, when turn detection is on, over a chunk just appended. */
  detect(pcm: Int16Array): void {
    const vad = this.#vad;
    if (!vad) return;
    this.#vadPending++;
    if (this.#vadPending === this.#opts.maxVadQueue) this.#opts.onBackpressure?.(true);
    const rate = this.#format.sampleRateHz;
    const base = this.#vadBase;
    const endPos = this.#streamSamples;
    this.#vadChain = vad
      .push(pcm16ToFloat32(pcm), rate)
      .then((events) => {
        if (vad !== this.#vad) return;
        for (const ev of events) this.#onVad(ev, base);
        this.#vadDone = endPos;
      })
      .catch((err: unknown) => this.#opts.onError(err))
      .finally(() => {
        this.#vadPending--;
        if (this.#vadPending === this.#opts.maxVadQueue - 1) this.#opts.onBackpressure?.(false);
        // Outside speech only a short lookback (behind what the VAD has seen) is needed for the next onset.
        if (this.#speechStart === null && vad === this.#vad) this.#buffer.dropBefore(this.#vadDone - 2 * rate);
      });
  }

  #onVad(ev: VadEvent, base: number): void {
    const rate = this.#format.sampleRateHz;
    const pos = base + ev.sampleIndex;
    if (ev.type === 'speech_start') {
      this.#speechStart = Math.max(pos, this.#buffer.startSample);
      this.#opts.onSpeechStarted(this.#nextItemId(), Math.round((this.#speechStart / rate) * 1000));
      return;
    }
    const start = this.#speechStart ?? this.#buffer.startSample;
    const end = Math.min(pos, this.#buffer.endSample);
    this.#speechStart = null;
    const itemId = this.#takeItemId();
    this.#opts.onSpeechStopped(itemId, Math.round((end / rate) * 1000));
    const audio = this.#buffer.slice(start, end);
    this.#buffer.dropBefore(end);
    if (audio.length === 0) return;
    this.#opts.onTurnEnded({ audio, itemId, startS: start / rate, endS: end / rate });
  }

  #nextItemId(): string {
    this.#pendingItemId = newLiveId('item');
    return this.#pendingItemId;
  }

  /** The announced item id, or a new one; either way the next speech gets a fresh one. */
  #takeItemId(): string {
    const itemId = this.#pendingItemId ?? this.#nextItemId();
    this.#pendingItemId = undefined;
    return itemId;
  }

  /** Restarts the VAD at the current stream position (what it heard so far is committed or dropped). */
  #restartVad(): void {
    if (!this.#vad) return;
    this.#vad.reset();
    this.#vadBase = this.#streamSamples;
    this.#vadDone = this.#streamSamples;
    this.#speechStart = null;
  }

  /** An explicit commit: everything buffered becomes one turn. Throws EVALGATE_ERR_WS_OUT_OF_ORDER when empty. */
  commit(): DetectedTurn {
    if (this.#buffer.length === 0) {
      throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'input_audio_buffer.commit with an empty buffer; append audio first' });
    }
    const rate = this.#format.sampleRateHz;
    const start = this.#buffer.startSample;
    const audio = this.#buffer.takeAll();
    this.#restartVad();
    return { audio, itemId: this.#takeItemId(), startS: start / rate, endS: (start + audio.length) / rate };
  }

  /** Drops the uncommitted audio and any speech in progress. */
  clear(): void {
    this.#buffer.clear();
    this.#speechStart = null;
    this.#restartVad();
  }
}
