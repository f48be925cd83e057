import type { FastifyBaseLogger } from 'fastify';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import { requireModelConfig } from '../config/find-model-config.js';
import type { Store } from '../store/open-store.js';
import { asrModelParam, liveSpeechExpertFor, liveSpokenMediaDir, type LiveHearing } from './live-hearing.js';
import type { LiveLimits } from './live-limits.js';
import type { LiveMetrics } from './live-metrics.js';
import { resolveLiveModel } from './live-model.js';
import { LiveSession } from './live-session.js';
import { LiveJournal } from './live-journal.js';
import { LiveWriteQueue } from './live-write-queue.js';
import { startSessionHeartbeat } from './session-heartbeat.js';
import { SessionWriter } from './session-writer.js';

/** A session and who holds it. */
interface Entry {
  readonly session: LiveSession;
  readonly keyId: string | null;
  readonly protocol: 'realtime' | 'native';
  /** Closes the attached socket (with a code), when one is attached. */
  closeSocket: ((code: number, reason: string) => void) | undefined;
  graceTimer: NodeJS.Timeout | undefined;
}

/** What opening a session needs. */
export interface OpenSessionRequest {
  /** Model id from the query string. */
  readonly modelId: string | undefined;
  /** Wire protocol. */
  readonly protocol: 'realtime' | 'native';
  /** Caller's key row (null with auth off). */
  readonly keyId: string | null;
  /** Whether the caller may see scores of a sample of an open (false) or sealed (true) dataset. */
  readonly canSeeScores: (sealed: boolean) => boolean;
  /** Session id to resume, if any. */
  readonly resumeId?: string;
  /** Session config stored with the row. */
  readonly config: Record<string, unknown>;
  /** Configured id of the local ASR expert that hears a spoken model's replies (`asr_model`). */
  readonly asrModelId?: string;
  /** Pauses/resumes reading from the client socket. */
  readonly onBackpressure: (paused: boolean) => void;
}

/**
 * All live sessions of one app: enforces the session limits, keeps dropped
 * sessions resumable for a grace period, and drains everything on shutdown.
 */
