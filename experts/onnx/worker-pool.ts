import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, type Transferable } from 'node:worker_threads';

/** Options of a worker pool. */
export interface WorkerPoolOptions {
  /** Number of worker threads (at least 1). */
  readonly size: number;
  /** Tasks that may wait for a free worker; beyond this `run` rejects with `WorkerPoolFullError`. */
  readonly maxQueued: number;
  /** Passed to every worker as `workerData` (structured-cloned). */
  readonly workerData?: unknown;
}

/** Per-task options. */
export interface WorkerTaskOptions {
  /** Aborting rejects the task; a queued task is dropped, a running one is told to stop. */
  readonly signal?: AbortSignal;
  /** Buffers moved to the worker instead of copied. */
  readonly transfer?: readonly Transferable[];
}

/** Raised when the queue is at `maxQueued`: the caller should slow down or retry later. */
export class WorkerPoolFullError extends Error {
  constructor(maxQueued: number) {
    super(`Worker pool queue is full (${maxQueued} tasks waiting); retry when earlier tasks finish`);
    this.name = 'WorkerPoolFullError';
  }
}

/** Raised for tasks that fail inside a worker, or when a worker dies. */
export class WorkerTaskError extends Error {
  constructor(
    message: string,
    /** The error name reported by the worker. */ readonly workerErrorName: string,
  ) {
    super(message);
    this.name = 'WorkerTaskError';
  }
}

type Reply = { id: number; ok: true; output: unknown } | { id: number; ok: false; name: string; message: string };
type Request = { id: number; input: unknown } | { id: number; abort: true };

interface Task {
  readonly id: number;
  readonly input: unknown;
  readonly transfer: readonly Transferable[];
  readonly signal: AbortSignal | undefined;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onAbort?: () => void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | undefined;
}

/**
 * A fixed number of worker threads fed from a bounded FIFO queue. When the
 * queue is full, `run` rejects at once (policy: fail fast, so that a batch
 * runner applies back-pressure rather than piling up decoded images in
 * memory). Workers start lazily, are unreferenced while idle so that they
 * never keep a process alive, and are replaced if they die.
 *
 * The worker script calls `serveWorkerTasks(handler)`.
 */
export class WorkerPool<TIn, TOut> {
  readonly #script: URL;
  readonly #opts: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;

  constructor(script: URL, opts: WorkerPoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError(`Worker pool size must be ≥ 1, got ${opts.size}`);
    if (!Number.isInteger(opts.maxQueued) || opts.maxQueued < 0) throw new RangeError(`maxQueued must be ≥ 0, got ${opts.maxQueued}`);
    if (script.protocol === 'file:' && !existsSync(fileURLToPath(script))) {
      throw new Error(`Worker script ${fileURLToPath(script)} does not exist (worker threads run the compiled build: npm run build)`);
    }
    this.#script = script;
    this.#opts = Object.freeze({ ...opts });
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Runs one task on the next free worker. */
  run(input: TIn, opts: WorkerTaskOptions = {}): Promise<TOut> {
    if (this.#closed) return Promise.reject(new Error('Worker pool is closed'));
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    const idle = this.#idleSlot();
    if (!idle && this.#queue.length >= this.#opts.maxQueued) return Promise.reject(new WorkerPoolFullError(this.#opts.maxQueued));
    return new Promise<TOut>((resolve, reject) => {
      const task: Task = {
        id: this.#nextId++,
        input,
        transfer: opts.transfer ?? [],
        signal: opts.signal,
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      if (opts.signal) {
        const signal = opts.signal;
        task.onAbort = () => this.#abort(task, signal.reason);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      if (idle) this.#start(idle, task);
      else this.#queue.push(task);
    });
  }

  /** Stops all workers; queued and running tasks reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new Error('Worker pool closed');
    for (const t of this.#queue.splice(0)) this.#settle(t, undefined, err);
    await Promise.all(
      this.#slots.splice(0).map(async (s) => {
        if (s.task) this.#settle(s.task, undefined, err);
        await s.worker.terminate();
      }),
    );
  }

  #idleSlot(): Slot | undefined {
    const free = this.#slots.find((s) => !s.task);
    if (free) return free;
    if (this.#slots.length < this.#opts.size) return this.#spawn();
    return undefined;
  }

  #spawn(): Slot {
    const worker = new Worker(this.#script, { workerData: this.#opts.workerData });
    const slot: Slot = { worker, task: undefined };
    worker.unref();
    worker.on('message', (msg: Reply) => {
      const task = slot.task;
      if (!task || task.id !== msg.id) return; // a reply to an aborted task
      slot.task = undefined;
      worker.unref();
      if (msg.ok) this.#settle(task, msg.output);
      else this.#settle(task, undefined, new WorkerTaskError(msg.message, msg.name));
      this.#pump(slot);
    });
    const die = (err: Error): void => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      if (slot.task) this.#settle(slot.task, undefined, new WorkerTaskError(`Worker died: ${err.message}`, err.name));
      slot.task = undefined;
      // Keep the queue moving on a fresh worker.
      if (this.#closed || this.#queue.length === 0) return;
      const next = this.#idleSlot();
      if (next) this.#pump(next);
    };
    worker.on('error', die);
    worker.on('exit', (code) => {
      if (!this.#closed) die(new Error(`worker exited with code ${code}`));
    });
    this.#slots.push(slot);
    return slot;
  }

  #start(slot: Slot, task: Task): void {
    slot.task = task;
    slot.worker.ref();
    const req: Request = { id: task.id, input: task.input };
    slot.worker.postMessage(req, [...task.transfer]);
  }

  #pump(slot: Slot): void {
    const next = this.#queue.shift();
    if (next) this.#start(slot, next);
  }

  #abort(task: Task, reason: unknown): void {
    const qi = this.#queue.indexOf(task);
    if (qi >= 0) {
      this.#queue.splice(qi, 1);
    } else {
      const slot = this.#slots.find((s) => s.task === task);
      if (slot) slot.worker.postMessage({ id: task.id, abort: true } satisfies Request);
    }
    this.#settle(task, undefined, reason);
  }

  #settle(task: Task, output: unknown, error?: unknown): void {
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (error !== undefined) task.reject(error);
    else task.resolve(output);
  }
}

/** What a worker-side handler receives besides its input. */
export interface WorkerHandlerContext {
  /** Aborted when the caller gives up on this task. */
  readonly signal: AbortSignal;
}

/**
 * Worker side: answers the pool's requests with `handler`, one at a time.
 * Call once from the worker script's top level.
 */
export function serveWorkerTasks<TIn, TOut>(handler: (input: TIn, ctx: WorkerHandlerContext) => Promise<{ output: TOut; transfer?: Transferable[] }>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerTasks must run inside a worker thread');
  const running = new Map<number, AbortController>();
  port.on('message', (msg: Request) => {
    if ('abort' in msg) {
      running.get(msg.id)?.abort(new Error('aborted by caller'));
      return;
    }
    const ac = new AbortController();
    running.set(msg.id, ac);
    handler(msg.input as TIn, { signal: ac.signal }).then(
      ({ output, transfer }) => {
        running.delete(msg.id);
        port.postMessage({ id: msg.id, ok: true, output } satisfies Reply, transfer ?? []);
      },
      (err: unknown) => {
        running.delete(msg.id);
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ id: msg.id, ok: false, name: e.name, message: e.message } satisfies Reply);
      },
    );
  });
}
