import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type PgBoss from 'pg-boss';
import type { EvalgateConfig, ModelConfig } from '../../config/config-schema.js';
import type { ModelV1 } from '../../models/spec/model-v1.js';
import type { Database } from '../../store/database.js';
import { EvalgateError } from '../../errors.js';
import { AdaptiveConcurrency } from '../adaptive-concurrency.js';
import { DbOutageGuard } from '../db-outage-guard.js';
import { createProcessor, finalizeRun } from '../execute-run.js';
import { PredictionWriter } from '../prediction-writer.js';
import { loadRunContext } from '../prepare-run.js';
import { sleep, type RetryPolicy } from '../retry-policy.js';
import { RunCancelledError, SampleClaimedElsewhereError, type SampleOutcome, type SampleProcessor } from '../run-batch.js';
import { newExecutor } from '../run-claims.js';
import { releaseExecutor } from '../../store/run-claim-repo.js';
import { RunHeartbeat } from '../run-heartbeat.js';
import { hasOkPrediction, runCounts } from '../../store/prediction-repo.js';
import { getSample, runScopeSize } from '../../store/run-scope-repo.js';
import { replaySpill, RunSpill, spilledRunIds, spillPathOf } from '../run-spill.js';
import { loadScoreTask, type ScoreTaskFn } from '../score-run.js';
import { sampleQueueName, type SampleJobData } from './sample-queue.js';

/** How a worker runs. */
export interface WorkerOptions {
  /** The shared database. */
  readonly db: Kysely<Database>;
  /** The started queue. */
  readonly boss: PgBoss;
  /** This machine's configuration (its model entries supply real option values). */
  readonly config: EvalgateConfig;
  /** Builds an adapter. */
  readonly loadModel: (m: ModelConfig) => Promise<ModelV1>;
  /** Maximum in-flight model calls in this process. */
  readonly concurrency: number;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Retry policy. */
  readonly retry?: RetryPolicy;
  /** Stream answers for time to first token. */
  readonly stream?: boolean;
  /** Response cache folder; off when absent. */
  readonly cacheDir?: string;
  /** Stops the worker: no new jobs are fetched; jobs in progress are handed back. */
  readonly signal?: AbortSignal;
  /** Exit once the queue has been empty and idle for this long (ms); run forever when absent. */
  readonly exitWhenIdleMs?: number;
  /** How often an empty queue is polled, ms. */
  readonly pollIntervalMs?: number;
  /** Called after each sample. */
  readonly onOutcome?: (o: SampleOutcome & { runId: string }) => void;
  /** The task scorer (default: scorers/score-task.ts). */
  readonly scoreTask?: ScoreTaskFn;
  /** How long one database outage may last before the worker gives up, ms (`runner.dbOutageMaxMs`, default 120 000). */
  readonly dbOutageMaxMs?: number;
  /** Folder of the run spill files (answers kept while the database is away); none when absent. */
  readonly spillDir?: string;
  /** Reports database outages and recoveries (the CLI prints them on stderr). */
  readonly onNotice?: (message: string) => void;
}

/** What a worker did. */
export interface WorkerTotals {
  /** Jobs taken from the queue. */
  jobs: number;
  /** Samples stored ok / failed / skipped by this worker. */
  ok: number;
  failed: number;
  skipped: number;
  /** Jobs whose sample already had an `ok` prediction (redeliveries). */
  alreadyDone: number;
  /** Jobs whose sample another executor was calling the model for (its claim in `run_claims`). */
  claimedElsewhere: number;
  /** Runs this worker finalized. */
  finalizedRuns: string[];
}

interface RunHandle {
  readonly model: ModelV1;
  readonly processor: SampleProcessor;
  readonly spill?: RunSpill;
  readonly datasetId: string;
  readonly task: string;
  readonly limit?: number;
}

