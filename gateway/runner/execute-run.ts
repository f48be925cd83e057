import type { Kysely } from 'kysely';
import type { ModelV1 } from '../models/spec/model-v1.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { isDatabaseUnavailable } from '../store/is-database-unavailable.js';
import { AdaptiveConcurrency } from './adaptive-concurrency.js';
import { DbOutageGuard } from './db-outage-guard.js';
import { PredictionWriter } from './prediction-writer.js';
import { newExecutor } from './run-claims.js';
import { releaseExecutor } from '../store/run-claim-repo.js';
import { RunSpill } from './run-spill.js';
import type { RunnerSample } from './build-request.js';
import { buildOptionsOf, type PreparedRun } from './prepare-run.js';
import { ResponseCache } from './response-cache.js';
import type { RetryPolicy } from './retry-policy.js';
import { runBatch, SampleProcessor, type BatchTotals, type SampleOutcome } from './run-batch.js';
import { RunHeartbeat } from './run-heartbeat.js';
import { runCounts, type ScoreRow } from '../store/prediction-repo.js';
import { finishRun, getRun, setRunWarnings } from '../store/run-repo.js';
import { listPendingSamples, runScopeSize } from '../store/run-scope-repo.js';
import { buildRunReport, loadScoreTask, scoreItemOf, scoreRowsOf, scorerOptionsOf, type RunReport, type ScoreTaskFn } from './score-run.js';

/** Operational knobs of one execution (none of them changes the run's identity). */
export interface ExecuteOptions {
  /** Maximum in-flight model calls. */
  readonly concurrency: number;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Retry policy. */
  readonly retry?: RetryPolicy;
  /** Stream answers to measure time to first token. */
  readonly stream?: boolean;
  /** Folder of the response cache; the cache is off when absent. */
  readonly cacheDir?: string;
  /** Stops the run; unfinished samples stay pending for `--resume`. */
  readonly signal?: AbortSignal;
  /** Called once with the number of samples to do. */
  readonly onStart?: (pending: number) => void;
  /** Called after each sample is stored. */
  readonly onOutcome?: (o: SampleOutcome) => void;
  /** The task scorer (default: scorers/score-task.ts). */
  readonly scoreTask?: ScoreTaskFn;
  /** How long one database outage may last before the run gives up, ms (default 120 000). */
  readonly dbOutageMaxMs?: number;
  /** Folder of the run spill files (answers kept while the database is away); none when absent. */
  readonly spillDir?: string;
  /** Reports database outages and recoveries (the CLI prints them on stderr). */
  readonly onNotice?: (message: string) => void;
}

/** The report plus what this execution did. */
export interface ExecuteResult {
  /** The run's report (over all its predictions, earlier executions included). */
  readonly report: RunReport;
  /** What this execution stored. */
  readonly totals: BatchTotals;
  /** Whether an existing run was continued. */
  readonly resumed: boolean;
}

/** Per-sample scoring with the task scorer; undefined when it cannot be loaded (the run still stores answers). */
export function perSampleScorer(task: string, scoreTask: ScoreTaskFn | undefined, scorerOptions?: Readonly<Record<string, unknown>>) {
  if (!scoreTask) return undefined;
  return (sample: RunnerSample, text: string): ScoreRow[] =>
    scoreRowsOf(scoreTask(task, [scoreItemOf(sample, text)], scorerOptionsOf(scorerOptions)).samples[0]);
}

async function tryLoadScoreTask(given: ScoreTaskFn | undefined, warnings: string[]): Promise<ScoreTaskFn | undefined> {
  if (given) return given;
  try {
    return await loadScoreTask();
  } catch (err) {
    warnings.push(`scorer unavailable, predictions stored unscored: ${(err as Error).message}`);
    return undefined;
  }
}

