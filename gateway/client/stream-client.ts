import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { EvalgateError, errorFromWire } from '../errors.js';

// The wire types are the server's own (gateway/live/native-wire.ts), imported
// as types only: the client pulls no server code at runtime.
import type {
  NativeClientMessage,
  NativeFinal,
  NativeLatency,
  NativeSampleRef,
  NativeServerMessage,
  NativeSessionSummary,
  NativeTurnDetectionRequest,
} from '../live/native-wire.js';

/** Latency of one utterance, as the gateway measured it. */
export type StreamLatency = NativeLatency;

/** Server messages of the native protocol (docs/protocol.md). */
export type StreamServerMessage = NativeServerMessage;

/** The final result of one utterance. */
export type StreamFinal = NativeFinal;

/** Session-level summary sent before a clean close. */
export type StreamSummary = NativeSessionSummary;

/** A dataset sample reference. */
export type StreamSampleRef = NativeSampleRef;

/** How to connect. */
export interface StreamClientOptions {
  /** Gateway base URL (http://, https://, ws:// or wss://). */
  readonly url: string;
  /** Model id from the gateway configuration. */
  readonly model: string;
  /** API key (sent as `Authorization: Bearer`). */
  readonly apiKey?: string;
  /** Resume this session instead of opening a new one. */
  readonly resumeSessionId?: string;
  /** A configured local ASR expert that hears a model answering in speech (its transcript is the answer scored). */
  readonly asrModel?: string;
  /** Extra TLS trust (PEM), e.g. a self-signed gateway certificate. */
  readonly ca?: string | Buffer;
  /** Abort connecting. */
  readonly signal?: AbortSignal;
}

const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** A socket error while connecting; nothing listening at the address becomes EVALGATE_ERR_GATEWAY_UNREACHABLE, naming host and port. */
function connectError(err: Error, u: URL): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (!code || !unreachable.has(code)) return err;
  const port = u.port || (u.protocol === 'wss:' ? '443' : '80');
  return new EvalgateError('EVALGATE_ERR_GATEWAY_UNREACHABLE', { host: u.hostname, port, detail: code }, { cause: err });
}

/**
 * Typed client of the native protocol. Audio goes as binary PCM16 frames;
 * results arrive as `response.final` messages (see `nextFinal`).
 */
export class StreamClient extends EventEmitter<{ message: [StreamServerMessage]; close: [number, string] }> {
  readonly #ws: WebSocket;
  readonly #finals: StreamFinal[] = [];
  readonly #waiters: { resolve: (f: StreamFinal) => void; reject: (e: Error) => void }[] = [];
  #closed: { code: number; reason: string } | undefined;
  /** Session id (from `session.ready`). */
  sessionId = '';

  private constructor(ws: WebSocket) {
    super();
    this.#ws = ws;
  }

