import type { AudioFormat } from './audio-format.js';
import type { LiveLatency, SpokenReplyMeasures, TurnDetection } from './live-event.js';
import type { LiveSessionSummary } from './session-stats.js';

// The messages of the native protocol (`GET /v1/stream`, docs/protocol.md), as
// types only: the server (native-protocol.ts) builds its replies against them
// and the shipped client (gateway/client/stream-client.ts) reads them, so the
// two cannot drift. Nothing here runs, so the client pulls no server code.

/** A dataset sample reference (`configure`, `commit`, `respond`). */
export interface NativeSampleRef {
  /** Dataset name. */
  readonly dataset: string;
  /** Sample id in the manifest. */
  readonly sample: string;
  /** Scorer normalizer (default `none`, as `evalgate score`). */
  readonly normalizer?: string;
  /** ASR token unit: `word` (default), `char` or `mixed`. */
  readonly unit?: string;
  /** MCQ extractor (default `videomme`). */
  readonly extractor?: string;
}

/** Turn detection as a client asks for it; the server answers with the resolved `TurnDetection`. */
export type NativeTurnDetectionRequest =
  | 'manual'
  | 'server_vad'
  | { readonly type: 'server_vad'; readonly threshold?: number; readonly silenceDurationMs?: number; readonly prefixPaddingMs?: number };

/** Client → server JSON messages (audio travels as binary frames). */
export type NativeClientMessage =
  | {
      readonly type: 'configure';
      /** Input format (default pcm16 at 16 kHz). */
      readonly format?: { readonly encoding?: 'pcm16'; readonly sampleRateHz?: number };
      /** Default `manual`. */
      readonly turnDetection?: NativeTurnDetectionRequest;
      /** Binds the whole stream to a sample. */
      readonly sample?: NativeSampleRef;
    }
  | {
      readonly type: 'commit';
      /** Binds this utterance. */ readonly sample?: NativeSampleRef;
      /** Also ask for the response (default true). */ readonly respond?: boolean;
    }
  | { readonly type: 'respond'; /** Binds this utterance. */ readonly sample?: NativeSampleRef }
  | { readonly type: 'text'; /** A text part of the next response. */ readonly text: string }
  | {
      readonly type: 'image';
      /** image/…; the bytes decide the real type. */ readonly mimeType: string;
      /** Strict base64. */ readonly data: string;
      /** Video frame time. */ readonly timestampS?: number;
    }
  | (NativeSampleRef & { readonly type: 'video'; /** Defaults to the sample's question. */ readonly question?: string })
  | { readonly type: 'clear' }
  | { readonly type: 'cancel'; /** Default: the running response. */ readonly responseId?: string }
  | { readonly type: 'end' };

/** Every client message type. */
export type NativeClientType = NativeClientMessage['type'];

/** Latency of one utterance, as the gateway measured it. */
export type NativeLatency = LiveLatency;

/** Counts and latency percentiles of a session (linear interpolation, scorers/stats/percentile.ts). */
export type NativeSessionSummary = LiveSessionSummary;

/** The final result of one utterance. */
export interface NativeFinal {
  /** Message type. */
  readonly type: 'response.final';
  /** Response id. */
  readonly responseId: string;
  /** Utterance number within the session. */
  readonly seq: number;
  /** Outcome. */
  readonly status: 'completed' | 'cancelled' | 'failed';
  /** The model's final text (for a model answering in speech: the ASR expert's transcript of its reply). */
  readonly text: string;
  /** Latency figures. */
  readonly latency: NativeLatency;
  /** A spoken reply's measures (sessions opened with `asr_model`). */
  readonly speech?: SpokenReplyMeasures;
  /** The upstream's reason when a realtime model cut a completed answer short. */
  readonly incomplete?: string;
  /** Scores against the bound sample (evaluator keys only). */
  readonly scores?: Readonly<Record<string, number>>;
  /** Why it failed. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Server → client messages. */
export type NativeServerMessage =
  | {
      readonly type: 'session.ready';
      /** Session id (use it to resume). */
      readonly sessionId: string;
      /** Whether this resumed a dropped session. */
      readonly resumed: boolean;
      /** Events lost while disconnected. */
      readonly droppedEvents: number;
      /** Current input format. */
      readonly format: AudioFormat;
      /** Current turn detection (null: manual). */
      readonly turnDetection: TurnDetection;
    }
  | {
      readonly type: 'configured';
      /** Accepted format. */ readonly format: AudioFormat;
      /** Accepted turn detection (null: manual). */ readonly turnDetection: TurnDetection;
    }
  | { readonly type: 'speech.started'; /** Item id. */ readonly itemId: string; /** Stream offset, ms. */ readonly audioStartMs: number }
  | { readonly type: 'speech.stopped'; /** Item id. */ readonly itemId: string; /** Stream offset, ms. */ readonly audioEndMs: number }
  | { readonly type: 'committed'; /** Item id. */ readonly itemId: string }
  | { readonly type: 'cleared' }
  | { readonly type: 'response.started'; /** Response id. */ readonly responseId: string; /** Utterance number. */ readonly seq: number }
  | {
      readonly type: 'response.delta';
      /** Response id. */ readonly responseId: string;
      /** Utterance number. */ readonly seq: number;
      /** New text. */ readonly delta: string;
    }
  | {
      readonly type: 'response.audio';
      /** Response id. */ readonly responseId: string;
      /** Utterance number. */ readonly seq: number;
      /** New reply audio, base64 PCM16 little-endian mono. */ readonly audio: string;
      /** Its sample rate. */ readonly sampleRateHz: number;
    }
  | NativeFinal
  | {
      readonly type: 'error';
      /** Registry code. */ readonly code: string;
      /** What was wrong. */ readonly message: string;
      /** Offending field. */ readonly param?: string;
    }
  | {
      readonly type: 'session.summary';
      /** Session id. */ readonly sessionId: string;
      /** Counts and latency percentiles. */ readonly summary: NativeSessionSummary;
    };
