import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defined } from '../helpers/defined.js';

/**
 * What the server does with one request for a sample:
 * - `ok`: answer (after `delayMs`, default the server's latency);
 * - `{status}`: an OpenAI-style error body with that HTTP status (and `Retry-After` when `retryAfterS` is set);
 * - `slow`: answer only after `delayMs` (set it beyond the client's timeout);
 * - `drop`: destroy the socket without answering.
 */
export type ScriptStep =
  | 'ok'
  | 'drop'
  | { readonly kind: 'ok'; readonly delayMs: number }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'error'; readonly status: number; readonly retryAfterS?: number };

/** Server settings. */
export interface ScriptedServerOptions {
  /** The answer text per sample key. */
  readonly answers: Readonly<Record<string, string>>;
  /** Steps per sample key, one per request in order; the last one repeats. Unlisted samples answer `ok`. */
  readonly scripts?: Readonly<Record<string, readonly ScriptStep[]>>;
  /** Latency of an `ok` answer, ms. */
  readonly latencyMs?: number;
}

/** A running scripted server. */
export interface ScriptedServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** Requests received per sample key (every request, including faulted ones). */
  readonly requests: Map<string, number>;
  /** Bodies of every request, in arrival order. */
  readonly bodies: unknown[];
  /** The answers actually sent with a 2xx, per sample key (last one wins). */
  readonly answered: Map<string, string>;
  /** Stops the server and drops open sockets. */
  close(): Promise<void>;
}

/** The sample key is carried in the prompt as `[sample:KEY]`. */
export const sampleMarker = (key: string): string => `[sample:${key}]`;

function keyOf(body: { messages?: { content?: unknown }[] }): string | undefined {
  for (const m of body.messages ?? []) {
    const texts =
      typeof m.content === 'string'
        ? [m.content]
        : Array.isArray(m.content)
          ? (m.content as { type?: string; text?: string }[]).filter((p) => p.type === 'text').map((p) => p.text ?? '')
          : [];
    for (const t of texts) {
      const match = /\[sample:([^\]]+)\]/.exec(t);
      if (match) return match[1];
    }
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function completion(model: string, text: string, n: number): Record<string, unknown> {
  return {
    id: `chatcmpl-scripted${n}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: Math.max(1, text.split(/\s+/).length), total_tokens: 11 },
    system_fingerprint: null,
  };
}

function sendStream(res: ServerResponse, model: string, text: string, n: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const base = { id: `chatcmpl-scripted${n}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: null };
  const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }, null));
  for (const piece of text.match(/\S+\s*/g) ?? []) res.write(chunk({ content: piece }, null));
  res.write(chunk({}, 'stop'));
  res.end('data: [DONE]\n\n');
}

/**
 * An OpenAI-compatible chat-completions server that injects faults per
 * sample: the exact wire format of `POST /v1/chat/completions` (JSON and SSE
 * streaming), OpenAI-shaped error bodies, `Retry-After` on 429, slow answers
 * and dropped connections. Real sockets on port 0.
 */
export async function startScriptedServer(opts: ScriptedServerOptions): Promise<ScriptedServer> {
  const requests = new Map<string, number>();
  const answered = new Map<string, string>();
  const bodies: unknown[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let served = 0;
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      const body = JSON.parse(await readBody(req)) as { model?: string; stream?: boolean; messages?: { content?: unknown }[] };
      bodies.push(body);
      const key = keyOf(body);
      const text = key ? opts.answers[key] : undefined;
      if (!key || text === undefined) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'no [sample:KEY] marker in the prompt', type: 'invalid_request_error', param: 'messages', code: null } }));
        return;
      }
      const n = (requests.get(key) ?? 0) + 1;
      requests.set(key, n);
      const script = opts.scripts?.[key] ?? ['ok'];
      // The last step repeats; an empty script is a mistake in the test, said here.
      const step = defined(script[Math.min(n, script.length) - 1], `a scripted step for ${key}`);
      if (step === 'drop') {
        req.socket.destroy();
        return;
      }
      if (typeof step === 'object' && step.kind === 'error') {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (step.retryAfterS !== undefined) headers['retry-after'] = String(step.retryAfterS);
        res.writeHead(step.status, headers);
        const type = step.status === 429 ? 'rate_limit_exceeded' : step.status >= 500 ? 'server_error' : 'invalid_request_error';
        res.end(JSON.stringify({ error: { message: `scripted ${step.status}`, type, param: null, code: null } }));
        return;
      }
      const delayMs = typeof step === 'object' ? step.delayMs : (opts.latencyMs ?? 0);
      if (delayMs > 0) await wait(delayMs);
      if (res.destroyed || req.socket.destroyed) return; // the client gave up (timeout): nothing was delivered
      served++;
      answered.set(key, text);
      if (body.stream) sendStream(res, body.model ?? 'scripted', text, served);
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completion(body.model ?? 'scripted', text, served)));
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err), type: 'server_error', param: null, code: null } }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    bodies,
    answered,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
