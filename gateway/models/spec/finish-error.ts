import type { ModelResult } from './model-v1.js';
import { ModelCallError } from './model-call-error.js';

// Batch runs and live sessions both take a model's answer from here, so a
// call that did not finish is never scored or shown as an answer in one of
// them and not the other.

/** The failed call a result with `finishReason: 'error'` stands for; not retried (the provider chose to stop). */
export function finishedWithError(result: ModelResult): ModelCallError {
  return new ModelCallError(`the model stopped without a finished answer (finish reason "error"; ${result.text.length} characters discarded)`, {
    // Statusless and not retryable: the runner stores it with code `adapter`.
    retryable: false,
  });
}

/** A stream that ended without its `finish` event: the text is partial and is not the model's answer. */
export function streamCutOff(charactersSeen: number): Error {
  // ECONNRESET: the runner classifies it as a connection failure and retries it.
  return Object.assign(new Error(`stream ended without a finish event after ${charactersSeen} characters`), { code: 'ECONNRESET' });
}

/** The `incomplete` reason a live answer carries for a result cut short, if any. */
export function incompleteReason(result: ModelResult): string | undefined {
  if (result.finishReason === 'length') return 'max_output_tokens';
  if (result.finishReason === 'filter') return 'content_filter';
  return undefined;
}