  /** Connects and waits for `session.ready`. */
  static connect(opts: StreamClientOptions): Promise<StreamClient> {
    const u = new URL(opts.url.replace(/^http/, 'ws'));
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/stream`;
    u.searchParams.set('model', opts.model);
    if (opts.resumeSessionId) u.searchParams.set('session', opts.resumeSessionId);
    if (opts.asrModel) u.searchParams.set('asr_model', opts.asrModel);
    const ws = new WebSocket(u, {
      headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    const client = new StreamClient(ws);
    return new Promise<StreamClient>((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      opts.signal?.addEventListener('abort', () => ws.terminate(), { once: true });
      ws.once('error', (err) => fail(connectError(err, u)));
      ws.once('unexpected-response', (_req, res) => {
        if (res.statusCode === 401) {
          const detail = opts.apiKey ? 'the API key was rejected (HTTP 401)' : 'no API key was sent (HTTP 401)';
          fail(new EvalgateError('EVALGATE_ERR_API_KEY_REJECTED', { url: opts.url, detail }));
        } else fail(new Error(`gateway refused the connection: HTTP ${res.statusCode}`));
        res.resume();
        ws.terminate();
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(data.toString()) as StreamServerMessage;
        client.#onMessage(msg);
        if (msg.type === 'session.ready') {
          client.sessionId = msg.sessionId;
          ws.off('error', fail);
          ws.on('error', () => undefined);
          resolve(client);
        } else if (msg.type === 'error' && !client.sessionId) fail(errorFromWire(msg.code, msg.message));
      });
      ws.on('close', (code, reason) => {
        client.#closed = { code, reason: reason.toString() };
        for (const w of client.#waiters.splice(0)) w.reject(new Error(`connection closed (${code} ${reason.toString()})`));
        client.emit('close', code, reason.toString());
        fail(new Error(`connection closed before the session was ready (${code} ${reason.toString()})`));
      });
    });
  }

  #onMessage(msg: StreamServerMessage): void {
    if (msg.type === 'response.final') {
      const w = this.#waiters.shift();
      if (w) w.resolve(msg);
      else this.#finals.push(msg);
    }
    this.emit('message', msg);
  }

  #send(msg: NativeClientMessage): void {
    this.#ws.send(JSON.stringify(msg));
  }

  /** Sets the audio format, turn detection and an optional stream-level sample binding. */
  configure(opts: { sampleRateHz?: 16000 | 24000; turnDetection?: NativeTurnDetectionRequest; sample?: StreamSampleRef } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const on = (m: StreamServerMessage): void => {
        if (m.type === 'configured') {
          this.off('message', on);
          resolve();
        } else if (m.type === 'error') {
          this.off('message', on);
          reject(errorFromWire(m.code, m.message));
        }
      };
      this.on('message', on);
      this.#send({
        type: 'configure',
        format: { encoding: 'pcm16', sampleRateHz: opts.sampleRateHz ?? 16000 },
        turnDetection: opts.turnDetection ?? 'manual',
        ...(opts.sample ? { sample: opts.sample } : {}),
      });
    });
  }

  /** Sends PCM16 mono audio at the configured rate; resolves when the socket has taken it (backpressure). */
  sendAudio(pcm: Int16Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#ws.send(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), { binary: true }, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Ends the utterance and asks for a response, optionally scored against a sample. */
  commit(opts: { sample?: StreamSampleRef; respond?: boolean } = {}): void {
    this.#send({ type: 'commit', ...opts });
  }

  /** Adds a text part to the next response. */
  text(text: string): void {
    this.#send({ type: 'text', text });
  }

  /** Adds an image to the next response. */
  image(data: Uint8Array, mimeType: string): void {
    this.#send({ type: 'image', mimeType, data: Buffer.from(data).toString('base64') });
  }

  /** Adds a stored sample's video (and a question) to the next response. */
  video(ref: StreamSampleRef, question?: string): void {
    this.#send({ type: 'video', ...ref, ...(question ? { question } : {}) });
  }

  /** Asks for a response over the text/image/video parts sent so far. */
  respond(opts: { sample?: StreamSampleRef } = {}): void {
    this.#send({ type: 'respond', ...opts });
  }

  /** Cancels the response in progress. */
  cancel(): void {
    this.#send({ type: 'cancel' });
  }

  /** Drops uncommitted audio. */
  clear(): void {
    this.#send({ type: 'clear' });
  }

  /** The next utterance result, in order. */
  nextFinal(): Promise<StreamFinal> {
    const f = this.#finals.shift();
    if (f) return Promise.resolve(f);
    if (this.#closed) return Promise.reject(new Error(`connection closed (${this.#closed.code})`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Ends the session cleanly: waits for pending results, returns the summary. */
  end(): Promise<StreamSummary> {
    return new Promise((resolve, reject) => {
      const on = (m: StreamServerMessage): void => {
        if (m.type === 'session.summary') {
          this.off('message', on);
          resolve(m.summary);
        }
      };
      this.on('message', on);
      this.once('close', (code) => reject(new Error(`closed (${code}) before the summary`)));
      this.#send({ type: 'end' });
    });
  }

  /** Closes the socket (1000 ends the session; `drop()` keeps it resumable). */
  close(): void {
    this.#ws.close(1000);
  }

  /** Drops the connection abruptly, leaving the session resumable. */
  drop(): void {
    this.#ws.terminate();
  }
}
