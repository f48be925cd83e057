import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

// Single byte ranges (RFC 9110 §14) for the media routes (dataset media and
// arena media), so that a browser's <video>/<audio> element can seek. Only
// one `bytes` range is honoured; a list of ranges, another unit or a header
// that does not parse is ignored and the whole file is sent (a server may
// ignore Range, §14.2). The routes call this only after their access checks.

/** Inclusive byte offsets of the part of a file to send. */
export interface ByteSpan {
  readonly start: number;
  /** Inclusive; `start - 1` for an empty file. */
  readonly end: number;
}

/**
 * Parses a `Range` header against a file of `size` bytes: the span to send
 * (`bytes=a-b` with b clamped to size-1, `bytes=a-`, `bytes=-n` for the last
 * n bytes, the whole file when n ≥ size), `'unsatisfiable'` when the start is
 * at or past the end of the file or the suffix length is 0 (answer 416), or
 * `undefined` when the header is to be ignored: absent, not `bytes`, several
 * ranges, `a-b` with b < a, a suffix of an empty file, anything that does not
 * parse.
 */
export function parseByteRange(header: string | undefined, size: number): ByteSpan | 'unsatisfiable' | undefined {
  if (typeof header !== 'string') return undefined;
  const spec = /^\s*bytes\s*=(.*)$/i.exec(header)?.[1];
  if (spec === undefined || spec.includes(',')) return undefined;
  const m = /^\s*(\d*)-(\d*)\s*$/.exec(spec);
  if (!m) return undefined;
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '') {
    if (last === '') return undefined;
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    // An empty file has no last n bytes to name in a Content-Range: sent whole (empty), as when the header is ignored.
    if (size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Sets the status and headers of a media answer for a file of `size` bytes
 * (the route's own headers, such as content-type, are kept): `Accept-Ranges:
 * bytes` always; 206 with `Content-Range` for a satisfiable range of a GET;
 * 416 with `Content-Range: bytes *\/size` for an unsatisfiable one. Returns the
 * span to send, or `undefined` when the answer has no body (HEAD, 416): the
 * caller then closes the file and sends {@link emptyBody}.
 */
export function mediaReplySpan(request: FastifyRequest, reply: FastifyReply, size: number): ByteSpan | undefined {
  void reply.header('accept-ranges', 'bytes');
  // Range is defined for GET only (RFC 9110 §14.2): a HEAD gets the whole file's headers.
  const range = request.method === 'GET' ? parseByteRange(request.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    void reply.code(416).header('content-range', `bytes */${size}`).header('content-length', 0);
    return undefined;
  }
  if (range === undefined) {
    void reply.header('content-length', size);
    return request.method === 'HEAD' ? undefined : { start: 0, end: size - 1 };
  }
  void reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
    .header('content-length', range.end - range.start + 1);
  return range;
}

/**
 * A body of no bytes that keeps the content-length set by {@link mediaReplySpan}
 * (fastify's HEAD handling would set 0 for an absent body, and drains a stream
 * instead of reading the file).
 */
export function emptyBody(): Readable {
  return Readable.from([]);
}

/** A stream of the span's bytes; it closes the file when it ends or is destroyed (a client hanging up). */
export function streamSpan(handle: FileHandle, span: ByteSpan): Readable {
  return span.end < span.start ? handle.createReadStream() : handle.createReadStream({ start: span.start, end: span.end });
}

/** Reads the span's bytes into memory; the caller closes the file. */
export async function readSpan(handle: FileHandle, span: ByteSpan): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, span.end - span.start + 1));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, span.start + got);
    if (bytesRead === 0) throw new Error('media file shrank while it was read');
    got += bytesRead;
  }
  return buf;
}
