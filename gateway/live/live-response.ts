import { EvalgateError, isEvalgateError, type ErrorCode } from '../errors.js';
import type { PendingTurn } from './conversation.js';
import type { LiveEvent, LiveLatency, SpokenReplyMeasures } from './live-event.js';
import type { BoundSample } from './sample-binding.js';

/** A response queued or running. */
export interface LiveResponse {
  readonly seq: number;
  readonly responseId: string;
  readonly itemId: string;
  /** The assistant item it fills, and the conversation's item before it. */
  readonly outputItemId: string;
  readonly previousItemId: string | null;
  /** Set by a cancel: who asked. */
  cancelReason?: 'client_cancelled' | 'turn_detected';
  readonly turn: PendingTurn;
  readonly sample: BoundSample | undefined;
  /** Scored against the stream's transcripts so far (a stream-level binding). */
  readonly cumulative: boolean;
  /** This response's instructions, in place of the session's (`response.instructions`). */
  readonly instructions?: string;
  readonly abort: AbortController;
}

/** How a response ended. */
export interface ResponseOutcome {
  readonly status: 'completed' | 'cancelled' | 'failed';
  /** The answer, or what had streamed before a cancel or failure. */
  readonly text: string;
  /** performance.now() of the first delta, if any. */
  readonly firstMs: number | null;
  readonly error?: EvalgateError;
  /** The model cut a completed answer short, for this reason. */
  readonly incomplete?: string;
  /** A spoken reply heard by the session's ASR expert (`text` is the expert's transcript). */
  readonly speech?: SpokenReplyMeasures;
  /** Where a spoken reply's audio is stored (a server path: stored with the utterance, never sent to the client). */
  readonly spokenMediaPath?: string;
  /** The stored failure code when it is not the error's registry code (`no-speech`, `transcribe`: as spoken answers in batch runs). */
  readonly failureCode?: string;
}

/** Latency of an outcome, timed from the turn's end of speech; only completed responses have times. */
export function latencyOf(o: ResponseOutcome, endOfSpeechMs: number, audioSeconds: number, now: number): LiveLatency {
  const finalMs = o.status === 'completed' ? now - endOfSpeechMs : null;
  const firstMs = o.status === 'completed' ? (o.firstMs ?? now) - endOfSpeechMs : null;
  return {
    firstTokenMs: firstMs === null ? null : round2(firstMs),
    finalMs: finalMs === null ? null : round2(finalMs),
    audioSeconds: round2(audioSeconds),
    realTimeFactor: finalMs !== null && audioSeconds > 0 ? round4(finalMs / 1000 / audioSeconds) : null,
  };
}

/** A chunk of a spoken reply's PCM16 audio, for the client to play. */
export function audioDeltaEvent(
  ids: { readonly responseId: string; readonly itemId: string; readonly outputItemId: string; readonly seq: number },
  pcm: Uint8Array,
  sampleRateHz: number,
): LiveEvent {
  return { type: 'audio_delta', ...ids, delta: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64'), sampleRateHz };
}

/** The events that end a response: its error, if it failed, then response_done. */
export function doneEvents(r: LiveResponse, o: ResponseOutcome, latency: LiveLatency, scores: Record<string, number> | undefined): LiveEvent[] {
  const events: LiveEvent[] = [];
  if (o.error) events.push({ type: 'error', code: o.error.code as ErrorCode, message: o.error.message, responseId: r.responseId });
  events.push({
    type: 'response_done',
    responseId: r.responseId,
    itemId: r.itemId,
    outputItemId: r.outputItemId,
    previousItemId: r.previousItemId,
    ...(o.status === 'cancelled' ? { cancelReason: r.cancelReason ?? 'client_cancelled' } : {}),
    ...(o.incomplete ? { incompleteReason: o.incomplete } : {}),
    seq: r.seq,
    status: o.status,
    text: o.text,
    latency,
    ...(scores ? { scores } : {}),
    ...(o.speech ? { speech: o.speech } : {}),
    ...(o.error ? { error: { code: o.error.code, message: o.error.message } } : {}),
  });
  return events;
}

/** The error a failed model call becomes: its own registry error, a timeout when the deadline fired, else MODEL_CALL_FAILED. */
export function failureOf(err: unknown, timedOut: boolean, model: string, timeoutMs: number): EvalgateError {
  if (isEvalgateError(err)) return err;
  if (timedOut) return new EvalgateError('EVALGATE_ERR_MODEL_TIMEOUT', { model, timeoutMs });
  return new EvalgateError('EVALGATE_ERR_MODEL_CALL_FAILED', { model, detail: (err as Error).message });
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
