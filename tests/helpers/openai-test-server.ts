import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A listening test server and how to stop it. */
export interface OpenAiTestServer {
  /** Base URL, `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** Stops the server, dropping open (keep-alive) sockets so it closes at once. */
  close(): Promise<void>;
}

/** The `type` OpenAI puts in an error body for an HTTP status. */
export function openAiErrorType(status: number): string {
  return status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** Sends an OpenAI-shaped error body (`{ error: { message, type, param, code } }`). */
export function sendOpenAiError(
  res: ServerResponse,
  status: number,
  error: { readonly message: string; readonly type: string; readonly param?: string | null },
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message: error.message, type: error.type, param: error.param ?? null, code: null } }));
}

/** Reads a request body as UTF-8. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The socket side the scripted OpenAI-compatible servers (runner and judge
 * tests) share: a real server on 127.0.0.1 port 0 that answers 404 off
 * `POST …/chat/completions`, turns a handler's throw into an OpenAI-shaped
 * 500, and on close drops the sockets clients keep alive.
 */
export async function startOpenAiTestServer(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  opts: { readonly keepAliveTimeoutMs?: number } = {},
): Promise<OpenAiTestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        sendOpenAiError(res, 404, { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' });
        return;
      }
      await handle(req, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err), type: 'server_error', param: null, code: null } }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
