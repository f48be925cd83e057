import type { ModelInputPart, SpokenAudio } from '../models/spec/model-v1.js';
import type { AudioFormat } from './audio-format.js';

/** One user turn to answer, as the session assembled it. */
export interface ResponderTurn {
  /** The turn's PCM16 audio chunks, at `sampleRateHz`. */
  readonly audio: readonly Int16Array[];
  /** Samples in `audio`. */
  readonly audioSamples: number;
  /** Rate of `audio`. */
  readonly sampleRateHz: number;
  /** Text, image and video parts. */
  readonly parts: readonly ModelInputPart[];
  /** The system prompt (instructions plus system items), if any. */
  readonly system?: string;
}

/** A model's answer; `incomplete` is its reason when the model cut it short. */
export interface ResponderAnswer {
  readonly text: string;
  readonly incomplete?: string;
  /**
   * The reply's audio, when the model answers in speech: chunk arrival times
   * are ms after `respond` was called (the commit, for a realtime upstream);
   * the model's own transcript rides along as `selfTranscript`.
   */
  readonly audio?: SpokenAudio;
}

/** A chunk of the reply's audio as it arrives: PCM16 mono at `sampleRateHz`, for the client to play. */
export type OnReplyAudio = (pcm16: Uint8Array, sampleRateHz: number) => void;

/**
 * The half of a live session that talks to the model (livekit agents keep it
 * apart from turn detection): the session hands it input audio as it arrives
 * and, one at a time, the turns to answer. `BatchResponder` sends each turn
 * as one request; `RealtimeResponder` streams audio to an upstream connection
 * and matches each commit to the upstream response that answers it.
 */
export interface Responder {
  /** The input format's sample rate changed (the buffer is empty then). */
  setInputFormat(format: AudioFormat): void;
  /** Input audio as it arrives, at the input format (a realtime upstream listens to it; a batch model hears it with the turn). */
  appendAudio(pcm: Int16Array): void;
  /** The uncommitted input audio was dropped. */
  clearAudio(): void;
  /**
   * Answers one turn, streaming text to `onDelta` (and spoken audio, where the
   * model streams raw PCM, to `onAudio`); rejects when the model fails or `signal` aborts.
   */
  respond(turn: ResponderTurn, signal: AbortSignal, onDelta: (delta: string) => void, onAudio?: OnReplyAudio): Promise<ResponderAnswer>;
  /** The session has ended: releases the model connection. Never rejects. */
  close(): Promise<void>;
}
