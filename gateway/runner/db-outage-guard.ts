import { EvalgateError } from '../errors.js';
import { isDatabaseUnavailable } from '../store/is-database-unavailable.js';
import { sleep } from './retry-policy.js';

/** Default bound on one database outage during a run, ms (`runner.dbOutageMaxMs`). */
export const defaultDbOutageMaxMs = 120_000;

/** Options of a {@link DbOutageGuard}. */
export interface DbOutageGuardOptions {
  /** How long one outage may last before the run gives up, ms. */
  readonly maxOutageMs?: number;
  /** Run id, named in the error when the bound is exceeded. */
  readonly runId: string;
  /** Who waits, named in that error instead of `run <runId>` (a distributed worker serves many runs). */
  readonly label?: string;
  /** Called once when an outage starts (for a warning on stderr). */
  readonly onOutage?: (err: unknown) => void;
  /** Called once when the database answers again after an outage, with its length in ms. */
  readonly onRecovered?: (outageMs: number) => void;
  /** Randomness for the backoff jitter (tests). */
  readonly random?: () => number;
}

/**
 * Waits out database outages for one run (issue 13 #10): every database call
 * of the run goes through {@link DbOutageGuard.run}, which retries calls that
 * failed because the database is unreachable, with jittered exponential
 * backoff (100 ms doubling to 2 s), until the outage has lasted
 * `maxOutageMs`. Then it gives up for good: that call and every later one
 * fail at once with EVALGATE_ERR_DB_UNAVAILABLE naming the run, so a run never
 * starts a second waiting period after it decided to stop. Errors that are
 * not outages (a bad query, a constraint) are rethrown at once.
 */
export class DbOutageGuard {
  readonly #o: DbOutageGuardOptions;
  readonly #maxMs: number;
  #since: number | undefined;
  #gaveUp: EvalgateError | undefined;

  constructor(opts: DbOutageGuardOptions) {
    this.#o = opts;
    this.#maxMs = opts.maxOutageMs ?? defaultDbOutageMaxMs;
  }

  /** Whether the database is currently considered down. */
  get inOutage(): boolean {
    return this.#since !== undefined;
  }

  /** The error the guard gave up with, if it did. */
  get gaveUp(): EvalgateError | undefined {
    return this.#gaveUp;
  }

  /** Runs `fn`, retrying it through outages up to the bound. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#gaveUp) throw this.#gaveUp;
      try {
        const result = await fn();
        if (this.#since !== undefined) {
          const outageMs = Date.now() - this.#since;
          this.#since = undefined;
          this.#o.onRecovered?.(outageMs);
        }
        return result;
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        if (this.#since === undefined) {
          this.#since = Date.now();
          this.#o.onOutage?.(err);
        }
        const waitedMs = Date.now() - this.#since;
        if (waitedMs >= this.#maxMs) {
          this.#gaveUp ??= new EvalgateError(
            'EVALGATE_ERR_DB_UNAVAILABLE',
            {
              detail: `${this.#o.label ?? `run ${this.#o.runId}`}: the database did not answer for ${Math.round(waitedMs / 1000)} s (bound ${Math.round(this.#maxMs / 1000)} s): ${(err as Error).message}`,
            },
            { cause: err },
          );
          throw this.#gaveUp;
        }
        const ceiling = Math.min(2000, 100 * 2 ** Math.min(attempt, 10));
        const delay = ceiling / 2 + ((this.#o.random ?? Math.random)() * ceiling) / 2;
        await sleep(Math.min(delay, this.#maxMs - waitedMs + 1));
      }
    }
  }
}
