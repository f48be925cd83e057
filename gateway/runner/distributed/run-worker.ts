import type { Kysely } from 'kysely';
import type PgBoss from 'pg-boss';
import type { EvalgateConfig, ModelConfig } from '../../config/config-schema.js';
import type { ModelV1 } from '../../models/spec/model-v1.js';
import type { Database } from '../../store/database.js';
import { AdaptiveConcurrency } from '../adaptive-concurrency.js';
import { createProcessor, finalizeRun } from '../execute-run.js';
import { loadRunContext } from '../prepare-run.js';
import { sleep, type RetryPolicy } from '../retry-policy.js';
import { RunCancelledError, type SampleOutcome, type SampleProcessor } from '../run-batch.js';
import { RunHeartbeat } from '../run-heartbeat.js';
import { getSample, hasOkPrediction, runCounts, runScopeSize } from '../run-repo.js';
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
  /** Runs this worker finalized. */
  finalizedRuns: string[];
}

interface RunHandle {
  readonly model: ModelV1;
  readonly processor: SampleProcessor;
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
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerTotals> {
  const totals: WorkerTotals = { jobs: 0, ok: 0, failed: 0, skipped: 0, alreadyDone: 0, finalizedRuns: [] };
  const limiter = new AdaptiveConcurrency({ max: opts.concurrency });
  const handles = new Map<string, Promise<RunHandle>>();
  let scoreTask: ScoreTaskFn | undefined = opts.scoreTask;
  if (!scoreTask) scoreTask = await loadScoreTask().catch(() => undefined);
  const maxHeld = opts.concurrency * 2;
  const active = new Set<Promise<void>>();
  const poll = opts.pollIntervalMs ?? 500;
  let idleSinceMs: number | undefined;

  const handleFor = (runId: string): Promise<RunHandle> => {
    let h = handles.get(runId);
    if (!h) {
      h = (async () => {
        const ctx = await loadRunContext(opts.db, opts.config, runId);
        const model = await opts.loadModel(ctx.modelConfig);
        const processor = createProcessor(opts.db, ctx, model, limiter, opts, scoreTask);
        return { model, processor, datasetId: ctx.config.dataset.id, task: ctx.config.task, limit: ctx.config.limit };
      })();
      h.catch(() => handles.delete(runId));
      handles.set(runId, h);
    }
    return h;
  };

  const finishIfDone = async (runId: string, h: RunHandle): Promise<void> => {
    const scope = await runScopeSize(opts.db, { datasetId: h.datasetId, task: h.task, limit: h.limit });
    const counts = await runCounts(opts.db, runId, scope);
    if (counts.pending === 0) {
      await finalizeRun(opts.db, runId, { warnings: h.processor.warnings, scoreTask });
      if (!totals.finalizedRuns.includes(runId)) totals.finalizedRuns.push(runId);
    }
  };

  // Keeps the runs this worker has samples of in flight from looking stale.
  const heartbeat = new RunHeartbeat(opts.db);

  const handle = async (job: PgBoss.Job<SampleJobData>): Promise<void> => {
    const { runId, sampleId } = job.data;
    heartbeat.hold(runId);
    try {
      const h = await handleFor(runId);
      if (await hasOkPrediction(opts.db, runId, sampleId)) {
        totals.alreadyDone++;
      } else {
        const sample = await getSample(opts.db, sampleId);
        if (!sample) throw new Error(`sample ${sampleId} not found`);
        const outcome = await h.processor.process(sample, opts.signal);
        totals[outcome.status]++;
        opts.onOutcome?.({ ...outcome, runId });
      }
      await opts.boss.complete(sampleQueueName, job.id);
      await finishIfDone(runId, h);
    } catch (err) {
      // Stopping, or an infrastructure error (database, unloadable model):
      // hand the job back so that this or another worker retries it.
      const message = err instanceof RunCancelledError ? 'worker stopped' : (err as Error).message;
      await opts.boss.fail(sampleQueueName, job.id, { message }).catch(() => undefined);
    } finally {
      heartbeat.release(runId);
    }
  };

  while (!opts.signal?.aborted) {
    const free = maxHeld - active.size;
    if (free <= 0) {
      await Promise.race(active);
      continue;
    }
    const jobs = await opts.boss.fetch<SampleJobData>(sampleQueueName, { batchSize: free });
    if (jobs.length === 0) {
      if (opts.exitWhenIdleMs !== undefined && active.size === 0) {
        const queued = await opts.boss.getQueueSize(sampleQueueName);
        if (queued === 0) {
          idleSinceMs ??= Date.now();
          if (Date.now() - idleSinceMs >= opts.exitWhenIdleMs) break;
        } else {
          idleSinceMs = undefined;
        }
      }
      const wait = active.size > 0 ? Promise.race([...active, sleep(poll, opts.signal)]) : sleep(poll, opts.signal);
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
  for (const h of handles.values()) {
    const rh = await h.catch(() => undefined);
    await rh?.model.close?.().catch(() => undefined);
  }
  return totals;
}
