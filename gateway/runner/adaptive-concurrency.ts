/** Bounds of the adaptive limit. */
export interface AdaptiveConcurrencyOptions {
  /** The limit to start at and never exceed (the user's `--concurrency`). */
  readonly max: number;
  /** The floor the limit never drops below. */
  readonly min?: number;
  /**
   * After a decrease, further 429s within this window do not decrease again:
   * the requests already in flight when the first 429 came back were sent at
   * the old limit and say nothing about the new one.
   */
  readonly decreaseCooldownMs?: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A concurrency limiter that adapts with AIMD, as TCP does: halve on a rate
 * limit (HTTP 429), then add one slot after each full window of successes
 * (`limit` consecutive successes) until back at `max`.
 *
 * Queue policy: waiters wait, in FIFO order. The queue is bounded by the
 * caller, since the runner starts at most `max` tasks that may wait here.
 */
export class AdaptiveConcurrency {
  readonly #max: number;
  readonly #min: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #limit: number;
  #inFlight = 0;
  #successStreak = 0;
  #lastDecreaseMs = Number.NEGATIVE_INFINITY;
  #decreases = 0;
  readonly #waiters: Waiter[] = [];

  constructor(opts: AdaptiveConcurrencyOptions) {
    if (!Number.isInteger(opts.max) || opts.max < 1) throw new RangeError(`concurrency must be a positive integer, got ${opts.max}`);
    this.#max = opts.max;
    this.#min = Math.max(1, Math.min(opts.min ?? 1, opts.max));
    this.#cooldownMs = opts.decreaseCooldownMs ?? 1000;
    this.#now = opts.now ?? Date.now;
    this.#limit = opts.max;
  }

  /** The current limit. */
  get limit(): number {
    return this.#limit;
  }

  /** Slots held now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** How many times the limit was cut (for the run summary). */
  get decreases(): number {
    return this.#decreases;
  }

  /** Waits for a free slot; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.#inFlight < this.#limit && this.#waiters.length === 0) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal.reason as Error);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  /** Returns a slot taken with `acquire`. */
  release(): void {
    if (this.#inFlight <= 0) throw new Error('release() without acquire()');
    this.#inFlight--;
    this.#drain();
  }

  /** A call was rate limited: multiplicative decrease. */
  onRateLimited(): void {
    this.#successStreak = 0;
    const now = this.#now();
    if (now - this.#lastDecreaseMs < this.#cooldownMs) return;
    this.#lastDecreaseMs = now;
    const next = Math.max(this.#min, Math.floor(this.#limit / 2));
    if (next < this.#limit) {
      this.#limit = next;
      this.#decreases++;
    }
  }

  /** A call succeeded: additive increase after a full window of successes. */
  onSuccess(): void {
    if (this.#limit >= this.#max) return;
    this.#successStreak++;
    if (this.#successStreak >= this.#limit) {
      this.#successStreak = 0;
      this.#limit++;
      this.#drain();
    }
  }

  #drain(): void {
    while (this.#inFlight < this.#limit && this.#waiters.length > 0) {
      const w = this.#waiters.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      this.#inFlight++;
      w.resolve();
    }
  }
}
