import type { ErrorCode } from '../errors.js';

/**
 * Turn detection (OpenAI names, ms units); null means explicit commits only.
 * Both types run on the gateway's Silero VAD: `semantic_vad` has no semantic
 * model here, its eagerness only picks the silence that ends a turn.
 */
export type TurnDetection = {
  /** `server_vad`, or `semantic_vad` (served by the same VAD). */
  readonly type: 'server_vad' | 'semantic_vad';
  /** semantic_vad: how soon a turn ends (low 1200 ms of silence, medium/auto 600 ms, high 300 ms). */
  readonly eagerness?: 'low' | 'medium' | 'high' | 'auto';
  /** Speech probability threshold (default 0.5). */
  readonly threshold: number;
  /** Silence that ends a turn (default 500 ms). */
  readonly silenceDurationMs: number;
  /** Audio kept before the detected onset (default 300 ms). */
  readonly prefixPaddingMs: number;
  /** Ask for a response when a turn ends (default true); false leaves it to the client's response.create. */
  readonly createResponse: boolean;
  /** Cancel the running response when new speech starts (barge-in); default false in this gateway. */
  readonly interruptResponse: boolean;
} | null;

/** Latency of one utterance (end of speech = VAD end or commit). */
export interface LiveLatency {
  /** End of speech → first output token, ms (null unless completed). */
  readonly firstTokenMs: number | null;
  /** End of speech → final output, ms (null unless completed). */
  readonly finalMs: number | null;
  /** Seconds of audio in the utterance. */
  readonly audioSeconds: number;
  /** Processing seconds (end of speech → final) ÷ audio seconds. */
  readonly realTimeFactor: number | null;
}

/**
 * What was measured of a spoken reply (sessions whose model answers in
 * speech), timed from the turn's end of speech like the text latency.
 */
export interface SpokenReplyMeasures {
  /** End of speech → first audio chunk, ms. */
  readonly firstAudioMs: number;
  /** Length of the reply's audio, s. */
  readonly audioSeconds: number;
  /** (End of speech → last audio chunk) ÷ audio seconds; under 1: the speech arrived faster than it plays. Null for an empty clip. */
  readonly realTimeFactor: number | null;
  /** WER of the expert's transcript against the model's own text; null without a self transcript. */
  readonly textSpeechWer: number | null;
  /** The model's own transcript of its speech (never the answer). */
  readonly selfTranscript: string | null;
}

/** What a session tells its client, before a protocol layer names it. */
export type LiveEvent =
  | { readonly type: 'speech_started'; /** Item the speech becomes. */ readonly itemId: string; /** Stream offset, ms. */ readonly audioStartMs: number }
  | { readonly type: 'speech_stopped'; /** Item the speech becomes. */ readonly itemId: string; /** Stream offset, ms. */ readonly audioEndMs: number }
  | {
      readonly type: 'committed';
      /** New user item. */ readonly itemId: string;
      /** The conversation's item before it (null for the first). */ readonly previousItemId: string | null;
    }
  | { readonly type: 'cleared' }
  | {
      readonly type: 'response_created';
      /** Response id. */
      readonly responseId: string;
      /** Item answered. */
      readonly itemId: string;
      /** The assistant item this response fills. */
      readonly outputItemId: string;
      /** The conversation's item before the assistant item. */
      readonly previousItemId: string | null;
      /** Utterance number. */
      readonly seq: number;
    }
  | {
      readonly type: 'delta';
      /** Response id. */
      readonly responseId: string;
      /** Item answered. */
      readonly itemId: string;
      /** The assistant item. */
      readonly outputItemId: string;
      /** Utterance number. */
      readonly seq: number;
      /** New text. */
      readonly delta: string;
    }
  | {
      readonly type: 'audio_delta';
      /** Response id. */
      readonly responseId: string;
      /** Item answered. */
      readonly itemId: string;
      /** The assistant item. */
      readonly outputItemId: string;
      /** Utterance number. */
      readonly seq: number;
      /** New reply audio: base64 PCM16 little-endian mono. */
      readonly delta: string;
      /** Its sample rate. */
      readonly sampleRateHz: number;
    }
  | {
      readonly type: 'response_done';
      /** Response id. */
      readonly responseId: string;
      /** Item answered. */
      readonly itemId: string;
      /** The assistant item. */
      readonly outputItemId: string;
      /** The conversation's item before the assistant item. */
      readonly previousItemId: string | null;
      /** A completed answer the model cut short (`max_output_tokens`, `content_filter`…): the text is partial. */
      readonly incompleteReason?: string;
      /** Why a cancelled response was cancelled. */
      readonly cancelReason?: 'client_cancelled' | 'turn_detected';
      /** Utterance number. */
      readonly seq: number;
      /** Outcome. */
      readonly status: 'completed' | 'cancelled' | 'failed';
      /** Final text (the transcript for ASR models). */
      readonly text: string;
      /** Latency figures. */
      readonly latency: LiveLatency;
      /** Scores against the bound sample, only for keys with the evaluator scope. */
      readonly scores?: Readonly<Record<string, number>>;
      /** A spoken reply's measures; `text` is then the ASR expert's transcript of it. */
      readonly speech?: SpokenReplyMeasures;
      /** Why it failed. */
      readonly error?: { readonly code: string; readonly message: string };
    }
  | {
      readonly type: 'error';
      /** Registry code. */
      readonly code: ErrorCode;
      /** What was wrong and what to do. */
      readonly message: string;
      /** Offending field, when known. */
      readonly param?: string;
      /** The client event that caused it, when it had an id. */
      readonly clientEventId?: string;
      /** Set when the error is a response's failure (its response_done follows and carries it too). */
      readonly responseId?: string;
    };
