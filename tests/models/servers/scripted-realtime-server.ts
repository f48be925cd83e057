import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One upstream connection as the scripted server saw it. */
export interface RealtimeSessionRecord {
  /** Path and query of the upgrade request. */
  readonly url: string;
  /** Handshake headers. */
  readonly headers: IncomingHttpHeaders;
  /** Client events received, parsed. */
  readonly received: Array<Record<string, unknown>>;
  /** The server side of the socket. */
  readonly socket: WebSocket;
  /** Resolves when the client closes. */
  readonly closed: Promise<number>;
}

/** Reacts to each client event; send server events with `send`. */
export type RealtimeScript = (event: Record<string, unknown>, send: (ev: unknown) => void, session: RealtimeSessionRecord) => void;

/**
 * A real WebSocket server on port 0 playing an OpenAI Realtime upstream:
 * it records the handshake and every client event and answers per script.
 * `refuse` makes the next handshake fail with an HTTP status.
 */
export class ScriptedRealtimeServer {
  readonly sessions: RealtimeSessionRecord[] = [];
  script: RealtimeScript = () => undefined;
  refuse: { status: number; headers?: Record<string, string>; body?: string } | undefined;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  #waiters: Array<(s: RealtimeSessionRecord) => void> = [];

  private constructor() {
    this.#http = createServer();
    this.#wss = new WebSocketServer({ noServer: true });
    this.#http.on('upgrade', (req, socket, head) => {
      const refuse = this.refuse;
      if (refuse) {
        this.refuse = undefined;
        const body = refuse.body ?? JSON.stringify({ error: { message: 'refused', type: 'invalid_request_error' } });
        const extra = Object.entries(refuse.headers ?? {})
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        socket.end(`HTTP/1.1 ${refuse.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        let onClose!: (code: number) => void;
        const closed = new Promise<number>((resolve) => (onClose = resolve));
        const record: RealtimeSessionRecord = { url: req.url ?? '', headers: req.headers, received: [], socket: ws, closed };
        ws.on('close', (code) => onClose(code));
        this.sessions.push(record);
        const send = (ev: unknown): void => ws.send(JSON.stringify(ev));
        ws.on('message', (data) => {
          const ev = JSON.parse(data.toString()) as Record<string, unknown>;
          record.received.push(ev);
          this.script(ev, send, record);
        });
        for (const w of this.#waiters.splice(0)) w(record);
      });
    });
  }

  static async start(): Promise<ScriptedRealtimeServer> {
    const s = new ScriptedRealtimeServer();
    await new Promise<void>((resolve) => s.#http.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** `http://127.0.0.1:PORT` (the adapter turns it into ws://). */
  get url(): string {
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  /** Resolves with the next session to connect. */
  nextSession(): Promise<RealtimeSessionRecord> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }
}
