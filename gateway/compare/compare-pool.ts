import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EvalgateError } from '../errors.js';
import { deserializeJobError, type CompareJob, type CompareJobResult, type SerializedJobError } from './compare-job.js';

/** Per-request bounds of the comparison endpoints (docs/compare.md#limits). */
export const compareLimits = Object.freeze({
  /** Distinct runs one `/v1/compare` request may name. */
  maxRuns: 8,
  /** Bootstrap resamples one request may ask for. */
  maxIterations: 10_000,
  /** Wall time a job may run on its worker before the worker is stopped. */
  jobTimeoutMs: 30_000,
  /** Jobs that may wait for a worker; beyond this a request is refused with 429. */
  maxQueued: 8,
});

/** Options of a pool. */
export interface ComparePoolOptions {
  /** Worker threads (default: 2, or 1 on a machine with two cores or fewer). */
  readonly size?: number;
  /** Jobs that may wait for a free worker (default `compareLimits.maxQueued`). */
  readonly maxQueued?: number;
  /** Time limit per job, ms (default `compareLimits.jobTimeoutMs`). */
  readonly timeoutMs?: number;
}

type Reply = { id: number; ok: true; output: unknown } | { id: number; ok: false; error: SerializedJobError };

interface Job {
  readonly id: number;
  readonly job: CompareJob;
  readonly signal: AbortSignal | undefined;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

/**
 * Where the compiled worker script is: beside this module in the build, or
 * in dist/ when this module runs from source (tests): worker threads run the
 * compiled build, as the ONNX worker pool does.
 */
function workerScript(): URL {
  const sibling = new URL('./compare-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/gateway/compare/compare-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`Comparison worker script ${fileURLToPath(sibling)} does not exist (worker threads run the compiled build: npm run build)`);
}

/**
 * The bootstrap and permutation work of the comparison endpoints, off the
 * event loop: a few worker threads fed from a bounded FIFO queue. Policy when
 * full: refuse at once with 429, so that a burst of heavy requests is turned
 * away rather than piled up. A job past its time limit gets its worker
 * terminated (a CPU loop cannot be asked to stop) and a 503; a fresh worker
 * takes the next job. Idle workers are unreferenced and never keep a process
 * alive.
 */
export class ComparePool {
  readonly #size: number;
  readonly #maxQueued: number;
  readonly #timeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #script: URL | undefined;
  #nextId = 1;
  #closed = false;

  constructor(opts: ComparePoolOptions = {}) {
    this.#size = opts.size ?? (availableParallelism() > 2 ? 2 : 1);
    this.#maxQueued = opts.maxQueued ?? compareLimits.maxQueued;
    this.#timeoutMs = opts.timeoutMs ?? compareLimits.jobTimeoutMs;
  }

  /** Runs a job on the next free worker. */
  run<J extends CompareJob>(job: J, signal?: AbortSignal): Promise<CompareJobResult<J>> {
    if (this.#closed) return Promise.reject(new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const idle = this.#idleSlot();
    if (!idle && this.#queue.length >= this.#maxQueued) {
      return Promise.reject(
        new EvalgateError('EVALGATE_ERR_RATE_LIMITED', { detail: `comparison workers are busy (${this.#maxQueued} requests waiting); retry shortly` }),
      );
    }
    return new Promise((resolve, reject) => {
      const j: Job = { id: this.#nextId++, job, signal, resolve: resolve as (v: unknown) => void, reject };
      if (signal) {
        j.onAbort = () => this.#abort(j, signal.reason);
        signal.addEventListener('abort', j.onAbort, { once: true });
      }
      if (idle) this.#start(idle, j);
      else this.#queue.push(j);
    });
  }

  /** Stops every worker; waiting and running jobs reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN');
    for (const j of this.#queue.splice(0)) this.#settle(j, undefined, err);
    await Promise.all(
      this.#slots.splice(0).map(async (s) => {
        if (s.job) this.#settle(s.job, undefined, err);
        await s.worker.terminate();
      }),
    );
  }

  #idleSlot(): Slot | undefined {
    return this.#slots.find((s) => !s.job) ?? (this.#slots.length < this.#size ? this.#spawn() : undefined);
  }

  #spawn(): Slot {
    this.#script ??= workerScript();
    const worker = new Worker(this.#script);
    const slot: Slot = { worker, job: undefined };
    worker.unref();
    worker.on('message', (msg: Reply) => {
      const j = slot.job;
      if (!j || j.id !== msg.id) return;
      slot.job = undefined;
      worker.unref();
      if (msg.ok) this.#settle(j, msg.output);
      else this.#settle(j, undefined, deserializeJobError(msg.error));
      this.#pump(slot);
    });
    const gone = (err: Error): void => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      this.#slots.splice(i, 1);
      if (slot.job) this.#settle(slot.job, undefined, new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `comparison worker stopped: ${err.message}` }));
      slot.job = undefined;
      this.#refill();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`exit code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }

  #start(slot: Slot, j: Job): void {
    slot.job = j;
    slot.worker.ref();
    j.timer = setTimeout(
      () => this.#kill(slot, new EvalgateError('EVALGATE_ERR_COMPUTE_TIMEOUT', { what: `The ${j.job.kind} statistics`, timeoutMs: this.#timeoutMs })),
      this.#timeoutMs,
    );
    slot.worker.postMessage({ id: j.id, job: j.job });
  }

  #pump(slot: Slot): void {
    const next = this.#queue.shift();
    if (next) this.#start(slot, next);
  }

  /** After a worker is gone: a fresh one takes the next waiting job. */
  #refill(): void {
    if (this.#closed || this.#queue.length === 0) return;
    const slot = this.#idleSlot();
    if (slot) this.#pump(slot);
  }

  /** Ends a running job by terminating its worker. */
  #kill(slot: Slot, err: Error): void {
    const j = slot.job;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    slot.job = undefined;
    if (j) this.#settle(j, undefined, err);
    void slot.worker.terminate();
    this.#refill();
  }

  #abort(j: Job, reason: unknown): void {
    const qi = this.#queue.indexOf(j);
    if (qi >= 0) {
      this.#queue.splice(qi, 1);
      this.#settle(j, undefined, reason);
      return;
    }
    // Nobody waits for the answer any more: free the worker for the next request.
    const slot = this.#slots.find((s) => s.job === j);
    if (slot) this.#kill(slot, reason instanceof Error ? reason : new Error(String(reason)));
  }

  #settle(j: Job, output: unknown, error?: unknown): void {
    clearTimeout(j.timer);
    if (j.onAbort) j.signal?.removeEventListener('abort', j.onAbort);
    if (error !== undefined) j.reject(error);
    else j.resolve(output);
  }
}
