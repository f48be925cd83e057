/** What the queue needs of a response. */
export interface QueuedResponse {
  readonly responseId: string;
  readonly abort: AbortController;
}

/**
 * A session's responses: run one at a time, in order, by `run` (which must
 * not reject). The bound on waiting responses is the caller's (see
 * LiveSession.createResponse).
 */
export class ResponseQueue<R extends QueuedResponse> {
  readonly #run: (r: R) => Promise<void>;
  readonly #waiting: R[] = [];
  #active: R | undefined;
  #working = false;
  #idle: Promise<void> = Promise.resolve();
  #idleResolve: (() => void) | undefined;

  constructor(run: (r: R) => Promise<void>) {
    this.#run = run;
  }

  /** The running response. */
  get active(): R | undefined {
    return this.#active;
  }

  /** Responses waiting behind the running one. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a response is queued or running. */
  get busy(): boolean {
    return this.#working || this.#waiting.length > 0;
  }

  /** The response `responseId` (running or waiting), or without an id the running one, else the next. */
  find(responseId?: string): R | undefined {
    if (responseId === undefined) return this.#active ?? this.#waiting[0];
    return [this.#active, ...this.#waiting].find((r) => r?.responseId === responseId);
  }

  /** Aborts every response, running and waiting, with `reason`. */
  abortAll(reason: Error): void {
    for (const r of [this.#active, ...this.#waiting]) r?.abort.abort(reason);
  }

  /** Queues a response; it runs when those before it have finished. */
  push(r: R): void {
    this.#waiting.push(r);
    void this.#work();
  }

  /** Resolves when nothing is queued or running any more. */
  idle(): Promise<void> {
    return this.#idle;
  }

  async #work(): Promise<void> {
    if (this.#working) return;
    this.#working = true;
    this.#idle = new Promise((r) => (this.#idleResolve = r));
    try {
      let r: R | undefined;
      while ((r = this.#waiting.shift())) {
        this.#active = r;
        await this.#run(r);
        this.#active = undefined;
      }
    } finally {
      this.#working = false;
      this.#idleResolve?.();
    }
  }
}
