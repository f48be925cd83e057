import { EvalgateError, type ErrorCode } from '../errors.js';
import { ModelCallError } from '../models/spec/model-call-error.js';

/** How failed model calls are retried. */
export interface RetryPolicy {
  /** Total attempts per sample, the first one included (1 = never retry). */
  readonly maxAttempts: number;
  /** Backoff before the first retry; doubles on each further retry. */
  readonly baseDelayMs: number;
  /** Ceiling of the exponential backoff. */
  readonly maxDelayMs: number;
  /** Ceiling on a server's `Retry-After`, so one bad header cannot stall a run for hours. */
  readonly maxRetryAfterMs: number;
}

/** Defaults: 5 attempts, 0.5 s → 30 s full-jitter backoff, Retry-After honoured up to 2 min. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
});

/** What the runner needs to know about one failed attempt. */
export interface ClassifiedError {
  /** Stable kind, stored in `predictions.error.code`. */
  readonly code: 'timeout' | 'connection' | 'http' | 'cancelled' | 'invalid-request' | 'adapter' | 'input';
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  /** True for HTTP 429: concurrency must go down. */
  readonly rateLimited: boolean;
  /** HTTP status when the provider answered. */
  readonly statusCode?: number;
  /** Server-requested wait from `Retry-After`, in ms. */
  readonly retryAfterMs?: number;
  /** Human-readable cause (never contains secrets: adapters put none in messages). */
  readonly message: string;
}

// Node's socket-level error codes that mean "the connection broke", as raised
// by undici (fetch) and net. They are retryable: nothing was answered.
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

// Registry errors that say the sample itself is unusable: stored as `input`.
const inputErrorCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'EVALGATE_ERR_BAD_INPUT',
  'EVALGATE_ERR_MEDIA_DECODE_FAILED',
  'EVALGATE_ERR_MEDIA_NOT_FOUND',
  'EVALGATE_ERR_PAYLOAD_TOO_LARGE',
]);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return code;
  }
  return undefined;
}

function isAbortLike(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { name?: unknown }).name;
    if (name === 'AbortError' || name === 'TimeoutError') return true;
  }
  return false;
}

/**
 * Classifies a failed attempt. `timedOut` and `cancelled` come from the
 * runner's own signals, which are the only reliable way to tell a per-request
 * timeout (retryable) from the user stopping the run (not retryable): adapters
 * surface both as aborts.
 */
export function classifyError(err: unknown, ctx: { timedOut: boolean; cancelled: boolean; timeoutMs?: number }): ClassifiedError {
  const message = err instanceof Error ? err.message : String(err);
  if (ctx.cancelled) return { code: 'cancelled', retryable: false, rateLimited: false, message: 'run cancelled' };
  if (ctx.timedOut) {
    return { code: 'timeout', retryable: true, rateLimited: false, message: `no answer within ${ctx.timeoutMs ?? '?'} ms` };
  }
  if (err instanceof ModelCallError) {
    if (err.statusCode === undefined) {
      // By what the thrower knows (kind), then by cause; a statusless error
      // that is not retryable is no broken connection (issue 13 #19: a PP-OCR
      // pixel-limit refusal was stored as `connection`).
      const code = err.kind ?? (isAbortLike(err) ? 'timeout' : errorCode(err) !== undefined || err.retryable ? 'connection' : 'adapter');
      return { code, retryable: err.retryable, rateLimited: false, message };
    }
    return {
      code: 'http',
      retryable: err.retryable,
      rateLimited: err.statusCode === 429,
      statusCode: err.statusCode,
      retryAfterMs: err.retryAfterMs,
      message,
    };
  }
  if (err instanceof EvalgateError && inputErrorCodes.has(err.code)) return { code: 'input', retryable: false, rateLimited: false, message };
  const code = errorCode(err);
  if (code || (err instanceof TypeError && /fetch failed|terminated|socket/i.test(message))) {
    return { code: 'connection', retryable: true, rateLimited: false, message: code ? `${message} (${code})` : message };
  }
  if (isAbortLike(err)) return { code: 'timeout', retryable: true, rateLimited: false, message };
  // Anything else is a bug or bad input (unreadable media, unsupported part):
  // retrying would fail the same way.
  return { code: 'adapter', retryable: false, rateLimited: false, message };
}

/**
 * Delay before retry number `retry` (1 = first retry). Full-jitter
 * exponential backoff (AWS architecture blog, "Exponential Backoff And
 * Jitter"); a server's `Retry-After` is a floor, with a little jitter on top
 * so that every waiting request does not return in the same millisecond.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = random() * ceiling;
  if (retryAfterMs === undefined) return jittered;
  const floor = Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return floor + random() * Math.min(policy.baseDelayMs, floor * 0.1 + 1);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
