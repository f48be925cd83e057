import type { FastifyRequest } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import { EvalgateError, isEvalgateError } from '../errors.js';
import { liveScoresVisible } from '../compare/sealed-view.js';
import type { LiveEvent } from './live-event.js';
import { asrModelParam } from './live-hearing.js';
import type { LiveSession } from './live-session.js';
import type { SessionRegistry } from './session-registry.js';

/** What a protocol may do to its socket. */
export interface SocketControl {
  /** Sends the replies so far, then closes the socket. */
  close(code: number, reason: string): void;
}

/** Translates one wire protocol to and from a LiveSession. */
export interface WireProtocol {
  /** `realtime` or `native`, as stored. */
  readonly name: 'realtime' | 'native';
  /** Config stored with the session row. */
  readonly sessionConfig: Record<string, unknown>;
  /** Messages sent once the session is open (or resumed). */
  greeting(session: LiveSession, info: { resumed: boolean; dropped: number }): object[];
  /** Handles a text frame; returns protocol-only replies (acknowledgements) to send at once. */
  handleText(session: LiveSession, data: string, ctx: SocketControl): Promise<object[] | void>;
  /** Handles a binary frame. */
  handleBinary(session: LiveSession, data: Buffer): Promise<object[] | void>;
  /** Wire messages for a session event. */
  render(ev: LiveEvent): object[];
  /** Whether this error ends the socket (with its registry close code) rather than becoming an error event. */
  closesOn(err: EvalgateError): boolean;
}

/** More consecutive bad messages than this close the socket with the last error's code. */
const maxConsecutiveErrors = 20;
/** Inbound messages queued before the socket stops reading (wait policy). */
const maxInboundQueue = 64;

/** The session's ASR expert (`?asr_model=<id>`), read here so every live route takes it. */
function asrModelOf(query: unknown): string | undefined {
  const v = (query as Record<string, unknown> | undefined)?.[asrModelParam];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${asrModelParam} must be given once`, param: asrModelParam });
  return v;
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Runs one WebSocket against a session: opens or resumes it, serialises
 * inbound frames (pausing the socket when they pile up), applies the outbound
 * policy (drop deltas above the soft bound, disconnect above the hard bound),
 * and hands the session back to the registry when the socket ends.
 */
export function runLiveSocket(opts: {
  socket: WebSocket;
  request: FastifyRequest;
  registry: SessionRegistry;
  protocol: WireProtocol;
  modelId: string | undefined;
  resumeId: string | undefined;
  onDropped: () => void;
}): void {
  const { socket, registry, protocol } = opts;
  const limits = registry.limits;
  const pauses = new Set<string>();
  const setPaused = (reason: string, paused: boolean): void => {
    const before = pauses.size > 0;
    if (paused) pauses.add(reason);
    else pauses.delete(reason);
    if (!before && pauses.size > 0) socket.pause();
    else if (before && pauses.size === 0 && socket.readyState === socket.OPEN) socket.resume();
  };
  // The write-behind queue is full: stop reading until it drains (wait policy).
  const stopWritePressure = registry.onWritePressure((full) => setPaused('db', full));
  let ended = false;
  let closedByServer: number | undefined;
  const closeSocket = (code: number, reason: string): void => {
    ended = true;
    closedByServer ??= code;
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason.slice(0, 120));
  };
  // Every message sent in one turn of the event loop leaves in one write: ws writes each
  // frame separately, and a syscall per message was the largest CPU cost under load.
  const net = opts.request.raw.socket;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    net.uncork();
  };
  const sendRaw = (msg: object): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (!corked) {
      corked = true;
      net.cork();
      process.nextTick(uncork);
    }
    socket.send(JSON.stringify(msg));
  };
  let session: LiveSession | undefined;
  const sink = (ev: LiveEvent): void => {
    if (ended || socket.readyState !== socket.OPEN) return;
    const buffered = socket.bufferedAmount;
    if (buffered > limits.outboundHardBytes) {
      const e = new EvalgateError('EVALGATE_ERR_BUFFER_FULL', {
        detail: `the client is not reading (${buffered} bytes unsent); reconnect with the session id to resume`,
      });
      closeSocket(e.wsCloseCode, e.message);
      return;
    }
    // Streamed pieces only: the final event carries the whole text, and a spoken reply is heard from the gateway's own copy.
    if ((ev.type === 'delta' || ev.type === 'audio_delta') && buffered > limits.outboundSoftBytes) return opts.onDropped();
    for (const m of protocol.render(ev)) sendRaw(m);
  };

  // Frames that arrive while the session is being opened are queued behind it.
  let chain: Promise<void> = (async () => {
    const auth = opts.request.auth;
    try {
      const opened = await registry.open(
        {
          modelId: opts.modelId,
          protocol: protocol.name,
          keyId: auth?.keyId ?? null,
          canSeeScores: (sealed) => liveScoresVisible(auth?.scopes ?? [], sealed),
          resumeId: opts.resumeId,
          asrModelId: asrModelOf(opts.request.query),
          config: protocol.sessionConfig,
          onBackpressure: (p) => setPaused('vad', p),
        },
        closeSocket,
      );
      session = opened.session;
      const dropped = session.attach(() => undefined);
      session.detach();
      for (const m of protocol.greeting(session, { resumed: opened.resumed, dropped })) sendRaw(m);
      session.attach(sink);
    } catch (err) {
      const e = isEvalgateError(err) ? err : new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: (err as Error).message });
      if (e.httpStatus >= 500) opts.request.log.error({ err }, 'live session failed to open');
      for (const m of protocol.render({ type: 'error', code: e.code, message: e.message })) sendRaw(m);
      closeSocket(e.wsCloseCode, e.message);
    }
  })();

  let closeAfter: { code: number; reason: string } | undefined;
  const control = { close: (code: number, reason: string) => void (closeAfter = { code, reason }) };
  let queued = 0;
  let consecutiveErrors = 0;
  socket.on('message', (data: RawData, isBinary: boolean) => {
    queued++;
    if (queued === maxInboundQueue) setPaused('inbound', true);
    chain = chain.then(async () => {
      try {
        if (!session || ended) return;
        const replies = isBinary
          ? await protocol.handleBinary(session, rawToBuffer(data))
          : await protocol.handleText(session, rawToBuffer(data).toString('utf8'), control);
        for (const m of replies ?? []) sendRaw(m);
        if (closeAfter) closeSocket(closeAfter.code, closeAfter.reason);
        consecutiveErrors = 0;
      } catch (err) {
        const e = isEvalgateError(err) ? err : new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: (err as Error).message });
        if (e.httpStatus >= 500) opts.request.log.error({ err }, 'live message failed');
        if (!session) return;
        session.reportError(e, (err as { clientEventId?: string }).clientEventId);
        if (protocol.closesOn(e) || ++consecutiveErrors > maxConsecutiveErrors) closeSocket(e.wsCloseCode, e.message);
      } finally {
        queued--;
        if (queued === maxInboundQueue / 2) setPaused('inbound', false);
      }
    });
  });
  socket.on('close', (code: number) => {
    ended = true;
    stopWritePressure();
    void chain.then(() => {
      // Only a dropped connection (or a client we stopped for not reading, 1013) stays resumable;
      // a session we closed for a protocol error ends like a clean close.
      const clean = code === 1000 || (closedByServer !== undefined && closedByServer !== 1013);
      if (session) registry.release(session, { clean, closeSocket });
    });
  });
  socket.on('error', (err) => opts.request.log.debug({ err }, 'live socket error'));
}
