import type WebSocket from 'ws';
import { parseRetryAfterMs, ModelCallError } from '../spec/model-call-error.js';
import type { RealtimeConnection, RealtimeUpstreamEvent } from '../spec/realtime-model-v1.js';
import { pcm16Bytes, toBase64 } from '../media/media-encoding.js';
import { RealtimeEventTranslator } from './realtime-protocol.js';

/** Events buffered before the socket is paused (backpressure: the upstream waits, nothing is dropped). */
export const realtimeQueueHighWater = 256;
/** Samples per `input_audio_buffer.append`, well under the 15 MiB event limit (about 10.9 s at 24 kHz). */
const maxSamplesPerAppend = 262_144;

/** How to open the upstream socket. */
export interface OpenRealtimeSocketOptions {
  /** `ws://` or `wss://` URL with the model query. */
  readonly url: string;
  /** Handshake headers (auth, beta flag). */
  readonly headers: Readonly<Record<string, string>>;
  /** Closes the socket, before or after it opens. */
  readonly signal?: AbortSignal;
}

/**
 * Opens the socket and resolves once it is open. A refused handshake becomes
 * a ModelCallError with the HTTP status (401 is not retryable, 429 is, with
 * its Retry-After); a network failure or an abort is retryable.
 */
export async function openRealtimeSocket(opts: OpenRealtimeSocketOptions): Promise<WebSocket> {
  const { default: WebSocketCtor } = await import('ws');
  opts.signal?.throwIfAborted();
  const ws = new WebSocketCtor(opts.url, { headers: { ...opts.headers } });
  return new Promise<WebSocket>((resolve, reject) => {
    const onAbort = (): void => {
      ws.terminate();
      reject(new ModelCallError(`Realtime connection aborted (${String(opts.signal?.reason)})`, { retryable: true, cause: opts.signal?.reason }));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      opts.signal?.removeEventListener('abort', onAbort);
      ws.removeAllListeners('open').removeAllListeners('unexpected-response');
    };
    ws.once('open', () => {
      settle();
      ws.removeAllListeners('error');
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      settle();
      // terminate() below emits an error for the aborted handshake; it is already reported by the rejection.
      ws.on('error', () => undefined);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 2000);
        reject(
          new ModelCallError(`Realtime handshake refused with HTTP ${res.statusCode}`, {
            statusCode: res.statusCode,
            retryAfterMs: parseRetryAfterMs(res.headers['retry-after'] as string | undefined),
            responseBody: body,
          }),
        );
        ws.terminate();
      });
    });
    ws.once('error', (err) => {
      settle();
      reject(new ModelCallError(`Realtime connection failed (${err.message})`, { retryable: true, cause: err }));
    });
  });
}

/**
 * One live upstream connection: client events out, normalised events in
 * through a bounded queue. When the consumer falls behind, the socket is
 * paused (TCP backpressure reaches the upstream) rather than buffering
 * without limit or dropping transcript text.
 */
export class OpenAiRealtimeConnection implements RealtimeConnection {
  readonly #ws: WebSocket;
  readonly #translator = new RealtimeEventTranslator();
  readonly #queue: RealtimeUpstreamEvent[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #closedByUs = false;
  #paused = false;
  #consumed = false;

  constructor(ws: WebSocket, signal?: AbortSignal) {
    this.#ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        this.#push({ type: 'error', message: 'upstream sent a frame that is not JSON', code: 'malformed_event' });
        return;
      }
      for (const ev of this.#translator.translate(parsed)) this.#push(ev);
    });
    ws.on('error', (err) => this.#push({ type: 'error', message: `upstream socket error: ${err.message}`, code: 'upstream_error' }));
    ws.on('close', (code, reason) => {
      if (!this.#closedByUs && code !== 1000) {
        this.#push({
          type: 'error',
          message: `upstream closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ''})`,
          code: 'upstream_closed',
        });
      }
      this.#ended = true;
      this.#wake?.();
    });
    signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Sends one raw client event (for events this interface does not name, e.g. `conversation.item.create`). */
  send(event: Record<string, unknown>): void {
    if (this.#ws.readyState !== this.#ws.OPEN) {
      throw new ModelCallError('Realtime upstream connection is closed', { retryable: true });
    }
    this.#ws.send(JSON.stringify(event));
  }

  appendAudio(pcm16: Int16Array): void {
    for (let i = 0; i < pcm16.length; i += maxSamplesPerAppend) {
      const slice = pcm16.subarray(i, Math.min(pcm16.length, i + maxSamplesPerAppend));
      this.send({ type: 'input_audio_buffer.append', audio: toBase64(pcm16Bytes(slice)) });
    }
  }

  commit(opts: { responseEventId?: string } = {}): void {
    this.send({ type: 'input_audio_buffer.commit' });
    this.send({ type: 'response.create', ...(opts.responseEventId ? { event_id: opts.responseEventId } : {}) });
  }

  clear(): void {
    this.send({ type: 'input_audio_buffer.clear' });
  }

  cancel(): void {
    this.send({ type: 'response.cancel' });
  }

  async *events(): AsyncIterable<RealtimeUpstreamEvent> {
    if (this.#consumed) throw new Error('events() of a realtime connection can be iterated only once');
    this.#consumed = true;
    for (;;) {
      const ev = this.#queue.shift();
      if (ev) {
        if (this.#paused && this.#queue.length <= realtimeQueueHighWater / 2) {
          this.#paused = false;
          this.#ws.resume();
        }
        yield ev;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === this.#ws.CLOSED) return;
    this.#closedByUs = true;
    const closed = new Promise<void>((resolve) => this.#ws.once('close', () => resolve()));
    if (this.#paused) this.#ws.resume();
    this.#ws.close(1000);
    // A peer that never answers the close handshake must not hold us: ws's own timer terminates after 30 s; ours after 2 s.
    const timer = setTimeout(() => this.#ws.terminate(), 2000);
    await closed;
    clearTimeout(timer);
  }

  #push(ev: RealtimeUpstreamEvent): void {
    this.#queue.push(ev);
    if (!this.#paused && this.#queue.length >= realtimeQueueHighWater && this.#ws.readyState === this.#ws.OPEN) {
      this.#paused = true;
      this.#ws.pause();
    }
    this.#wake?.();
  }
}
