/** Kinds a thrower may set on a {@link ModelCallError}. */
export type ModelCallErrorKind = 'input' | 'connection' | 'timeout';

/**
 * A failed model call. `retryable` is derived from the transport outcome and
 * HTTP status (connection errors, timeouts, 408, 429 and 5xx are retryable);
 * the runner retries only those, and records the rest as failed predictions.
 */
export class ModelCallError extends Error {
  /**
   * What failed, when the thrower knows better than the status can say:
   * `input` (the sample itself is unusable: undecodable or oversized media),
   * `connection` or `timeout`. The runner stores it as the prediction's
   * error code; without it the code is derived from the status and cause.
   */
  readonly kind?: ModelCallErrorKind;
  /** HTTP status, when the provider answered. */
  readonly statusCode?: number;
  /** Whether trying again may succeed. */
  readonly retryable: boolean;
  /** Server-requested delay before retrying (from `Retry-After`), in ms. */
  readonly retryAfterMs?: number;
  /** Provider response body, truncated, for the error record. */
  readonly responseBody?: string;

  constructor(
    message: string,
    opts: { statusCode?: number; retryable?: boolean; retryAfterMs?: number; responseBody?: string; cause?: unknown; kind?: ModelCallErrorKind } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ModelCallError';
    if (opts.kind !== undefined) this.kind = opts.kind;
    this.statusCode = opts.statusCode;
    this.retryable = opts.retryable ?? isRetryableStatus(opts.statusCode);
    this.retryAfterMs = opts.retryAfterMs;
    this.responseBody = opts.responseBody;
  }
}

/** Retryable HTTP statuses: request timeout, rate limit, and server errors. */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true; // no answer at all: connection error or timeout
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