/** Builds the processor a run needs (shared by local runs and distributed workers). */
export function createProcessor(
  db: Kysely<Database>,
  prepared: PreparedRun,
  model: ModelV1,
  limiter: AdaptiveConcurrency,
  opts: Pick<ExecuteOptions, 'timeoutMs' | 'retry' | 'stream' | 'cacheDir'>,
  scoreTask: ScoreTaskFn | undefined,
  extra: { writer?: PredictionWriter; guard?: DbOutageGuard; executor?: string } = {},
): SampleProcessor {
  // Without its expert a spoken-answer run would score whatever text came with the audio: refused instead.
  if (prepared.config.speech && !prepared.speech) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `run ${prepared.run.id} scores spoken answers with ${prepared.config.speech.asrModelId}; it runs with \`evalgate run\` in one process (not with --distributed or \`evalgate worker\`)`,
    });
  }
  // The cache reports a failed write (full disk…) as one run warning; the run goes on.
  const cache = opts.cacheDir ? new ResponseCache(opts.cacheDir, { onWarning: (m) => processor.addWarning(m) }) : undefined;
  const processor: SampleProcessor = new SampleProcessor({
    db,
    runId: prepared.run.id,
    model,
    build: buildOptionsOf(prepared.config, prepared.rootDir, prepared.modelConfig),
    limiter,
    retry: opts.retry,
    timeoutMs: opts.timeoutMs,
    stream: opts.stream,
    cache: cache
      ? {
          cache,
          identity: { adapter: model.adapter, adapterVersion: model.adapterVersion, modelName: model.modelName, baseUrl: prepared.modelConfig.baseUrl },
        }
      : undefined,
    scoreSample: perSampleScorer(prepared.config.task, scoreTask, prepared.config.scorer),
    ...(prepared.speech ? { speech: prepared.speech } : {}),
    ...(prepared.duplex ? { duplex: prepared.duplex } : {}),
    ...extra,
  });
  return processor;
}

/** Stores warnings and the final report on the run. */
export async function finalizeRun(
  db: Kysely<Database>,
  runId: string,
  opts: { warnings?: readonly string[]; cancelled?: boolean; scoreTask?: ScoreTaskFn },
): Promise<RunReport> {
  const run = await getRun(db, runId);
  if (!run) throw new Error(`run ${runId} vanished`);
  const warnings = [...new Set([...run.warnings, ...(opts.warnings ?? [])])].slice(0, 200);
  await setRunWarnings(db, runId, warnings);
  const status = opts.cancelled ? 'cancelled' : 'completed';
  const report = await buildRunReport(db, { ...run, warnings, status }, { scoreTask: opts.scoreTask });
  const running = report.counts.pending > 0 && !opts.cancelled;
  // A finished run that answered nothing measured nothing: it ends failed, with the reason, and is never
  // ranked (leaderboards take completed runs), instead of completing with n = 0.
  if (!running && !opts.cancelled && report.counts.total > 0 && report.counts.ok === 0) {
    const reason = `no sample was answered (${report.counts.failed} failed, ${report.counts.skipped} skipped)`;
    const failed = { ...report, status: 'failed' as const, warnings: [...report.warnings, reason].slice(0, 200) };
    await setRunWarnings(db, runId, failed.warnings);
    await finishRun(db, runId, 'failed', failed as unknown as Record<string, unknown>);
    return failed;
  }
  const finalStatus = running ? 'running' : status;
  await finishRun(db, runId, finalStatus, report as unknown as Record<string, unknown>);
  return { ...report, status: finalStatus };
}

/**
 * Executes the pending samples of a prepared run in this process, then scores
 * the run and stores its summary. Samples already `ok` are never requested
 * again; failed ones are retried.
 */
