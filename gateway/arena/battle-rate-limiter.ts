/** What a take from the bucket says. */
export type BucketTake = { readonly ok: true } | { readonly ok: false; /** Seconds until one token is back. */ readonly retryAfterS: number };

/** Limits of a {@link BattleRateLimiter}. */
export interface BattleRateLimiterOptions {
  /** Tokens refilled per minute; also the bucket's size (the burst). */
  readonly perMinute: number;
  /** Buckets kept at most; the least recently used is forgotten first (a forgotten caller starts full). */
  readonly maxBuckets?: number;
  /** Clock, ms (tests). */
  readonly now?: () => number;
}

/**
 * A token bucket per caller (an API key, or a hashed client address when the
 * arena is public), in memory: `perMinute` tokens, refilled continuously, one
 * per battle or vote. The map is bounded (least recently used dropped), so a
 * flood of addresses costs memory up to `maxBuckets` and no more. Buckets are
 * per process: behind several gateway processes a caller gets each one's
 * allowance, which is stated in docs/arena.md.
 */
export class BattleRateLimiter {
  readonly #ratePerMs: number;
  readonly #size: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(opts: BattleRateLimiterOptions) {
    if (!(opts.perMinute > 0)) throw new RangeError(`perMinute must be positive, got ${opts.perMinute}`);
    this.#size = opts.perMinute;
    this.#ratePerMs = opts.perMinute / 60_000;
    this.#max = opts.maxBuckets ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Takes one token for `caller`, or says how long to wait. */
  take(caller: string): BucketTake {
    const now = this.#now();
    const b = this.#buckets.get(caller) ?? { tokens: this.#size, atMs: now };
    b.tokens = Math.min(this.#size, b.tokens + (now - b.atMs) * this.#ratePerMs);
    b.atMs = now;
    // Re-inserted, so the map's order is least recently used first.
    this.#buckets.delete(caller);
    this.#buckets.set(caller, b);
    if (this.#buckets.size > this.#max) this.#buckets.delete(this.#buckets.keys().next().value as string);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.#ratePerMs / 1000)) };
  }
}
