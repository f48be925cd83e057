import type { EvalgateConfig } from '../../config/config-schema.js';
import { silentProgress, type ProgressFactory } from '../../progress-sink.js';
import type { Store } from '../../store/open-store.js';
import { DbOutageGuard } from '../db-outage-guard.js';
import { finalizeRun } from '../execute-run.js';
import type { PreparedRun } from '../prepare-run.js';
import { sleep, type RetryPolicy } from '../retry-policy.js';
import { getRun } from '../../store/run-repo.js';
import { runCounts } from '../../store/prediction-repo.js';
import { listPendingSamples, runScopeSize } from '../../store/run-scope-repo.js';
import { buildRunReport, type RunReport } from '../score-run.js';
import { assertDistributable, enqueueSamples, openSampleQueue } from './sample-queue.js';

/** What `run --distributed` returns. */
export interface DistributedRunResult {
  /** Run id. */
  readonly runId: string;
  /** Samples enqueued now. */
  readonly enqueued: number;
  /** The final report, with `wait`. */
  readonly report?: RunReport;
  /** Counts at the time of return (with `wait`, the final ones). */
  readonly counts: RunReport['counts'];
}

/**
 * Enqueues every sample of the run that has no `ok` prediction, one job each,
 * and optionally waits for workers to finish them. The job expiry is sized
 * from the timeout and retry policy, so that a job is redelivered only when
 * its worker is really gone.
 */
export async function runDistributed(
  store: Store,
  config: EvalgateConfig,
  prepared: PreparedRun,
  opts: {
    wait?: boolean;
    /** Progress while waiting (the CLI passes its terminal bar; default silent). */
    progress?: ProgressFactory;
    timeoutMs: number;
    retry: RetryPolicy;
    pollIntervalMs?: number;
    signal?: AbortSignal;
    dbOutageMaxMs?: number;
  },
): Promise<DistributedRunResult & { runId: string }> {
  const url = assertDistributable(store, config.database.url);
  const db = store.db;
  const run = prepared.run;
  const scopeArgs = { datasetId: prepared.config.dataset.id, task: prepared.config.task, limit: prepared.config.limit };
  const pending = await listPendingSamples(db, { id: run.id, ...scopeArgs });
  const expireInSeconds = Math.ceil(
    (opts.timeoutMs * opts.retry.maxAttempts + Math.min(opts.retry.maxRetryAfterMs, opts.retry.maxDelayMs * 4) * (opts.retry.maxAttempts - 1)) / 1000 + 120,
  );
  const boss = await openSampleQueue(url, { expireInSeconds });
  try {
    await enqueueSamples(
      boss,
      run.id,
      pending.map((s) => s.id),
      { expireInSeconds },
    );
  } finally {
    await boss.stop({ graceful: true, wait: true, close: true });
  }
  const scope = await runScopeSize(db, scopeArgs);
  if (!opts.wait) return { runId: run.id, enqueued: pending.length, counts: await runCounts(db, run.id, scope) };

  const progress = (opts.progress ?? silentProgress)(`run ${run.id.slice(0, 8)}`, scope);
  // Waiting for workers outlives short database outages, like the workers themselves (issue 13 #10).
  const guard = new DbOutageGuard({ runId: run.id, maxOutageMs: opts.dbOutageMaxMs ?? config.runner.dbOutageMaxMs });
  let shown = 0;
  let counts = await guard.run(() => runCounts(db, run.id, scope));
  while (counts.pending > 0 && !opts.signal?.aborted) {
    await sleep(opts.pollIntervalMs ?? 1000, opts.signal).catch(() => undefined);
    counts = await guard.run(() => runCounts(db, run.id, scope));
    const done = counts.total - counts.pending;
    if (done > shown) progress.increment(done - shown, 0);
    shown = done;
  }
  progress.stop();
  const fresh = await guard.run(() => getRun(db, run.id));
  const report = await guard.run(() => (fresh?.status === 'completed' ? buildRunReport(db, fresh) : finalizeRun(db, run.id, {})));
  return { runId: run.id, enqueued: pending.length, report, counts: report.counts };
}
