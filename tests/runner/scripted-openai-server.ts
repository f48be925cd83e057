import type { ServerResponse } from 'node:http';
import { defined } from '../helpers/defined.js';
import { openAiErrorType, readBody, sendOpenAiError, startOpenAiTestServer } from '../helpers/openai-test-server.js';

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

  const server = await startOpenAiTestServer(
    async (req, res) => {
      const body = JSON.parse(await readBody(req)) as { model?: string; stream?: boolean; messages?: { content?: unknown }[] };
      bodies.push(body);
      const key = keyOf(body);
      const text = key ? opts.answers[key] : undefined;
      if (!key || text === undefined) {
        sendOpenAiError(res, 400, { message: 'no [sample:KEY] marker in the prompt', type: 'invalid_request_error', param: 'messages' });
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
        const headers: Record<string, string> = {};
        if (step.retryAfterS !== undefined) headers['retry-after'] = String(step.retryAfterS);
        sendOpenAiError(res, step.status, { message: `scripted ${step.status}`, type: openAiErrorType(step.status) }, headers);
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
    },
    { keepAliveTimeoutMs: 60_000 },
  );
  return {
    baseUrl: server.baseUrl,
    requests,
    bodies,
    answered,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}
