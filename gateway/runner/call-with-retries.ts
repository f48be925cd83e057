import type { AdaptiveConcurrency } from './adaptive-concurrency.js';
import { backoffDelayMs, classifyError, sleep, type ClassifiedError, type RetryPolicy } from './retry-policy.js';
import { RunCancelledError } from './run-cancelled-error.js';

/** How one model call is retried, limited and timed out. */
export interface CallWithRetriesOptions {
  readonly retry: RetryPolicy;
  /** Holds a slot for each attempt only (released before the caller scores or writes anything). */
  readonly limiter: AdaptiveConcurrency;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Jitter source for the backoff (tests pin it). */
  readonly random?: () => number;
}

/** The call's value and what it took, or the last error once retries ran out (or one was not retryable). */
export type RetriedCall<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly requestMs: number }
  | { readonly ok: false; readonly last: ClassifiedError | undefined; readonly attempts: number };

/**
 * The retry loop the runner (one sample) and the judge (one judge ask) share
 * (docs/runner.md "Retries, timeouts, rate limits"): backoff between attempts
 * (honouring Retry-After), a limiter slot and a timeout per attempt, the
 * limiter told about successes and rate limits. `call` gets the attempt's
 * signal and start time and throws to fail the attempt. Rejects only with
 * RunCancelledError, when `signal` aborts.
 */
export async function callWithRetries<T>(
  o: CallWithRetriesOptions,
  signal: AbortSignal | undefined,
  call: (attemptSignal: AbortSignal, startedMs: number) => Promise<T>,
): Promise<RetriedCall<T>> {
  let attempts = 0;
  let last: ClassifiedError | undefined;
  while (attempts < o.retry.maxAttempts) {
    if (signal?.aborted) throw new RunCancelledError();
    if (attempts > 0 && last) {
      try {
        await sleep(backoffDelayMs(attempts, o.retry, last.retryAfterMs, o.random), signal);
      } catch {
        throw new RunCancelledError();
      }
    }
    try {
      await o.limiter.acquire(signal);
    } catch {
      throw new RunCancelledError();
    }
    attempts++;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${o.timeoutMs} ms`, 'TimeoutError')), o.timeoutMs);
    const attemptSignal = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    const startedMs = performance.now();
    try {
      const value = await call(attemptSignal, startedMs);
      const requestMs = performance.now() - startedMs;
      o.limiter.onSuccess();
      return { ok: true, value, attempts, requestMs };
    } catch (err) {
      last = classifyError(err, { timedOut: timeout.signal.aborted, cancelled: signal?.aborted ?? false, timeoutMs: o.timeoutMs });
      if (last.code === 'cancelled') throw new RunCancelledError();
      if (last.rateLimited) o.limiter.onRateLimited();
      if (!last.retryable) break;
    } finally {
      // The slot bounds model calls only: scoring and the database write
      // happen outside it, so they never idle the model.
      clearTimeout(timer);
      o.limiter.release();
    }
  }
  return { ok: false, last, attempts };
}
