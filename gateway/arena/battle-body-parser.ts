import { Worker } from 'node:worker_threads';
import { EvalgateError } from '../errors.js';

// A battle POST carries its upload as base64 inside JSON: up to 25 MiB of
// media is a 34 MB body. On this project's 2-core machines, parsing that
// JSON took about 1 s and decoding the base64 0.7 s, both on the calling
// thread (measured with node, one upload). So a large body is parsed and
// decoded in a worker thread, and the decoded bytes come back transferred,
// not copied; the event loop only concatenates the request's chunks and
// copies the body once into the worker's message. Small
// bodies (votes, typed prompts) are parsed inline by fastify's own parser.

/** Bodies from this size on are parsed in a worker. */
export const workerParseFromBytes = 256 * 1024;

/** Worker parses run at most this many at once; this many more wait; beyond that a request is refused (429). */
const maxParsing = 2;
const maxWaiting = 8;

/** Where the decoded upload travels beside the parsed body (a symbol: invisible to schema validation and to JSON). */
export const decodedUpload = Symbol('evalgate.arena.decodedUpload');

/**
 * Why `text` is not strict base64 of at most `maxBytes` bytes, or undefined
 * when it is (the standard alphabet with `=` padding; no whitespace, no
 * URL-safe characters). Self-contained: its source also runs in the parse
 * worker, so there is one copy of the rule.
 */
export function base64Problem(text: string, maxBytes: number): string | undefined {
  if (text.length === 0) return 'media.dataBase64 is empty';
  if (text.length % 4 !== 0) return 'media.dataBase64 is not base64 (its length is not a multiple of 4)';
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = (text.length / 4) * 3 - padding;
  if (bytes > maxBytes) return `the upload is ${bytes} bytes; at most ${maxBytes} are accepted (arena.maxUploadBytes)`;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return 'media.dataBase64 is not base64 (standard alphabet with = padding)';
  return undefined;
}

/** Keys JSON must not define (fastify's own parser refuses them too: prototype poisoning). */
function poisoned(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const k of Object.keys(value)) {
    if (k === '__proto__' || k === 'constructor') return true;
    if (poisoned((value as Record<string, unknown>)[k])) return true;
  }
  return false;
}

// CommonJS, as eval workers are; the two helpers above are spliced in by their source.
const workerSource = `
const { parentPort } = require('node:worker_threads');
const base64Problem = ${base64Problem.toString()};
const poisoned = ${poisoned.toString()};
parentPort.once('message', ({ body, maxBytes }) => {
  try {
    const parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    const media = parsed && typeof parsed === 'object' ? parsed.media : undefined;
    let bytes = null;
    if (media && typeof media === 'object' && typeof media.dataBase64 === 'string') {
      const problem = base64Problem(media.dataBase64, maxBytes);
      if (problem) return parentPort.postMessage({ problem });
      const decoded = Buffer.from(media.dataBase64, 'base64');
      bytes = new Uint8Array(decoded.byteLength);
      bytes.set(decoded);
      media.dataBase64 = '';
    }
    if (poisoned(parsed)) return parentPort.postMessage({ problem: 'the body defines __proto__ or constructor' });
    parentPort.postMessage({ parsed, bytes }, bytes ? [bytes.buffer] : []);
  } catch (err) {
    parentPort.postMessage({ problem: 'the body is not valid JSON: ' + err.message });
  }
});
`;

let parsing = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (parsing >= maxParsing) {
    if (waiting.length >= maxWaiting)
      throw new EvalgateError('EVALGATE_ERR_RATE_LIMITED', { detail: 'too many arena uploads are being read now; retry in a few seconds' });
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  parsing++;
  return () => {
    parsing--;
    waiting.shift()?.();
  };
}

/**
 * Parses a large battle body in a worker thread: the parsed object with
 * `media.dataBase64` emptied and the decoded bytes under {@link decodedUpload}.
 * Bad JSON or bad base64 is EVALGATE_ERR_BAD_INPUT.
 */
export async function parseBattleBodyInWorker(body: Buffer, maxUploadBytes: number): Promise<unknown> {
  const release = await slot();
  const worker = new Worker(workerSource, { eval: true });
  try {
    const reply = await new Promise<{ parsed?: Record<string, unknown>; bytes?: Uint8Array | null; problem?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the body parser exited with code ${code}`)));
      // Copied, not transferred: the body's memory may be shared with buffers the HTTP server still holds
      // (one memcpy, about 10 ms for the largest body).
      worker.postMessage({ body, maxBytes: maxUploadBytes });
    });
    if (reply.problem !== undefined) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: reply.problem });
    const parsed = reply.parsed;
    const media = parsed?.media as Record<string | symbol, unknown> | undefined;
    if (reply.bytes && media) media[decodedUpload] = reply.bytes;
    return parsed;
  } finally {
    release();
    void worker.terminate();
  }
}
