// `evalgate judge`: a judge model scores another run's answers under a
// rubric. The scores are stored as a run of their own (task `judge-score`):
// same model, dataset and samples as the judged run, one prediction per
// judged answer whose text is the judge's score, the judge's replies in
// `raw_response`, and the judge's settings in `config.judge`. So resume,
// `runs show`, export, compare and the leaderboard work on judge scores as on
// any run, and a judged run never changes the run it judged.
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { requireModelConfig } from '../config/find-model-config.js';
import { EvalgateError } from '../errors.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import { AdaptiveConcurrency } from '../runner/adaptive-concurrency.js';
import { redactModelConfig } from '../runner/prepare-run.js';
import { ResponseCache } from '../runner/response-cache.js';
import { defaultRetryPolicy, type RetryPolicy } from '../runner/retry-policy.js';
import { RunCancelledError } from '../runner/run-batch.js';
import { newExecutor, takeOverRun } from '../runner/run-claims.js';
import { RunHeartbeat } from '../runner/run-heartbeat.js';
import { PredictionWriter } from '../runner/prediction-writer.js';
import { buildRunReport, type RunReport } from '../runner/score-run.js';
import type { Database, Run } from '../store/database.js';
import { releaseExecutor } from '../store/run-claim-repo.js';
import { createRun, findRunByConfigHash, finishRun, getRun, markRunRunning, resolveRunId } from '../store/run-repo.js';
import { getDatasetById } from '../store/run-scope-repo.js';
import { pendingAnswers, sourceCounts } from '../store/judge-answer-repo.js';
import { evalgateVersion } from '../version.js';
import { formatJudgeReference, type JudgeRubric } from '../../scorers/judge/judge-rubric.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { judgeAnswer, type JudgeCallOptions } from './judge-answer.js';
import { chooseJudgeModelId, chooseRubric, judgeConfigHash, judgeSettingsOf, type JudgeSettings } from './judge-settings.js';

type Db = Kysely<Database>;

/** The task name of judged runs. */
export const judgeScoreTaskName = 'judge-score';

/** What the user asked for on `evalgate judge`. */
export interface JudgeRequest {
  /** The run whose answers are judged (id or prefix). */
  readonly run: string;
  /** Judge model id (default: the configuration's `judge.model`). */
  readonly judge?: string;
  /** Rubric name (default: the configuration's choice for the run's dataset or task). */
  readonly rubric?: string;
  /** Start a new judged run even when one with these settings exists. */
  readonly forceNew?: boolean;
}

/** A judged run ready to execute. */
export interface PreparedJudging {
  /** The judged run's row. */
  readonly run: Run;
  /** The run whose answers are judged. */
  readonly source: Run;
  /** Whether an existing judged run is continued. */
  readonly resumed: boolean;
  /** The rubric. */
  readonly rubric: JudgeRubric;
  /** The recorded settings. */
  readonly settings: JudgeSettings;
  /** The judge model's configuration. */
  readonly judgeModel: ModelConfig;
  /** The judge model. */
  readonly model: ModelV1;
}

/** The `config` of a judged run. */
export interface JudgeRunConfig {
  /** Always `judge-score`. */
  readonly kind: 'judge-score';
  /** The judged run. */
  readonly sourceRunId: string;
  /** Its task and configuration hash. */
  readonly sourceTask: string;
  readonly sourceConfigHash: string;
  /** The judge settings compare reads. */
  readonly judge: JudgeSettings;
  /** The judge model's configuration, secret-looking options redacted. */
  readonly judgeModel: ModelConfig;
  /** Scorer versions of `judge-score`, like every run. */
  readonly scorerVersions: unknown;
}

/**
 * Resolves the source run, the judge and the rubric, and finds (same
 * settings: continues) or creates the judged run. Creates nothing when the
 * request is invalid.
 */