export async function executeLocalRun(db: Kysely<Database>, prepared: PreparedRun & { model: ModelV1 }, opts: ExecuteOptions): Promise<ExecuteResult> {
  const runId = prepared.run.id;
  const warnings: string[] = [];
  const scoreTask = await tryLoadScoreTask(opts.scoreTask, warnings);
  const executor = prepared.executor ?? newExecutor();
  // Every database call of the execution waits out an outage, up to the bound (issue 13 #10).
  const guard = new DbOutageGuard({
    runId,
    maxOutageMs: opts.dbOutageMaxMs,
    onOutage: (err) => opts.onNotice?.(`database unavailable (${(err as Error).message}); run ${runId} waits for it, answers are kept`),
    onRecovered: (ms) => opts.onNotice?.(`database back after ${(ms / 1000).toFixed(1)} s; run ${runId} goes on`),
  });
  const spill = opts.spillDir ? new RunSpill(opts.spillDir, runId) : undefined;
  let spillWarned = false;
  const writer = new PredictionWriter(db, {
    guard,
    spill,
    onSpillError: (err) => {
      if (!spillWarned) opts.onNotice?.(`could not write the spill file ${spill?.path}: ${(err as Error).message}`);
      spillWarned = true;
    },
  });
  const pending = await guard.run(() =>
    listPendingSamples(db, { id: runId, datasetId: prepared.config.dataset.id, task: prepared.config.task, limit: prepared.config.limit }),
  );
  opts.onStart?.(pending.length);
  const limiter = new AdaptiveConcurrency({ max: opts.concurrency });
  const processor = createProcessor(db, prepared, prepared.model, limiter, opts, scoreTask, { writer, guard, executor: executor.id });
  // Held until the run's final state is written: scoring a large run can outlast the stale limit.
  const heartbeat = new RunHeartbeat(db, undefined, executor);
  heartbeat.hold(runId);
  try {
    const totals = await runBatch(processor, pending, { concurrency: opts.concurrency, signal: opts.signal, onOutcome: opts.onOutcome });
    if (limiter.decreases > 0) warnings.push(`rate limited: concurrency was reduced ${limiter.decreases} time(s)`);
    const report = await guard.run(() => finalizeRun(db, runId, { warnings: [...warnings, ...processor.warnings], cancelled: totals.cancelled, scoreTask }));
    // Everything spilled during an outage has since been written.
    await spill?.close(true);
    return { report, totals, resumed: prepared.resumed };
  } catch (err) {
    if (guard.gaveUp || isDatabaseUnavailable(err)) throw await giveUpOnDatabase(db, runId, err, guard, spill);
    await markRunFailed(db, runId, err);
    throw err;
  } finally {
    await heartbeat.stop();
    await releaseExecutor(db, executor.id).catch(() => undefined);
  }
}

/**
 * The database stayed away longer than the bound: the run ends `failed` with
 * EVALGATE_ERR_DB_UNAVAILABLE when that can still be stored; when it cannot,
 * a `run-failed` record goes to the spill file (replayed by `runs reap` and
 * `run --resume`). Either way the error names the run and the spill file.
 */
async function giveUpOnDatabase(db: Kysely<Database>, runId: string, err: unknown, guard: DbOutageGuard, spill: RunSpill | undefined): Promise<EvalgateError> {
  const cause = guard.gaveUp ?? err;
  const message = cause instanceof Error ? cause.message : String(cause);
  const recorded = await markRunFailed(db, runId, cause, 'EVALGATE_ERR_DB_UNAVAILABLE');
  if (spill && !recorded) await spill.append([{ type: 'run-failed', error: message, at: new Date().toISOString() }]).catch(() => undefined);
  await spill?.close(false);
  const kept = spill && spill.records > 0 ? `; ${spill.records} record(s) with the answers received are kept in ${spill.path}` : '';
  const state = recorded ? 'the run is marked failed' : 'the run could not be marked failed (evalgate runs reap marks it once its process is gone)';
  return new EvalgateError(
    'EVALGATE_ERR_DB_UNAVAILABLE',
    {
      detail: `${message}${kept}; ${state}; when the database is back, continue it with: evalgate run --resume ${runId} (answers already received are written first and not requested again)`,
    },
    { cause },
  );
}

/**
 * Marks a run whose execution threw (a database error, a bug) as `failed`
 * (resolves with whether that could be stored),
 * with the error and its counts so far, so that it does not look as if it were
 * still running. Best effort: when the database itself is gone this cannot be
 * recorded, and the original error is what the caller sees. `--resume` works
 * on a failed run like on any other.
 */
async function markRunFailed(db: Kysely<Database>, runId: string, err: unknown, code?: string): Promise<boolean> {
  try {
    const run = await getRun(db, runId);
    const config = run?.config as { dataset?: { id: string }; task?: string; limit?: number } | undefined;
    const scope = config?.dataset && config.task ? await runScopeSize(db, { datasetId: config.dataset.id, task: config.task, limit: config.limit }) : undefined;
    const counts = await runCounts(db, runId, scope);
    await finishRun(db, runId, 'failed', { status: 'failed', error: err instanceof Error ? err.message : String(err), ...(code ? { code } : {}), counts });
    return true;
  } catch {
    // The original error matters more than this bookkeeping.
    return false;
  }
}