/**
 * Processes sample jobs until stopped. Delivery is at least once: a job may
 * arrive twice (a worker died, its job expired). Before calling the model a
 * job checks for an `ok` prediction, and the write itself never replaces one,
 * so every sample ends with exactly one prediction.
 *
 * Jobs are fetched in batches of the free slots (at most 2 × concurrency held
 * at once; the limiter bounds model calls to `concurrency`), so a busy worker
 * never hoards jobs that idle workers elsewhere could take.
 *
 * The local runner's promises hold here too (issue 13 #10, #11), through the
 * same modules: each sample is claimed in `run_claims` before its model call
 * (a job delivered twice, or to two workers, costs one call); every database
 * call, pg-boss's included, waits out an outage through one
 * {@link DbOutageGuard} up to `dbOutageMaxMs`, while answers received meanwhile
 * go to the run's spill file and are written when the database returns. When
 * the bound is exceeded the worker stops and rejects with
 * EVALGATE_ERR_DB_UNAVAILABLE; its spilled answers are written by the next
 * worker on this machine that gets a job of that run (or `run --resume`,
 * `runs reap`).
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerTotals> {
  const totals: WorkerTotals = { jobs: 0, ok: 0, failed: 0, skipped: 0, alreadyDone: 0, claimedElsewhere: 0, finalizedRuns: [] };
  const limiter = new AdaptiveConcurrency({ max: opts.concurrency });
  const handles = new Map<string, Promise<RunHandle>>();
  let scoreTask: ScoreTaskFn | undefined = opts.scoreTask;
  if (!scoreTask) scoreTask = await loadScoreTask().catch(() => undefined);
  const maxHeld = opts.concurrency * 2;
  const active = new Set<Promise<void>>();
  const poll = opts.pollIntervalMs ?? 500;
  let idleSinceMs: number | undefined;
  const executor = newExecutor();
  // One guard for the worker: its runs share one database, so one outage is one wait with one bound.
  const guard = new DbOutageGuard({
    runId: '',
    label: `worker ${executor.id}`,
    maxOutageMs: opts.dbOutageMaxMs,
    onOutage: (err) => opts.onNotice?.(`database unavailable (${(err as Error).message}); the worker waits for it, answers are kept`),
    onRecovered: (ms) => opts.onNotice?.(`database back after ${(ms / 1000).toFixed(1)} s; the worker goes on`),
  });
  const db = <T>(fn: () => Promise<T>): Promise<T> => guard.run(fn);
  // Stops fetching once the guard gave up; jobs in progress then fail fast on the guard.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let spillWarned = false;
  // Samples this worker is calling the model for: a claim is per executor, so two jobs of one sample
  // held by this worker at once (enqueued twice) would both pass it; the second one is left alone here.
  const inFlight = new Set<string>();

  const handleFor = (runId: string): Promise<RunHandle> => {
    let h = handles.get(runId);
    if (!h) {
      h = (async () => {
        // Answers an earlier worker on this machine kept during an outage are written before any job of the run.
        const spillDir = opts.spillDir;
        if (spillDir && existsSync(spillPathOf(spillDir, runId))) await db(() => replaySpill(opts.db, spillDir, runId));
        const ctx = await db(() => loadRunContext(opts.db, opts.config, runId));
        const model = await opts.loadModel(ctx.modelConfig);
        const spill = opts.spillDir ? new RunSpill(opts.spillDir, runId) : undefined;
        const writer = new PredictionWriter(opts.db, {
          guard,
          spill,
          onSpillError: (err) => {
            if (!spillWarned) opts.onNotice?.(`could not write the spill file ${spill?.path}: ${(err as Error).message}`);
            spillWarned = true;
          },
        });
        const processor = createProcessor(opts.db, ctx, model, limiter, opts, scoreTask, { writer, guard, executor: executor.id });
        return { model, processor, spill, datasetId: ctx.config.dataset.id, task: ctx.config.task, limit: ctx.config.limit };
      })();
      h.catch(() => handles.delete(runId));
      handles.set(runId, h);
    }
    return h;
  };

  const finishIfDone = async (runId: string, h: RunHandle): Promise<void> => {
    const scope = await db(() => runScopeSize(opts.db, { datasetId: h.datasetId, task: h.task, limit: h.limit }));
    const counts = await db(() => runCounts(opts.db, runId, scope));
    if (counts.pending === 0) {
      // finishRun locks the run row: workers finishing at once write one run.finished.
      await db(() => finalizeRun(opts.db, runId, { warnings: h.processor.warnings, scoreTask }));
      if (!totals.finalizedRuns.includes(runId)) totals.finalizedRuns.push(runId);
    }
  };

  // Keeps the runs this worker has samples of in flight from looking stale, and its claims fresh.
  const heartbeat = new RunHeartbeat(opts.db, undefined, executor);

  const handle = async (job: PgBoss.Job<SampleJobData>): Promise<void> => {
    const { runId, sampleId } = job.data;
    heartbeat.hold(runId);
    try {
      const h = await handleFor(runId);
      if (await db(() => hasOkPrediction(opts.db, runId, sampleId))) {
        totals.alreadyDone++;
      } else {
        const sample = await db(() => getSample(opts.db, sampleId));
        if (!sample) throw new Error(`sample ${sampleId} not found`);
        const key = `${runId}:${sampleId}`;
        try {
          if (inFlight.has(key)) throw new SampleClaimedElsewhereError(sample.key);
          inFlight.add(key);
          try {
            const outcome = await h.processor.process(sample, signal);
            totals[outcome.status]++;
            opts.onOutcome?.({ ...outcome, runId });
          } finally {
            inFlight.delete(key);
          }
        } catch (err) {
          // Another executor (or job of this worker) is calling the model for it and will store it: this delivery is done.
          if (!(err instanceof SampleClaimedElsewhereError)) throw err;
          totals.claimedElsewhere++;
        }
      }
      await db(() => opts.boss.complete(sampleQueueName, job.id));
      await finishIfDone(runId, h);
    } catch (err) {
      // Stopping, or an infrastructure error (database, unloadable model):
      // hand the job back so that this or another worker retries it (best
      // effort: a job that cannot be failed expires and is delivered again).
      const message = err instanceof RunCancelledError ? 'worker stopped' : (err as Error).message;
      if (guard.gaveUp) stop.abort();
      else await opts.boss.fail(sampleQueueName, job.id, { message }).catch(() => undefined);
    } finally {
      heartbeat.release(runId);
    }
  };

  // Answers a worker on this machine kept when it gave up on the database are written first, whether or
  // not this worker gets a job of their run: the jobs they came from may stay active in pg-boss until they
  // expire, and nobody else would write them before then.
  const spillDir = opts.spillDir;
  if (spillDir) for (const runId of await spilledRunIds(spillDir)) await db(() => replaySpill(opts.db, spillDir, runId));

  while (!signal.aborted) {
    const free = maxHeld - active.size;
    if (free <= 0) {
      await Promise.race(active);
      continue;
    }
    if (guard.gaveUp) break;
    // pg-boss's fetch swallows every error and returns no job, so it cannot tell
    // an outage from an empty queue (nor go through the guard, whose clock a
    // false success would reset): while jobs in progress wait out an outage,
    // do not fetch more.
    const jobs = guard.inOutage ? [] : await opts.boss.fetch<SampleJobData>(sampleQueueName, { batchSize: free });
    if (jobs.length === 0) {
      if (opts.exitWhenIdleMs !== undefined && active.size === 0) {
        const queued = await db(() => opts.boss.getQueueSize(sampleQueueName)).catch((err: unknown) => {
          if (guard.gaveUp) return -1;
          throw err;
        });
        if (queued < 0) break;
        if (queued === 0) {
          idleSinceMs ??= Date.now();
          if (Date.now() - idleSinceMs >= opts.exitWhenIdleMs) break;
        } else {
          idleSinceMs = undefined;
        }
      }
      const wait = active.size > 0 ? Promise.race([...active, sleep(poll, signal)]) : sleep(poll, signal);
      await wait.catch(() => undefined);
      continue;
    }
    idleSinceMs = undefined;
    for (const job of jobs) {
      totals.jobs++;
      const p: Promise<void> = handle(job).finally(() => active.delete(p));
      active.add(p);
    }
  }
  await Promise.allSettled(active);
  await heartbeat.stop();
  await releaseExecutor(opts.db, executor.id).catch(() => undefined);
  const kept: string[] = [];
  for (const h of handles.values()) {
    const rh = await h.catch(() => undefined);
    await rh?.model.close?.().catch(() => undefined);
    // Once every write went through, what was spilled is in the database; after giving up it is not.
    await rh?.spill?.close(!guard.gaveUp).catch(() => undefined);
    if (guard.gaveUp && rh?.spill && rh.spill.records > 0) kept.push(rh.spill.path);
  }
  if (guard.gaveUp) {
    const where =
      kept.length > 0
        ? `; the answers received are kept in ${kept.join(', ')} and written by the next worker on this machine that gets a job of the run (or evalgate run --resume)`
        : '';
    throw new EvalgateError(
      'EVALGATE_ERR_DB_UNAVAILABLE',
      { detail: `${guard.gaveUp.message}${where}; the worker stopped, its jobs are delivered again` },
      { cause: guard.gaveUp },
    );
  }
  return totals;
}
