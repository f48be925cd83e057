import { ModelCallError, parseRetryAfterMs } from '../spec/model-call-error.js';

/** The subset of `fetch` the adapters use; injected so tests and proxies can replace it. */
export type FetchLike = typeof fetch;

/** One JSON POST to a provider. */
export interface PostJsonRequest {
  /** Absolute URL. */
  readonly url: string;
  /** Extra headers (auth, versions); `content-type: application/json` is always set. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body, serialised with `JSON.stringify`. */
  readonly body: unknown;
  /** The fetch to use. */
  readonly fetch: FetchLike;
  /** Aborts the request and any body read after it. */
  readonly signal?: AbortSignal;
  /** Extra `accept` header value, e.g. `text/event-stream` for streaming calls. */
  readonly accept?: string;
}

/** Longest provider body kept on an error, so one huge HTML page cannot fill the error table. */
export const maxErrorBodyChars = 2000;

/**
 * Sends the request and returns the response when its status is 2xx. Every
 * other outcome becomes a ModelCallError: an HTTP error status (with
 * `Retry-After` honoured), a dropped or refused connection (retryable), or an
 * abort through `signal` (retryable: the runner aborts on its own timeouts).
 */
export async function postForResponse(req: PostJsonRequest): Promise<Response> {
  let res: Response;
  try {
    res = await req.fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: req.accept ?? 'application/json', ...req.headers },
      body: JSON.stringify(req.body),
      signal: req.signal,
    });
  } catch (err) {
    throw transportError(err, req.signal);
  }
  if (!res.ok) throw await httpError(res);
  return res;
}

/** POSTs JSON and parses a JSON answer; see `postForResponse` for the error mapping. */
export async function postJson<T = unknown>(req: PostJsonRequest): Promise<{ readonly json: T; readonly response: Response }> {
  const response = await postForResponse(req);
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw transportError(err, req.signal);
  }
  try {
    return { json: JSON.parse(text) as T, response };
  } catch {
    // A 200 with a non-JSON body is a broken proxy or a half-written answer: worth one more try.
    throw new ModelCallError(`Provider answered ${response.status} with a body that is not JSON`, {
      statusCode: response.status,
      retryable: true,
      responseBody: truncate(text),
    });
  }
}

/** Maps a non-2xx response to a ModelCallError, reading (and truncating) its body. */
export async function httpError(res: Response): Promise<ModelCallError> {
  let body = '';
  try {
    body = await res.text();
  } catch {
    // the body is only for the error record; a failed read must not hide the status
  }
  const detail = providerMessage(body);
  return new ModelCallError(`Provider answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, {
    statusCode: res.status,
    retryAfterMs: retryAfterOf(res.headers, body),
    // An exhausted quota (OpenAI's 429 `insufficient_quota`) does not come back by waiting.
    ...(res.status === 429 && /"(code|type)"\s*:\s*"insufficient_quota"/.test(body) ? { retryable: false } : {}),
    responseBody: truncate(body),
  });
}

/**
 * The delay a provider asks for: `retry-after-ms` (OpenAI, Azure), then
 * `Retry-After` (seconds or a date), then Gemini's `RetryInfo.retryDelay`
 * ("30s") in the error body.
 */
export function retryAfterOf(headers: Headers, body: string): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const header = parseRetryAfterMs(headers.get('retry-after'));
  if (header !== undefined) return header;
  const delay = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return delay ? Number(delay[1]) * 1000 : undefined;
}

/** Maps a thrown fetch/body-read error (no HTTP status) to a retryable ModelCallError. */
export function transportError(err: unknown, signal?: AbortSignal): ModelCallError {
  if (err instanceof ModelCallError) return err;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    const why = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    return new ModelCallError(`Request aborted (${why})`, { retryable: true, cause: reason ?? err });
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? `${err.message}${cause}` : String(err);
  return new ModelCallError(`Connection to the provider failed (${message})`, { retryable: true, cause: err });
}

/** Pulls a human message out of the usual `{error: {message}}` / `{error: "..."}` / `{message}` bodies. */
export function providerMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const e = parsed.error;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message;
    }
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through to a short prefix of the raw text
  }
  return body.trim().slice(0, 200);
}

function truncate(s: string): string {
  return s.length > maxErrorBodyChars ? `${s.slice(0, maxErrorBodyChars)}…` : s;
}
