// What a pointwise (`judge-score`) and a pairwise (`judge-pair`) judge run
// share while they execute: the run claimed and kept alive by heartbeats, the
// judge calls made with the runner's retries, adaptive concurrency and
// response cache, database writes that wait out an outage (and answers kept in
// the run's spill file meanwhile), and the worker loops over the pending work.
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { ModelConfig } from '../config/config-schema.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import { AdaptiveConcurrency } from '../runner/adaptive-concurrency.js';
import { DbOutageGuard } from '../runner/db-outage-guard.js';
import { PredictionWriter } from '../runner/prediction-writer.js';
import { ResponseCache } from '../runner/response-cache.js';
import { defaultRetryPolicy, type RetryPolicy } from '../runner/retry-policy.js';
import { RunCancelledError } from '../runner/run-cancelled-error.js';
import { newExecutor, takeOverRun, type Executor } from '../runner/run-claims.js';
import { RunHeartbeat } from '../runner/run-heartbeat.js';
import { replaySpill, RunSpill, spillDirOf } from '../runner/run-spill.js';
import type { Database } from '../store/database.js';
import { releaseExecutor } from '../store/run-claim-repo.js';
import { markRunRunning } from '../store/run-repo.js';
import type { JudgeCallOptions } from './judge-answer.js';

type Db = Kysely<Database>;

/** Execution settings of a judge run (pointwise or pairwise). */
export interface JudgeExecuteOptions {
  /** Judge calls in flight at most. */
  readonly concurrency: number;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Retry policy of judge calls (default: 5 attempts). */
  readonly retry?: RetryPolicy;
  /** Response cache folder (temperature-0 asks), when caching is on. */
  readonly cacheDir?: string;
  /** Folder of the configuration's cache: the run's spill file goes under `<it>/spill` while the database is away; none when absent. */
  readonly spillCacheDir?: string;
  /** How long one database outage may last before the run gives up, ms (`runner.dbOutageMaxMs`; default 120 000). */
  readonly dbOutageMaxMs?: number;
  /** Stops the judging cleanly: calls in flight finish, the rest stays pending, the run ends `cancelled`. */
  readonly signal?: AbortSignal;
  /** Told the number of items to judge, once known. */
  readonly onTotal?: (n: number) => void;
  /** Told after each stored item. */
  readonly onAnswer?: (status: 'ok' | 'failed') => void;
  /** Told once when a database outage starts and when it ends. */
  readonly onNotice?: (message: string) => void;
  /** Jitter source (tests). */
  readonly random?: () => number;
}

/** A judge run while it executes. */
export interface JudgeExecution {
  readonly executor: Executor;
  readonly heartbeat: RunHeartbeat;
  /** Every database call of the execution goes through it. */
  readonly guard: DbOutageGuard;
  /** Prediction writes (grouped, outage-proof, spilled while the database is away). */
  readonly writer: PredictionWriter;
  /** How the judge is called. */
  readonly call: JudgeCallOptions;
  /** Warnings gathered (cache problems, an outage, a stop). */
  readonly warnings: Set<string>;
  readonly spill: RunSpill | undefined;
}

/**
 * Claims the run (taking over a dead executor's claim), marks it running and
 * sets up the judge calls. End it with {@link endJudgeExecution}.
 */
export async function startJudgeExecution(
  db: Db,
  runId: string,
  judge: { readonly model: ModelV1; readonly judgeModel: ModelConfig },
  opts: JudgeExecuteOptions,
): Promise<JudgeExecution> {
  const warnings = new Set<string>();
  const guard = new DbOutageGuard({
    runId,
    ...(opts.dbOutageMaxMs !== undefined ? { maxOutageMs: opts.dbOutageMaxMs } : {}),
    onOutage: (err) => opts.onNotice?.(`the database is unavailable (${(err as Error).message}); judging goes on and the writes wait for it`),
    onRecovered: (ms) => {
      warnings.add(`the database was unavailable for ${Math.round(ms / 100) / 10} s during judging; writes waited for it`);
      opts.onNotice?.(`the database is back after ${Math.round(ms)} ms`);
    },
    ...(opts.random ? { random: opts.random } : {}),
  });
  const executor = newExecutor();
  await guard.run(() => takeOverRun(db, runId, executor));
  await guard.run(() => markRunRunning(db, runId, []));
  // Results kept on disk during an earlier outage (then a kill or a give-up) are written first, so they count as done.
  if (opts.spillCacheDir) {
    const replayed = await guard.run(() => replaySpill(db, spillDirOf(opts.spillCacheDir!), runId));
    if (replayed.written > 0) warnings.add(`${replayed.written} result(s) kept in ${replayed.path} during a database outage were written`);
  }
  const heartbeat = new RunHeartbeat(db, undefined, executor);
  heartbeat.hold(runId);
  const spill = opts.spillCacheDir ? new RunSpill(spillDirOf(opts.spillCacheDir), runId) : undefined;
  const writer = new PredictionWriter(db, {
    guard,
    ...(spill ? { spill } : {}),
    onSpillError: (err) => warnings.add(`could not write the spill file: ${(err as Error).message}`),
  });
  const cache = opts.cacheDir ? new ResponseCache(resolve(opts.cacheDir, 'responses'), { onWarning: (w) => warnings.add(w) }) : undefined;
  const providerOptions = judge.judgeModel.options.providerOptions;
  const call: JudgeCallOptions = {
    model: judge.model,
    ...(providerOptions && typeof providerOptions === 'object' ? { providerOptions: providerOptions as Record<string, unknown> } : {}),
    limiter: new AdaptiveConcurrency({ max: Math.max(1, opts.concurrency) }),
    retry: opts.retry ?? defaultRetryPolicy,
    timeoutMs: opts.timeoutMs,
    ...(cache
      ? {
          cache: {
            cache,
            identity: {
              adapter: judge.model.adapter,
              adapterVersion: judge.model.adapterVersion,
              modelName: judge.model.modelName,
              ...(judge.judgeModel.baseUrl ? { baseUrl: judge.judgeModel.baseUrl } : {}),
            },
          },
        }
      : {}),
    ...(opts.random ? { random: opts.random } : {}),
  };
  return { executor, heartbeat, guard, writer, call, warnings, spill };
}

/** Stops the heartbeat and releases the run's claim; the spill file goes once everything in it was written. */
export async function endJudgeExecution(db: Db, ex: JudgeExecution, allWritten: boolean): Promise<void> {
  await ex.heartbeat.stop();
  await releaseExecutor(db, ex.executor.id).catch(() => undefined);
  await ex.spill?.close(allWritten).catch(() => undefined);
}

/**
 * Runs `judgeOne` over `items` with 2 × concurrency loops (the limiter bounds
 * the calls in flight; the extra loops keep a slot busy while a result is
 * being written). A stop leaves the rest pending; RunCancelledError from an
 * item ends its loop quietly. The first other failure is rethrown.
 */
export async function judgeEach<T>(
  items: readonly T[],
  opts: Pick<JudgeExecuteOptions, 'concurrency' | 'signal'>,
  judgeOne: (item: T) => Promise<void>,
): Promise<void> {
  const queue = items.values();
  const loop = async (): Promise<void> => {
    for (const item of queue) {
      if (opts.signal?.aborted) return;
      try {
        await judgeOne(item);
      } catch (err) {
        if (err instanceof RunCancelledError) return;
        throw err;
      }
    }
  };
  const loops = Math.max(1, Math.min(items.length, opts.concurrency * 2));
  const results = await Promise.allSettled(Array.from({ length: loops }, loop));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
