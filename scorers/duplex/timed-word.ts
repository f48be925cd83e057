/** One word of a time-aligned transcript of the model's speech (upstream `chunks[]`). */
export interface TimedWord {
  /** The word as the aligner wrote it. */
  readonly text: string;
  /** Onset, seconds from the start of the recording. */
  readonly startSecond: number;
  /** Offset, seconds; null when the aligner gave none (upstream's `None`). */
  readonly endSecond: number | null;
}

/** A span of speech, seconds from the start of the recording. */
export interface SpeechSpan {
  /** Onset, seconds. */
  readonly startSecond: number;
  /** Offset, seconds. */
  readonly endSecond: number;
}
