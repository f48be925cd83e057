import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the scripted server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The raw body text, exactly as sent. */
  readonly bodyText: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly body: unknown;
}

/** What the server does with the next request. */
export type Reply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> }
  | { readonly kind: 'text'; readonly status: number; readonly body: string; readonly headers?: Record<string, string> }
  /** Writes these raw SSE chunks, then ends (or destroys the socket when `drop`). */
  | { readonly kind: 'sse'; readonly chunks: readonly string[]; readonly drop?: boolean }
  /** Destroys the socket without answering. */
  | { readonly kind: 'drop' }
  /** Never answers; resolves `closed` when the client goes away. */
  | { readonly kind: 'hang' };

/**
 * A real HTTP server on port 0 that answers each request with the next
 * scripted reply and records what it received, so tests check the exact
 * bytes an adapter sends.
 */
export class ScriptedHttpServer {
  readonly requests: RecordedRequest[] = [];
  readonly #replies: Reply[] = [];
  readonly #server: Server;
  #received: Array<() => void> = [];
  #clientClosed: Array<() => void> = [];

  private constructor() {
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  static async start(): Promise<ScriptedHttpServer> {
    const s = new ScriptedHttpServer();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Queues replies, used in order. */
  script(...replies: Reply[]): void {
    this.#replies.push(...replies);
  }

  /** Resolves once the server has received a request (for abort tests). */
  nextRequestReceived(): Promise<void> {
    return new Promise((resolve) => this.#received.push(resolve));
  }

  /** Resolves when a hung request's client disconnects. */
  clientClosed(): Promise<void> {
    return new Promise((resolve) => this.#clientClosed.push(resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const bodyText = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      body = undefined;
    }
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyText, body });
    for (const r of this.#received.splice(0)) r();
    const reply = this.#replies.shift() ?? { kind: 'text', status: 599, body: 'no reply scripted' };
    switch (reply.kind) {
      case 'json':
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.body));
        return;
      case 'text':
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body);
        return;
      case 'sse':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (const c of reply.chunks) {
          res.write(c);
          // Separate TCP writes so the client really parses across chunk boundaries.
          await new Promise((r) => setImmediate(r));
        }
        if (reply.drop) res.socket?.destroy();
        else res.end();
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'hang':
        res.on('close', () => {
          for (const r of this.#clientClosed.splice(0)) r();
        });
        return;
    }
  }
}

/** Formats JSON objects as SSE `data:` events, optionally ending with `[DONE]`. */
export function sseData(events: readonly unknown[], done = true): string[] {
  const out = events.map((e) => `data: ${JSON.stringify(e)}\n\n`);
  if (done) out.push('data: [DONE]\n\n');
  return out;
}
