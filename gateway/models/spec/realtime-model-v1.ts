/**
 * A realtime audio model (OpenAI Realtime style). Like ModelV1 adapters it
 * translates events and does not own the socket: the gateway opens the
 * upstream connection through `connect` and pumps events both ways.
 */

/** Events the gateway receives from a realtime upstream, normalised. */
export type RealtimeUpstreamEvent =
  | { readonly type: 'speech-started'; /** Audio offset, ms. */ readonly audioStartMs?: number }
  | { readonly type: 'speech-stopped'; /** Audio offset, ms. */ readonly audioEndMs?: number }
  | { readonly type: 'response-created'; /** Upstream response id. */ readonly responseId: string }
  | {
      readonly type: 'transcript-delta';
      /** New transcript text. */ readonly delta: string;
      /** Upstream response id, when sent. */ readonly responseId?: string;
    }
  | { readonly type: 'text-delta'; /** New text output. */ readonly delta: string; /** Upstream response id, when sent. */ readonly responseId?: string }
  | {
      readonly type: 'audio-delta';
      /** New output audio: PCM16 little-endian mono at the session's output rate (24 kHz for OpenAI). */ readonly data: Uint8Array;
      /** Upstream response id, when sent. */ readonly responseId?: string;
    }
  | {
      readonly type: 'response-done';
      /** Final transcript or text. */
      readonly text: string;
      /** Raw event. */
      readonly raw?: unknown;
      /** Upstream response id, when sent. */
      readonly responseId?: string;
      /** `cancelled` or `incomplete` when the response did not complete (failed ones come as an error first). */
      readonly status?: 'cancelled' | 'incomplete';
      /** The provider's reason for that status (`max_output_tokens`, `content_filter`, `turn_detected`…). */
      readonly statusReason?: string;
    }
  | {
      readonly type: 'input-transcript';
      /** The upstream's transcription of the committed input audio (not the model's answer). */
      readonly text: string;
      /** Upstream item id the transcript belongs to. */
      readonly itemId?: string;
    }
  | {
      readonly type: 'error';
      /** Provider message. */
      readonly message: string;
      /** Provider code. */
      readonly code?: string;
      /** The client event that caused it (`error.event_id`), when the provider says. */
      readonly clientEventId?: string;
      /** The response it ended, for a failed response. */
      readonly responseId?: string;
    };

/** One live connection to a realtime upstream. */
export interface RealtimeConnection {
  /** Appends PCM16 mono audio at the negotiated rate. */
  appendAudio(pcm16: Int16Array): void;
  /**
   * Ends the current input turn and asks for a response. `responseEventId`
   * becomes the `event_id` of the response request, so that an error the
   * provider reports for it can be told apart from other errors.
   */
  commit(opts?: { responseEventId?: string }): void;
  /** Drops buffered, uncommitted audio. */
  clear(): void;
  /** Cancels the response in progress. */
  cancel(): void;
  /** Normalised upstream events, until the connection closes. */
  events(): AsyncIterable<RealtimeUpstreamEvent>;
  /** Closes the upstream connection. */
  close(): Promise<void>;
}

/** A realtime-capable adapter. */
export interface RealtimeModelV1 {
  /** Contract version. */
  readonly specificationVersion: 'v1';
  /** Adapter name. */
  readonly adapter: string;
  /** Adapter implementation version. */
  readonly adapterVersion: string;
  /** Sample rate the upstream expects for PCM16 input. */
  readonly inputSampleRateHz: number;
  /** Opens a connection; the signal closes it. */
  connect(opts: { signal?: AbortSignal }): Promise<RealtimeConnection>;
}

/**
 * Upstream error codes that concern no response: a cancel that arrived after
 * the response ended (`response_cancel_not_active`), and a failed side
 * transcription of the input (`input_transcription_failed`, normalised).
 * A consumer waiting for a response should not fail it on these.
 */
export function isBenignRealtimeCode(code: string | undefined): boolean {
  return code === 'response_cancel_not_active' || code === 'input_transcription_failed';
}