export class SessionRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #store: Store;
  readonly #config: EvalgateConfig;
  readonly #limits: LiveLimits;
  readonly #metrics: LiveMetrics;
  readonly #log: FastifyBaseLogger;
  readonly #writes: LiveWriteQueue;
  readonly #pressureListeners = new Set<(full: boolean) => void>();
  #writesFull = false;
  #shuttingDown = false;
  #opening = 0;
  readonly #recovering: Promise<void>;
  /** Sessions being opened (accepted, not yet in #entries) per key. */
  readonly #openingByKey = new Map<string | null, number>();
  readonly #stopHeartbeat: () => Promise<void>;
  /** Loaded ASR experts by configured id. */
  readonly #experts = new Map<string, Promise<LiveHearing>>();

  constructor(opts: { store: Store; config: EvalgateConfig; limits: LiveLimits; metrics: LiveMetrics; log: FastifyBaseLogger; journalDir: string }) {
    this.#store = opts.store;
    this.#config = opts.config;
    this.#limits = opts.limits;
    this.#metrics = opts.metrics;
    this.#log = opts.log;
    this.#writes = new LiveWriteQueue(opts.store.db, {
      maxPendingRows: opts.limits.maxPendingWrites,
      journal: new LiveJournal(opts.journalDir),
      onBacklog: (rows) => this.#metrics.journalBacklog.set(rows),
      onError: (err) => {
        this.#log.error({ err }, 'live session write failed');
        this.#metrics.errors.inc({ code: 'EVALGATE_ERR_DB_UNAVAILABLE' });
      },
      onPressure: (full) => {
        this.#writesFull = full;
        for (const l of this.#pressureListeners) l(full);
      },
    });
    // Results a stopped gateway journaled during an outage and never wrote: replay them now.
    this.#recovering = this.#writes
      .recoverOrphans(
        (file, err) => this.#log.warn({ err, file }, 'skipped a torn live journal line'),
        (file, host) => this.#log.warn({ file, host, dir: opts.journalDir }, "left another host's live journal alone (a gateway on that host replays it)"),
      )
      .then(
        (n) => void (n > 0 && this.#log.info({ batches: n, dir: opts.journalDir }, 'replaying live results journaled by a stopped gateway')),
        (err: unknown) => this.#log.error({ err, dir: opts.journalDir }, 'could not read the live journal folder'),
      );
    // Stamps this process's sessions, and fails sessions that a killed gateway left open.
    this.#stopHeartbeat = startSessionHeartbeat(opts.store.db, () => [...this.#entries.keys()], {
      onError: (err) => this.#log.warn({ err }, 'stream session heartbeat failed'),
      onReaped: (ids) => this.#log.info({ sessions: ids }, 'marked stream sessions abandoned by a stopped gateway as failed'),
    });
  }

  /**
   * Subscribes to the write queue's pressure: `true` when it is full (stop
   * reading from the client), `false` once it has drained. Returns the unsubscribe.
   */
  onWritePressure(listener: (full: boolean) => void): () => void {
    this.#pressureListeners.add(listener);
    if (this.#writesFull) listener(true);
    return () => void this.#pressureListeners.delete(listener);
  }

  /** Writes every queued row (shutdown, tests). */
  flushWrites(): Promise<void> {
    return this.#writes.flush();
  }

  /** The limits in force. */
  get limits(): LiveLimits {
    return this.#limits;
  }

  /** Whether shutdown has begun (new sessions are refused). */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Open or resumable sessions. */
  get size(): number {
    return this.#entries.size;
  }

  /** A live session by id (for REST lookups). */
  get(id: string): LiveSession | undefined {
    return this.#entries.get(id)?.session;
  }

  /** Opens a new session or resumes a dropped one. */
  async open(
    req: OpenSessionRequest,
    closeSocket: (code: number, reason: string) => void,
  ): Promise<{ session: LiveSession; resumed: boolean; dropped: number }> {
    if (this.#shuttingDown) throw new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN');
    if (req.resumeId) {
      const e = this.#entries.get(req.resumeId);
      if (!e || e.keyId !== req.keyId || e.protocol !== req.protocol) {
        throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Resumable session', id: req.resumeId });
      }
      // A second connection for the same session replaces the first.
      e.closeSocket?.(4000, 'resumed elsewhere');
      clearTimeout(e.graceTimer);
      e.graceTimer = undefined;
      e.closeSocket = closeSocket;
      e.session.opts.writer.updateSession({ status: 'open' });
      return { session: e.session, resumed: true, dropped: 0 };
    }
    if (!req.modelId) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'the `model` query parameter is required' });
    // Configured models, then the bundled presets: the same lookup as `evalgate run`.
    const modelConfig = requireModelConfig(this.#config, req.modelId);
    // Sessions still opening count too: the checks and the reservation below run in the same
    // synchronous step, before the first await, so a burst of connects cannot all pass the check.
    const perKey = [...this.#entries.values()].filter((e) => e.keyId === req.keyId).length + (this.#openingByKey.get(req.keyId) ?? 0);
    if (perKey >= this.#limits.maxSessionsPerKey) {
      throw new EvalgateError('EVALGATE_ERR_SESSION_LIMIT', { detail: `this key already holds ${perKey} sessions (limit ${this.#limits.maxSessionsPerKey})` });
    }
    if (this.#entries.size + this.#opening >= this.#limits.maxSessionsTotal) {
      throw new EvalgateError('EVALGATE_ERR_SESSION_LIMIT', { detail: `the gateway holds ${this.#limits.maxSessionsTotal} sessions` });
    }
    this.#opening++;
    this.#openingByKey.set(req.keyId, (this.#openingByKey.get(req.keyId) ?? 0) + 1);
    try {
      const asrConfig = liveSpeechExpertFor(this.#config, modelConfig, req.asrModelId);
      const model = await resolveLiveModel(modelConfig, { heard: asrConfig !== undefined });
      const hearing = asrConfig ? await this.#hearing(asrConfig) : undefined;
      const upstream = model.kind === 'realtime' ? await model.model.connect({}) : undefined;
      const writer = new SessionWriter(this.#store.db, this.#writes);
      let id: string;
      try {
        const fixedConfig = hearing ? { [asrModelParam]: hearing.asrModelId } : {};
        id = await writer.open({ model: modelConfig, apiKeyId: req.keyId, protocol: req.protocol, config: req.config, fixedConfig });
      } catch (err) {
        await upstream?.close().catch(() => undefined);
        throw err;
      }
      const session = new LiveSession({
        id,
        protocol: req.protocol,
        modelConfig,
        model,
        ...(hearing ? { hearing } : {}),
        upstream,
        apiKeyId: req.keyId,
        canSeeScores: req.canSeeScores,
        db: this.#store.db,
        writer,
        metrics: this.#metrics,
        limits: this.#limits,
        createVad: async (o) => {
          const { createSileroVad } = await import('../../experts/vad/silero-vad-segmenter.js');
          return createSileroVad({ threshold: o.threshold, minSilenceMs: o.minSilenceMs, speechPadMs: o.speechPadMs });
        },
        onBackpressure: req.onBackpressure,
      });
      this.#entries.set(id, { session, keyId: req.keyId, protocol: req.protocol, closeSocket, graceTimer: undefined });
      this.#metrics.activeSessions.inc({ protocol: req.protocol });
      return { session, resumed: false, dropped: 0 };
    } finally {
      this.#opening--;
      const n = (this.#openingByKey.get(req.keyId) ?? 1) - 1;
      if (n > 0) this.#openingByKey.set(req.keyId, n);
      else this.#openingByKey.delete(req.keyId);
    }
  }

  /** The expert for `asr`, loaded once per configured id and shared by the sessions that name it. */
  #hearing(asr: ModelConfig): Promise<LiveHearing> {
    let h = this.#experts.get(asr.id);
    if (!h) {
      h = (async () => {
        const { createModel } = await import('../models/create-model.js');
        return { asrModelId: asr.id, asr: await createModel(asr), mediaDir: liveSpokenMediaDir(this.#config) };
      })();
      // A failed load is not kept: the next session tries again.
      h.catch(() => this.#experts.delete(asr.id));
      this.#experts.set(asr.id, h);
    }
    return h;
  }

  /**
   * The client went away. A clean close (1000, or the client's `session.close`)
   * ends the session once its responses finish (bounded); anything else keeps
   * it resumable for the grace period.
   */
  release(session: LiveSession, opts: { clean: boolean; closeSocket: (code: number, reason: string) => void }): void {
    const e = this.#entries.get(session.id);
    if (!e || e.closeSocket !== opts.closeSocket) return; // already resumed on another socket
    e.closeSocket = undefined;
    session.detach();
    if (opts.clean || this.#shuttingDown) {
      void this.#end(e, 'closed');
      return;
    }
    session.opts.writer.updateSession({ status: 'disconnected', audioSeconds: session.audioSeconds });
    e.graceTimer = setTimeout(() => void this.#end(e, 'disconnected'), this.#limits.resumeGraceMs);
    e.graceTimer.unref();
  }

  async #end(e: Entry, status: 'closed' | 'disconnected' | 'failed'): Promise<void> {
    clearTimeout(e.graceTimer);
    if (!this.#entries.has(e.session.id)) return;
    await e.session.drain(this.#limits.shutdownDrainMs);
    if (this.#entries.get(e.session.id) !== e) return;
    this.#entries.delete(e.session.id);
    this.#metrics.activeSessions.dec({ protocol: e.protocol });
    await e.session.close(status);
  }

  /**
   * Graceful shutdown: refuse new sessions, let open utterances finish (up to
   * `shutdownDrainMs`), flush the writes, then close every socket with 1001.
   */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    const entries = [...this.#entries.values()];
    await Promise.all(entries.map((e) => e.session.drain(this.#limits.shutdownDrainMs)));
    await Promise.all(
      entries.map(async (e) => {
        const close = e.closeSocket;
        e.closeSocket = undefined;
        e.session.detach();
        await this.#end(e, 'closed');
        close?.(1001, 'server shutting down');
      }),
    );
    await this.#writes.flush();
    await this.#recovering;
    // What the database has not taken stays in the journal for the next start.
    await this.#writes.close(this.#limits.shutdownDrainMs);
    if (this.#writes.backlogRows > 0)
      this.#log.warn({ rows: this.#writes.backlogRows }, 'live results left in the journal: the database is unavailable; the next start replays them');
    await this.#stopHeartbeat();
  }
}
