import type { FastifyRequest } from 'fastify';
import { insecureKeyProtocolPrefix } from './auth-plugin.js';

/** What replaces a secret in logs. */
export const redactedMark = '[REDACTED]';

/**
 * Query parameters whose value is a secret. Keys in a query string are
 * refused by the auth hook, but the request line is logged before that
 * decision, so the log must never carry the value.
 */
const secretParam =
  /^(?:key|api[-_]?key|apikey|token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth|authorization|password|passwd|pwd|secret|client[-_]?secret|signature|sig|x-api-key|session[-_]?token)$/i;

/** Replaces the values of secret-looking query parameters; the rest of the URL is kept byte for byte. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      return eq >= 0 && secretParam.test(name.trim()) ? `${rawName}=${redactedMark}` : pair;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash < 0 ? '' : url.slice(hash)}`;
}

const secretInText = new RegExp(`([?&](?:${secretParam.source.slice(4, -2)})=)[^&\\s#"'<>]+`, 'gi');

/**
 * Removes secrets from free text (error messages and stacks): secret query
 * parameters inside URLs (an upstream's `?key=` in a fetch error), bearer
 * tokens, and evalgate's own key format wherever it appears.
 */
export function redactText(text: string): string {
  return text
    .replace(secretInText, `$1${redactedMark}`)
    .replace(/\b(Bearer\s+)[^\s"',;]+/gi, `$1${redactedMark}`)
    .replace(/\beg_[0-9a-f]{8}_[A-Za-z0-9_-]+/g, redactedMark);
}

/**
 * Errors as logged (pino's shape: type, message, stack, own fields, cause),
 * with secrets removed from every string. Written here rather than wrapping
 * pino's own so that pino stays fastify's dependency, not ours.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.name, message: redactText(err.message), stack: redactText(err.stack ?? '') };
  for (const [k, v] of Object.entries(err)) {
    if (k === 'cause' || k === 'errors') continue;
    out[k] = typeof v === 'string' ? redactText(v) : v;
  }
  if (depth < 4 && err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
  const members = (err as { errors?: unknown }).errors;
  if (depth < 4 && Array.isArray(members)) out.errors = members.slice(0, 8).map((e: unknown) => serializeError(e, depth + 1));
  return out;
}

/** A Sec-WebSocket-Protocol list with only the key-bearing entry censored (the others help debugging). */
export function redactProtocols(value: unknown): unknown {
  if (typeof value !== 'string') return redactedMark;
  return value
    .split(',')
    .map((p) => (p.trim().startsWith(insecureKeyProtocolPrefix) ? p.replace(/\S.*$/, `${insecureKeyProtocolPrefix}${redactedMark}`) : p))
    .join(',');
}

const secretHeaders = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization', 'sec-websocket-protocol'];

/** Redaction paths for headers wherever code logs them: as `req.headers`, `headers`, or one level down. */
const redactPaths = secretHeaders.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `*.headers["${h}"]`]);

/**
 * The request as logged: no headers, and the URL with secrets removed. Any
 * other object logged under `req` keeps its fields (the redact paths then
 * censor its headers), with its URL cleaned too.
 */
export function serializeRequest(req: unknown): unknown {
  if (!req || typeof req !== 'object') return req;
  const r = req as Partial<FastifyRequest> & { url?: unknown };
  if (typeof r.method === 'string' && typeof r.url === 'string' && 'raw' in r) {
    return { method: r.method, url: redactUrl(r.url), host: r.host, remoteAddress: r.ip, remotePort: r.socket?.remotePort };
  }
  return typeof r.url === 'string' ? { ...r, url: redactUrl(r.url) } : r;
}

/**
 * Logger options with secrets redacted, merged over the caller's (level,
 * stream…). pino's `redact` covers headers anyone logs later; the request
 * serializer covers fastify's own "incoming request" line.
 */
export function redactingLoggerOptions(base: Record<string, unknown>): Record<string, unknown> {
  const serializers = (base.serializers ?? {}) as Record<string, unknown>;
  return {
    ...base,
    redact: {
      paths: redactPaths,
      censor: (value: unknown, path: string[]) => (path[path.length - 1] === 'sec-websocket-protocol' ? redactProtocols(value) : redactedMark),
    },
    serializers: { ...serializers, req: serializeRequest, err: (e: unknown) => serializeError(e) },
  };
}
