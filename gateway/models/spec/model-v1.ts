/**
 * The model contract, version 1. Adapters translate between this shape and a
 * provider's wire format; they own no sockets, retries, timeouts or
 * concurrency — the runner and the gateway do.
 */

/** One piece of input content, in the order it is given to the model. */
export type ModelInputPart =
  | { readonly type: 'text'; /** The text. */ readonly text: string }
  | {
      readonly type: 'audio';
      /** 16-bit PCM WAV (or the original file bytes when `mimeType` says so). */
      readonly data: Uint8Array;
      /** e.g. `audio/wav`. */
      readonly mimeType: string;
      /** Decoded mono samples at `sampleRateHz`, for local specialists and realtime upstreams. */
      readonly samples?: Float32Array;
      /** Sample rate of `samples`. */
      readonly sampleRateHz?: number;
      /** Duration in seconds, used for RTFx. */
      readonly durationS?: number;
      /** Where the file lives, for adapters that send URLs or spawn subprocesses. */
      readonly path?: string;
    }
  | {
      readonly type: 'image';
      /** Encoded image bytes (JPEG/PNG). */
      readonly data: Uint8Array;
      /** e.g. `image/jpeg`. */
      readonly mimeType: string;
      /** Timestamp in the source video when the image is a sampled frame. */
      readonly timestampS?: number;
      /** Source path, when known. */
      readonly path?: string;
    }
  | {
      readonly type: 'video';
      /** Path of the video file (adapters that take whole videos read or link it). */
      readonly path: string;
      /** e.g. `video/mp4`. */
      readonly mimeType: string;
      /** Duration in seconds, when known. */
      readonly durationS?: number;
    };

/** A request to a model. */
export interface ModelRequest {
  /** System prompt, if any. */
  readonly system?: string;
  /** The user turn's content parts. */
  readonly parts: readonly ModelInputPart[];
  /** Sampling temperature; evaluation defaults to 0. */
  readonly temperature?: number;
  /** Upper bound on generated tokens. */
  readonly maxOutputTokens?: number;
  /** Adapter-specific extras; unknown keys come back as warnings. */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /** Aborts the call (timeouts and cancellation flow through this). */
  readonly signal?: AbortSignal;
}

/**
 * Why the model stopped, one vocabulary over every provider:
 * - `stop`: it finished (end of turn, a stop sequence; local experts always);
 * - `length`: it hit the output token limit, so the answer is cut off;
 * - `filter`: the provider's safety or content filter stopped or replaced it;
 * - `error`: the provider ended the answer for a reason that makes it no
 *   answer (aborted, malformed, an unspecified failure). The runner stores
 *   such a call as failed and never scores it.
 */
export type FinishReason = 'stop' | 'length' | 'filter' | 'error';

/**
 * What a model said aloud (issue 17): chat-completions audio output,
 * realtime audio deltas, Gemini audio parts. The answer is what a local ASR
 * expert hears in it, never `selfTranscript`.
 */
export interface SpokenAudio {
  /** The audio bytes, concatenated in arrival order. */
  readonly data: Uint8Array;
  /** `audio/wav`, `audio/mpeg`, `audio/flac`, `audio/ogg`, or `audio/pcm` (16-bit little-endian mono at `sampleRateHz`). */
  readonly mimeType: string;
  /** Sample rate of raw PCM (`audio/pcm`); the container says it otherwise. */
  readonly sampleRateHz?: number;
  /** Each chunk's byte offset in `data` and its arrival, ms after the request was sent; one entry for a reply that came whole. */
  readonly chunks: readonly { readonly byteOffset: number; readonly arrivedMs: number }[];
  /** The model's own transcript of what it said: kept to report text–speech consistency, never scored as the answer. */
  readonly selfTranscript?: string;
}

/** What a completed call returns. */
export interface ModelResult {
  /** The model's answer text (the transcript for ASR models). */
  readonly text: string;
  /**
   * Why the model stopped. Every built-in adapter sets it; it is optional so
   * that answers cached before it existed (and embedders' own models) still
   * read, and absent means `stop`.
   */
  readonly finishReason?: FinishReason;
  /** Provider response body (or a summary of it), stored for audit. */
  readonly raw?: unknown;
  /** Settings the adapter could not honour. */
  readonly warnings: readonly string[];
  /** Token usage, when the provider reports it. */
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number };
  /** The spoken answer, when the model was asked to answer in speech and did. */
  readonly audio?: SpokenAudio;
}

/** Stream events of `doStream`, tagged by `type`. */
export type ModelStreamEvent =
  | { readonly type: 'text-delta'; /** Newly generated text. */ readonly delta: string }
  | { readonly type: 'audio-delta'; /** Newly arrived audio bytes (the finish result carries them all). */ readonly data: Uint8Array }
  | { readonly type: 'finish'; /** The final result. */ readonly result: ModelResult }
  | { readonly type: 'warning'; /** What could not be honoured. */ readonly message: string };

/** What an adapter can take. */
export interface ModelCapabilities {
  /** Accepts text parts. */
  readonly text: boolean;
  /** Accepts audio parts. */
  readonly audio: boolean;
  /** Accepts a single image. */
  readonly image: boolean;
  /** Accepts several images in one request. */
  readonly multipleImages: boolean;
  /** Accepts video (as a file/URL or as sampled frames, per config). */
  readonly video: boolean;
  /** Implements `doStream` (token streaming, for time to first token). */
  readonly streaming: boolean;
  /** A realtime audio model that takes audio as it arrives (see RealtimeModelV1). */
  readonly realtime: boolean;
}

/**
 * A model under test. `doGenerate` is mandatory; `doStream` exists when
 * `capabilities.streaming` is true.
 */
export interface ModelV1 {
  /** Contract version, so the runner can refuse adapters it does not know. */
  readonly specificationVersion: 'v1';
  /** Adapter name, e.g. `openai-chat`. */
  readonly adapter: string;
  /** Adapter implementation version, stored with every run. */
  readonly adapterVersion: string;
  /** Provider model name. */
  readonly modelName: string;
  /** What the model accepts. */
  readonly capabilities: ModelCapabilities;
  /** One request, one answer. */
  doGenerate(request: ModelRequest): Promise<ModelResult>;
  /** Streams the answer; the last event is `finish`. */
  doStream?(request: ModelRequest): AsyncIterable<ModelStreamEvent>;
  /** Releases sessions/processes; optional. */
  close?(): Promise<void>;
}
