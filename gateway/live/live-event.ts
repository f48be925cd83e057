import type { ErrorCode } from '../errors.js';

/** server_vad settings (OpenAI names, ms units); null means explicit commits only. */
export type TurnDetection = {
  /** Always `server_vad` (Silero VAD v5 in the gateway). */
  readonly type: 'server_vad';
  /** Speech probability threshold (default 0.5). */
  readonly threshold: number;
  /** Silence that ends a turn (default 500 ms). */
  readonly silenceDurationMs: number;
  /** Audio kept before the detected onset (default 300 ms). */
  readonly prefixPaddingMs: number;
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

/** What a session tells its client, before a protocol layer names it. */
export type LiveEvent =
  | { readonly type: 'speech_started'; /** Item the speech becomes. */ readonly itemId: string; /** Stream offset, ms. */ readonly audioStartMs: number }
  | { readonly type: 'speech_stopped'; /** Item the speech becomes. */ readonly itemId: string; /** Stream offset, ms. */ readonly audioEndMs: number }
  | { readonly type: 'committed'; /** New user item. */ readonly itemId: string; /** Item before it in this turn. */ readonly previousItemId: string | null }
  | { readonly type: 'cleared' }
  | { readonly type: 'response_created'; /** Response id. */ readonly responseId: string; /** Item answered. */ readonly itemId: string; /** Utterance number. */ readonly seq: number }
  | {
      readonly type: 'delta';
      /** Response id. */
      readonly responseId: string;
      /** Item answered. */
      readonly itemId: string;
      /** Utterance number. */
      readonly seq: number;
      /** New text. */
      readonly delta: string;
    }
  | {
      readonly type: 'response_done';
      /** Response id. */
      readonly responseId: string;
      /** Item answered. */
      readonly itemId: string;
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
    };