export async function prepareJudging(
  db: Db,
  config: EvalgateConfig,
  req: JudgeRequest,
  createModel: (m: ModelConfig) => Promise<ModelV1>,
): Promise<PreparedJudging> {
  const sourceId = await resolveRunId(db, req.run);
  const source = await getRun(db, sourceId);
  if (!source) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'run', id: req.run });
  if (source.task === judgeScoreTaskName) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `run ${source.id} holds judge scores; judge the run it judged instead` });
  }
  const dataset = source.dataset_id ? await getDatasetById(db, source.dataset_id) : undefined;
  const { rubric } = chooseRubric(config, { rubric: req.rubric, datasetName: dataset?.name ?? null, task: source.task });
  const judgeModel = requireModelConfig(config, chooseJudgeModelId(config, req.judge));
  const settings = judgeSettingsOf(rubric, judgeModel);
  const configHash = judgeConfigHash(source.id, judgeModel, settings);
  const model = await createModel(judgeModel);

  let run = req.forceNew ? undefined : await findRunByConfigHash(db, configHash);
  const resumed = run !== undefined;
  if (!run) {
    const cfg: JudgeRunConfig = {
      kind: 'judge-score',
      sourceRunId: source.id,
      sourceTask: source.task,
      sourceConfigHash: source.config_hash,
      judge: settings,
      judgeModel: redactModelConfig(judgeModel),
      scorerVersions: scorerVersions(judgeScoreTaskName),
    };
    run = await createRun(db, {
      model_id: source.model_id,
      dataset_id: source.dataset_id,
      task: judgeScoreTaskName,
      config: JSON.stringify(cfg),
      config_hash: configHash,
      dataset_digest: source.dataset_digest,
      merkle_root: source.merkle_root,
      prompt_template: rubric.template,
      normalizer: null,
      adapter_version: `${model.adapter}@${model.adapterVersion}`,
      evalgate_version: evalgateVersion,
    });
  }
  return { run, source, resumed, rubric, settings, judgeModel, model };
}

/** Execution settings. */
export interface JudgeExecuteOptions {
  /** Judge calls in flight at most. */
  readonly concurrency: number;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Retry policy of judge calls (default: 5 attempts). */
  readonly retry?: RetryPolicy;
  /** Response cache folder (temperature-0 asks), when caching is on. */
  readonly cacheDir?: string;
  /** Stops the judging cleanly: calls in flight finish, the rest stays pending, the run ends `cancelled`. */
  readonly signal?: AbortSignal;
  /** Told the number of answers to judge, once known. */
  readonly onTotal?: (n: number) => void;
  /** Told after each stored answer. */
  readonly onAnswer?: (status: 'ok' | 'failed') => void;
  /** Jitter source (tests). */
  readonly random?: () => number;
}

/** What `evalgate judge` prints. */
export interface JudgeReport extends RunReport {
  /** The judged run. */
  readonly sourceRunId: string;
  /** Whether an existing judged run was continued. */
  readonly resumed: boolean;
  /** The judge settings recorded with the run. */
  readonly judge: JudgeSettings;
  /** The source run's answers: judged or still to judge (`answered`), and those with no answer to judge (`unanswered`: failed or skipped). */
  readonly source: { readonly answered: number; readonly unanswered: number };
  /** What this invocation did. */
  readonly thisExecution: { readonly judged: number; readonly failed: number; readonly cancelled: boolean };
}

/**
 * Judges the pending answers with bounded concurrency, storing each score (or
 * judge-stage failure) as it comes, then the run's report. Each prediction is
 * an upsert that never replaces an `ok` row, so re-running after a kill judges
 * only what is left.
 */
