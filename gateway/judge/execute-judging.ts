// `evalgate judge`: a judge model scores another run's answers under a
// rubric. The scores are stored as a run of their own (task `judge-score`):
// same model, dataset and samples as the judged run, one prediction per
// judged answer whose text is the judge's score, the judge's replies in
// `raw_response`, and the judge's settings in `config.judge`. So resume,
// `runs show`, export, compare and the leaderboard work on judge scores as on
// any run, and a judged run never changes the run it judged.
import type { Kysely } from 'kysely';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { requireModelConfig } from '../config/find-model-config.js';
import { EvalgateError } from '../errors.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import { redactModelConfig } from '../runner/prepare-run.js';
import { buildRunReport, type RunReport } from '../runner/score-run.js';
import type { Database, Run } from '../store/database.js';
import { createRun, findRunByConfigHash, finishRun, getRun, resolveRunId } from '../store/run-repo.js';
import { getDatasetById } from '../store/run-scope-repo.js';
import { pendingAnswers, sourceCounts, unansweredSamples } from '../store/judge-answer-repo.js';
import { evalgateVersion } from '../version.js';
import { formatJudgeReference, type JudgeRubric } from '../../scorers/judge/judge-rubric.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { judgeAnswer, type JudgedAnswer } from './judge-answer.js';
import { endJudgeExecution, judgeEach, startJudgeExecution, type JudgeExecuteOptions, type JudgeExecution } from './judge-execution.js';
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

export type { JudgeExecuteOptions } from './judge-execution.js';

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
 * only what is left. The source run's samples without an answer are stored as
 * failed at the `source` stage: counted, never judged.
 */
export async function executeJudging(db: Db, prepared: PreparedJudging, opts: JudgeExecuteOptions): Promise<JudgeReport> {
  const { run, source, rubric } = prepared;
  const ex = await startJudgeExecution(db, run.id, prepared, opts);
  const { guard, writer, warnings } = ex;
  const done = { judged: 0, failed: 0 };
  let status: 'completed' | 'failed' | 'cancelled' = 'completed';
  try {
    await writeUnansweredSources(db, ex, source.id, run.id);
    const pending = await guard.run(() => pendingAnswers(db, source.id, run.id));
    opts.onTotal?.(pending.length);
    await judgeEach(pending, opts, async (a) => {
      const started = performance.now();
      const input = { question: a.question ?? '', reference: formatJudgeReference(rubric, a.reference), prediction: a.prediction };
      const judged: JudgedAnswer =
        rubric.needsReference && a.reference === null
          ? {
              status: 'failed',
              error: { code: 'judge', message: `rubric ${rubric.name} needs a reference and sample ${a.key} has none`, retryable: false },
              asks: [],
              attempts: 0,
              requestMs: 0,
            }
          : await judgeAnswer(ex.call, rubric, input, opts.signal);
      const raw = { asks: judged.asks, ...(judged.status === 'ok' ? { values: judged.values } : {}) };
      await writer.write({
        runId: run.id,
        sampleId: a.sampleId,
        status: judged.status,
        ...(judged.status === 'ok' ? { outputText: String(judged.score), scores: [{ metric: 'judge_score', value: judged.score }] } : { error: judged.error }),
        rawResponse: raw,
        attempts: judged.attempts,
        latencyRequestMs: judged.status === 'ok' ? judged.requestMs : null,
        latencyTotalMs: performance.now() - started,
      });
      if (judged.status === 'ok') done.judged++;
      else done.failed++;
      opts.onAnswer?.(judged.status);
    });
    if (opts.signal?.aborted) status = 'cancelled';
  } catch (err) {
    status = 'failed';
    warnings.add(`judging stopped: ${(err as Error).message}`);
  } finally {
    await endJudgeExecution(db, ex, !guard.gaveUp);
  }
  return guard.run(async () => {
    const counts = await sourceCounts(db, source.id);
    const fresh = (await getRun(db, run.id)) ?? run;
    const report = await buildRunReport(db, { ...fresh, warnings: [...fresh.warnings, ...warnings] });
    // A judged run's scope is the source run's samples (its own dataset scope holds no `judge-score` samples).
    const total = counts.answered + counts.unanswered;
    const reportCounts = { ...report.counts, pending: Math.max(0, total - report.counts.ok - report.counts.failed), total };
    if (status === 'completed' && report.counts.ok === 0 && counts.answered > 0) status = 'failed';
    const summary = { status, counts: reportCounts, metrics: report.metrics, source: { runId: source.id, ...counts }, warnings: [...warnings] };
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
  });
}

/**
 * Stores the source run's samples that have no answer (failed or skipped
 * there) as failed at the `source` stage in the judge run, once: a judged
 * run's counts then show them instead of dropping them.
 */
export async function writeUnansweredSources(db: Db, ex: JudgeExecution, sourceRunIds: string | readonly string[], judgeRunId: string): Promise<number> {
  const ids = typeof sourceRunIds === 'string' ? [sourceRunIds] : sourceRunIds;
  const rows = await ex.guard.run(() => unansweredSamples(db, ids, judgeRunId));
  await Promise.all(
    rows.map((r) =>
      ex.writer.write({
        runId: judgeRunId,
        sampleId: r.sampleId,
        status: 'failed',
        error: { code: 'source', message: `no answer to judge: run ${r.runId} ${r.status === 'skipped' ? 'skipped' : 'failed'} this sample`, retryable: false },
        attempts: 0,
        latencyRequestMs: null,
        latencyTotalMs: null,
      }),
    ),
  );
  return rows.length;
}
