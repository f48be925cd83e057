/**
 * The contract every local ASR expert implements, so the transcribe CLI, the
 * model adapters and the live gateway treat ONNX CTC, Whisper ONNX and
 * pocketsphinx alike.
 */

/** Options of one transcription call. */
export interface TranscribeOptions {
  /** Cancels the call; a subprocess is killed, ONNX work stops between steps. */
  readonly signal?: AbortSignal;
}

/** What a transcription returns. */
export interface AsrResult {
  /** The transcript, trimmed. */
  readonly text: string;
  /** Language the model used (forced or detected), when the model knows languages. */
  readonly language?: string;
}

/** One recognised word with its time span (Full-Duplex-Bench's `chunks[]` entry). */
export interface TimedAsrWord {
  /** The word as recognised, without alternate-pronunciation marks. */
  readonly text: string;
  /** Onset, seconds from the start of the audio given. */
  readonly startS: number;
  /** Offset, seconds from the start of the audio given. */
  readonly endS: number;
}

/** What a word-timed transcription returns. */
export interface TimedAsrResult extends AsrResult {
  /** The recognised words in time order; fillers and silences are left out. */
  readonly words: TimedAsrWord[];
}

/** A loaded local ASR model. */
export interface AsrEngine {
  /** Which family this is. */
  readonly kind: AsrKind;
  /** Transcribes mono samples at any sample rate (resampled as the model needs). */
  transcribe(samples: Float32Array, sampleRateHz: number, opts?: TranscribeOptions): Promise<AsrResult>;
  /**
   * Transcribes and times each word. Only families whose decoder knows where
   * words lie implement it (pocketsphinx, CTC); Whisper ONNX does not.
   */
  transcribeWords?(samples: Float32Array, sampleRateHz: number, opts?: TranscribeOptions): Promise<TimedAsrResult>;
}

/** The supported families. */
export type AsrKind = 'onnx-ctc' | 'whisper-onnx' | 'pocketsphinx';

/**
 * A model folder that is missing or lacks files. The message says which
 * layout is expected and where such folders come from: nothing is downloaded.
 */
export class AsrModelError extends Error {
  constructor(
    /** The folder or file at fault. */
    readonly path: string,
    detail: string,
  ) {
    super(`ASR model at ${path}: ${detail}`);
    this.name = 'AsrModelError';
  }
}

/** Throws the AbortSignal's reason when it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('The transcription was aborted');
}