export async function executeJudging(db: Db, prepared: PreparedJudging, opts: JudgeExecuteOptions): Promise<JudgeReport> {
  const { run, source, rubric } = prepared;
  const executor = newExecutor();
  await takeOverRun(db, run.id, executor);
  await markRunRunning(db, run.id, []);
  const heartbeat = new RunHeartbeat(db, undefined, executor);
  heartbeat.hold(run.id);
  const writer = new PredictionWriter(db);
  const warnings = new Set<string>();
  const cache = opts.cacheDir ? new ResponseCache(resolve(opts.cacheDir, 'responses'), { onWarning: (w) => warnings.add(w) }) : undefined;
  const providerOptions = prepared.judgeModel.options.providerOptions;
  const call: JudgeCallOptions = {
    model: prepared.model,
    ...(providerOptions && typeof providerOptions === 'object' ? { providerOptions: providerOptions as Record<string, unknown> } : {}),
    limiter: new AdaptiveConcurrency({ max: Math.max(1, opts.concurrency) }),
    retry: opts.retry ?? defaultRetryPolicy,
    timeoutMs: opts.timeoutMs,
    ...(cache
      ? {
          cache: {
            cache,
            identity: {
              adapter: prepared.model.adapter,
              adapterVersion: prepared.model.adapterVersion,
              modelName: prepared.model.modelName,
              ...(prepared.judgeModel.baseUrl ? { baseUrl: prepared.judgeModel.baseUrl } : {}),
            },
          },
        }
      : {}),
    ...(opts.random ? { random: opts.random } : {}),
  };
  const done = { judged: 0, failed: 0 };
  let status: 'completed' | 'failed' | 'cancelled' = 'completed';
  try {
    const pending = await pendingAnswers(db, source.id, run.id);
    opts.onTotal?.(pending.length);
    const queue = pending.values();
    const loop = async (): Promise<void> => {
      for (const a of queue) {
        if (opts.signal?.aborted) return;
        const started = performance.now();
        const input = { question: a.question ?? '', reference: formatJudgeReference(rubric, a.reference), prediction: a.prediction };
        let judged;
        if (rubric.needsReference && a.reference === null) {
          judged = {
            status: 'failed' as const,
            error: { code: 'judge' as const, message: `rubric ${rubric.name} needs a reference and sample ${a.key} has none`, retryable: false },
            asks: [],
            attempts: 0,
            requestMs: 0,
          };
        } else {
          try {
            judged = await judgeAnswer(call, rubric, input, opts.signal);
          } catch (err) {
            if (err instanceof RunCancelledError) return;
            throw err;
          }
        }
        const raw = { asks: judged.asks, ...(judged.status === 'ok' ? { values: judged.values } : {}) };
        await writer.write({
          runId: run.id,
          sampleId: a.sampleId,
          status: judged.status,
          ...(judged.status === 'ok'
            ? { outputText: String(judged.score), scores: [{ metric: 'judge_score', value: judged.score }] }
            : { error: judged.error }),
          rawResponse: raw,
          attempts: judged.attempts,
          latencyRequestMs: judged.status === 'ok' ? judged.requestMs : null,
          latencyTotalMs: performance.now() - started,
        });
        if (judged.status === 'ok') done.judged++;
        else done.failed++;
        opts.onAnswer?.(judged.status);
      }
    };
    const loops = Math.max(1, Math.min(pending.length, opts.concurrency * 2));
    const results = await Promise.allSettled(Array.from({ length: loops }, loop));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    if (opts.signal?.aborted) status = 'cancelled';
  } catch (err) {
    status = 'failed';
    warnings.add(`judging stopped: ${(err as Error).message}`);
  } finally {
    await heartbeat.stop();
    await releaseExecutor(db, executor.id).catch(() => undefined);
  }
  const counts = await sourceCounts(db, source.id);
  const fresh = (await getRun(db, run.id)) ?? run;
  const report = await buildRunReport(db, { ...fresh, warnings: [...fresh.warnings, ...warnings] });
  // A judged run's scope is the source run's answers: its own dataset scope (no `judge-score` samples) says nothing.
  const judgedTotal = report.counts.ok + report.counts.failed;
  const pendingLeft = Math.max(0, counts.answered - judgedTotal);
  const reportCounts = { ...report.counts, pending: pendingLeft, total: counts.answered };
  if (status === 'completed' && report.counts.ok === 0 && counts.answered > 0) status = 'failed';
  const summary = {
    status,
    counts: reportCounts,
    metrics: report.metrics,
    source: { runId: source.id, ...counts },
    warnings: [...warnings],
  };
  await finishRun(db, run.id, status, summary);
  return {
    ...report,
    status,
    counts: reportCounts,
    warnings: report.warnings,
    sourceRunId: source.id,
    resumed: prepared.resumed,
    judge: prepared.settings,
    source: counts,
    thisExecution: { ...done, cancelled: status === 'cancelled' },
  };
}
