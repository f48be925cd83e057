// `evalgate judge --runs A,B --judge ID --pairwise`: a judge model compares
// two runs' answers to each sample they both answered, on Arena-Hard-Auto's
// five levels, in both presentation orders (A's answer first, then B's). The
// judging is a run of its own (task `judge-pair`) recording the judge's
// settings and the two source runs; each readable verdict is also an arena
// vote (source `judge`), idempotent through its dedupe key, so a rerun after a
// stop or a kill -9 judges only the orders still without a verdict and never
// stores a vote twice. An unreadable verdict or a failed judge call is a
// failed sample (stage `judge`): counted and shown, never a vote, never a tie.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { requireModelConfig } from '../config/find-model-config.js';
import { EvalgateError } from '../errors.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import { redactModelConfig } from '../runner/prepare-run.js';
import { stableJson } from '../runner/response-cache.js';
import { appendArenaVotes, listArenaVotes, type NewArenaVote } from '../store/arena-vote-repo.js';
import type { Database, Run } from '../store/database.js';
import { judgeRunResults, pairSourceCounts, pendingPairs, type PairSourceAnswers } from '../store/judge-answer-repo.js';
import { createRun, findRunByConfigHash, finishRun, getRun, resolveRunId } from '../store/run-repo.js';
import { evalgateVersion } from '../version.js';
import { markdownStyleCounts } from '../../scorers/arena/markdown-style-counts.js';
import {
  arenaHardJudgeSettings,
  arenaHardReask,
  arenaHardSystemPrompt,
  arenaHardUserTemplate,
  pairJudgeVersion,
  pairVerdictRule,
  pairVerdicts,
  parsePairVerdict,
  positionBias,
  renderPairPrompt,
  verdictForModels,
  type PairGame,
  type PairVerdict,
  type PositionBias,
} from '../../scorers/judge/judge-pair.js';
import { derivedTasks } from '../../scorers/tasks/index.js';
import { formatPairVerdicts } from '../../scorers/tasks/judge-pair.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { askJudge, type JudgeAsk, type JudgeFailure } from './judge-answer.js';
import { endJudgeExecution, judgeEach, startJudgeExecution, type JudgeExecuteOptions } from './judge-execution.js';
import { chooseJudgeModelId } from './judge-settings.js';
import { writeUnansweredSources } from './execute-judging.js';

type Db = Kysely<Database>;

/** The task name of pairwise judge runs. */
export const judgePairTaskName = 'judge-pair';

/** The two presentation orders: `AB` shows run A's answer as "Assistant A", `BA` shows run B's there. */
export type PairOrder = 'AB' | 'BA';
export const pairOrders: readonly PairOrder[] = ['AB', 'BA'];

/**
 * The judge settings of a pairwise run (`config.judge`). The fields compare
 * checks (`modelId`, `promptTemplate`, `temperature`, `samples`, `parseRule`)
 * have the same names as a pointwise run's, so compare warns on either.
 */
export interface PairJudgeSettings {
  readonly kind: 'pairwise';
  /** `arena-hard-v0.1`. */
  readonly rubric: string;
  readonly rubricVersion: string;
  readonly modelId: string;
  readonly adapter: string;
  readonly providerModel: string | null;
  /** The user prompt template (`{question}`, `{answerA}`, `{answerB}`). */
  readonly promptTemplate: string;
  readonly system: string;
  readonly temperature: number;
  /** Judge samples per presentation order. */
  readonly samples: 1;
  readonly maxOutputTokens: number;
  /** `arena-hard-verdict` (scorers/judge/judge-pair.ts parsePairVerdict). */
  readonly parseRule: string;
  readonly scale: readonly PairVerdict[];
  /** Both orders are always judged. */
  readonly orders: readonly PairOrder[];
  readonly reask: { readonly max: number; readonly promptSuffix: string; readonly temperatureStep: number };
  readonly upstream: readonly string[];
}

/** One source run as a pairwise run records it. */
export interface PairSourceRun {
  readonly runId: string;
  readonly modelId: string;
  readonly task: string;
  readonly configHash: string;
}

/** The `config` of a pairwise judge run. */
export interface PairJudgeRunConfig {
  readonly kind: 'judge-pair';
  /** Run A and run B, in the order given. */
  readonly sourceRuns: { readonly a: PairSourceRun; readonly b: PairSourceRun };
  /** The source runs' task (for the sample count of the boards). */
  readonly sourceTask: string;
  readonly judge: PairJudgeSettings;
  readonly judgeModel: ModelConfig;
  readonly scorerVersions: unknown;
}

/** What the user asked for. */
export interface PairJudgeRequest {
  /** Run A and run B (ids or prefixes). */
  readonly runs: readonly string[];
  readonly judge?: string;
  /** Start a new pairwise run even when one with these settings exists. */
  readonly forceNew?: boolean;
}

/** A pairwise run ready to execute. */
export interface PreparedPairJudging {
  readonly run: Run;
  readonly sourceA: Run;
  readonly sourceB: Run;
  readonly resumed: boolean;
  readonly settings: PairJudgeSettings;
  readonly judgeModel: ModelConfig;
  readonly model: ModelV1;
}

const upstream = [
  'lmarena/arena-hard-auto@196f6b826783b3da7310e361a805fa36f0be83f3 utils/judge_utils.py OG_ARENA_HARD_PROMPT',
  'lmarena/arena-hard-auto@196f6b826783b3da7310e361a805fa36f0be83f3 config/arena-hard-v0.1.yaml',
  'lmarena/arena-hard-auto@196f6b826783b3da7310e361a805fa36f0be83f3 gen_judgment.py get_score',
];

/** The recorded settings for pairwise judging by `model`. */
export function pairJudgeSettingsOf(model: ModelConfig): PairJudgeSettings {
  return {
    kind: 'pairwise',
    rubric: 'arena-hard-v0.1',
    rubricVersion: pairJudgeVersion,
    modelId: model.id,
    adapter: model.adapter,
    providerModel: model.model ?? null,
    promptTemplate: arenaHardUserTemplate,
    system: arenaHardSystemPrompt,
    temperature: arenaHardJudgeSettings.temperature,
    samples: 1,
    maxOutputTokens: arenaHardJudgeSettings.maxOutputTokens,
    parseRule: pairVerdictRule,
    scale: pairVerdicts,
    orders: pairOrders,
    reask: { ...arenaHardReask },
    upstream,
  };
}

const bad = (detail: string): EvalgateError => new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });

/**
 * Resolves the two runs and the judge, checks they can be compared (two
 * distinct runs of two distinct models on one dataset and task, neither a
 * judge run), and finds (same settings: continues) or creates the pairwise
 * run. Creates nothing when the request is invalid.
 */
export async function preparePairJudging(
  db: Db,
  config: EvalgateConfig,
  req: PairJudgeRequest,
  createModel: (m: ModelConfig) => Promise<ModelV1>,
): Promise<PreparedPairJudging> {
  if (req.runs.length !== 2) throw bad(`--runs takes exactly two runs, A,B (got ${req.runs.length})`);
  const [idA, idB] = [await resolveRunId(db, req.runs[0]!), await resolveRunId(db, req.runs[1]!)];
  if (idA === idB) throw bad(`--runs names run ${idA} twice: pairwise judging compares two different runs`);
  let sourceA = await getRun(db, idA);
  let sourceB = await getRun(db, idB);
  if (!sourceA) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'run', id: req.runs[0]! });
  if (!sourceB) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'run', id: req.runs[1]! });
  for (const r of [sourceA, sourceB]) {
    if (Object.hasOwn(derivedTasks, r.task)) throw bad(`run ${r.id} holds judge results (task ${r.task}); compare the runs it judged instead`);
  }
  if (!sourceA.dataset_id || sourceA.dataset_id !== sourceB.dataset_id) {
    throw bad(`runs ${sourceA.id} and ${sourceB.id} are not runs of one dataset: pairwise judging compares answers to the same samples`);
  }
  if (sourceA.task !== sourceB.task) throw bad(`runs ${sourceA.id} (${sourceA.task}) and ${sourceB.id} (${sourceB.task}) are runs of different tasks`);
  if (sourceA.model_id === sourceB.model_id) {
    throw bad(`runs ${sourceA.id} and ${sourceB.id} are both runs of model ${sourceA.model_id}: a vote needs two different models`);
  }
  const judgeModel = requireModelConfig(config, chooseJudgeModelId(config, req.judge));
  const settings = pairJudgeSettingsOf(judgeModel);
  const srcOf = (r: Run): PairSourceRun => ({ runId: r.id, modelId: r.model_id, task: r.task, configHash: r.config_hash });
  const sourceRuns = { a: srcOf(sourceA), b: srcOf(sourceB) };
  // A judge grading its own answers favours them: refused.
  for (const r of [sourceA, sourceB]) {
    if (r.model_id === judgeModel.id) throw bad(`the judge ${judgeModel.id} is one of the compared models (run ${r.id}); choose another judge`);
  }
  // The pair is one comparison whichever way it is named: `--runs B,A` continues the `--runs A,B` run
  // (in its stored order) instead of casting the same judge's votes on the same samples a second time.
  const configHash = createHash('sha256')
    .update(stableJson({ kind: judgePairTaskName, sourceRuns: [sourceA.id, sourceB.id].sort(), judgeModel: redactModelConfig(judgeModel), judge: settings }))
    .digest('hex');
  const model = await createModel(judgeModel);
  let run = req.forceNew ? undefined : await findRunByConfigHash(db, configHash);
  const resumed = run !== undefined;
  if (run && (run.config as unknown as PairJudgeRunConfig).sourceRuns?.a.runId === sourceB.id) [sourceA, sourceB] = [sourceB, sourceA];
  if (!run) {
    const cfg: PairJudgeRunConfig = {
      kind: 'judge-pair',
      sourceRuns,
      sourceTask: sourceA.task,
      judge: settings,
      judgeModel: redactModelConfig(judgeModel),
      scorerVersions: scorerVersions(judgePairTaskName),
    };
    run = await createRun(db, {
      // Ranked as model A's judged win rate against model B (the config names both).
      model_id: sourceA.model_id,
      dataset_id: sourceA.dataset_id,
      task: judgePairTaskName,
      config: JSON.stringify(cfg),
      config_hash: configHash,
      dataset_digest: sourceA.dataset_digest,
      merkle_root: sourceA.merkle_root,
      prompt_template: arenaHardUserTemplate,
      normalizer: null,
      adapter_version: `${model.adapter}@${model.adapterVersion}`,
      evalgate_version: evalgateVersion,
    });
  }
  return { run, sourceA, sourceB, resumed, settings, judgeModel, model };
}

/** Verdict counts per level, as presented. */
export type VerdictCounts = Readonly<Record<PairVerdict, number>>;

/** What `evalgate judge --pairwise` prints. */
export interface PairJudgeReport {
  readonly runId: string;
  readonly status: 'completed' | 'failed' | 'cancelled';
  readonly resumed: boolean;
  /** Model A and model B and their runs. */
  readonly sourceRuns: { readonly a: PairSourceRun; readonly b: PairSourceRun };
  readonly judge: PairJudgeSettings;
  /** Samples: both answered and judged in both orders (`ok`), failed at the judge, left pending, and those a source run did not answer. */
  readonly samples: {
    readonly shared: number;
    readonly ok: number;
    readonly judgeFailed: number;
    readonly pending: number;
    /** Samples some source run failed or skipped: stored failed at stage `source`, never judged. */
    readonly sourceFailed: number;
  };
  /** Per presentation order: the verdicts as the judge gave them (their A is the answer shown first), and the comparisons without one (failed). */
  readonly orders: Readonly<Record<PairOrder, { readonly verdicts: VerdictCounts; readonly failed: number }>>;
  /** How often the answer shown first wins (scorers/judge/judge-pair.ts positionBias). */
  readonly positionBias: PositionBias;
  /** Model A against model B over every vote, in model terms. */
  readonly summary: { readonly wins: number; readonly ties: number; readonly losses: number; readonly votes: number };
  /** Votes stored by this judge run. */
  readonly votes: number;
  readonly thisExecution: { readonly judged: number; readonly failed: number; readonly votesAdded: number; readonly cancelled: boolean };
  readonly warnings: readonly string[];
}

/** The modality of a sample for the arena: from its media kinds, text when it has none. */
export function sampleModality(mediaKinds: readonly string[]): 'text' | 'audio' | 'image' | 'video' {
  if (mediaKinds.includes('video')) return 'video';
  if (mediaKinds.includes('image') || mediaKinds.includes('images')) return 'image';
  if (mediaKinds.includes('audio')) return 'audio';
  return 'text';
}

const styleOf = (text: string): { length: number; headers: number; lists: number; bold: number } => ({ length: text.length, ...markdownStyleCounts(text) });

/** The dedupe key of one verdict: one vote per judge run, sample and order. */
export const pairVoteKey = (runId: string, sampleId: string, order: PairOrder): string => `judge:${runId}:${sampleId}:${order}`;

interface OrderOutcome {
  readonly order: PairOrder;
  readonly verdict?: PairVerdict;
  readonly error?: JudgeFailure;
  readonly asks: readonly JudgeAsk<PairVerdict>[];
  readonly attempts: number;
  readonly requestMs: number;
}

/**
 * Judges the comparisons left, storing each order's vote as soon as it is
 * read and each sample's result once both orders are done, then reports.
 */
export async function executePairJudging(db: Db, prepared: PreparedPairJudging, opts: JudgeExecuteOptions): Promise<PairJudgeReport> {
  const { run, sourceA, sourceB, settings } = prepared;
  const ex = await startJudgeExecution(db, run.id, prepared, opts);
  const { guard, writer, warnings } = ex;
  const done = { judged: 0, failed: 0, votesAdded: 0 };
  let status: PairJudgeReport['status'] = 'completed';
  const modelOf: Record<PairOrder, [string, string]> = { AB: [sourceA.model_id, sourceB.model_id], BA: [sourceB.model_id, sourceA.model_id] };
  try {
    await writeUnansweredSources(db, ex, [sourceA.id, sourceB.id], run.id);
    const pending = await guard.run(() => pendingPairs(db, sourceA.id, sourceB.id, run.id));
    const voted = await guard.run(() => votesByComparison(db, run.id));
    opts.onTotal?.(pending.length);
    await judgeEach(pending, opts, async (p: PairSourceAnswers) => {
      const started = performance.now();
      const have = voted.get(p.sampleId) ?? new Map<PairOrder, PairVerdict>();
      const outcomes: OrderOutcome[] = [];
      for (const order of pairOrders) {
        const known = have.get(order);
        if (known) {
          outcomes.push({ order, verdict: known, asks: [], attempts: 0, requestMs: 0 });
          continue;
        }
        const [first, second] = order === 'AB' ? [p.answerA, p.answerB] : [p.answerB, p.answerA];
        const asked = await askJudge(
          ex.call,
          {
            system: settings.system,
            prompt: renderPairPrompt(p.question ?? '', first, second),
            temperature: settings.temperature,
            maxOutputTokens: settings.maxOutputTokens,
            samples: 1,
            reask: settings.reask,
            parse: parsePairVerdict,
            ruleText: `rule ${settings.parseRule}: [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]`,
          },
          opts.signal,
        );
        const verdict = asked.status === 'ok' ? asked.values[0] : undefined;
        outcomes.push({
          order,
          ...(verdict ? { verdict } : {}),
          ...(asked.status === 'failed' ? { error: asked.error } : {}),
          asks: asked.asks,
          attempts: asked.attempts,
          requestMs: asked.requestMs,
        });
      }
      // The votes first (idempotent), then the sample's result: a kill between the two leaves the
      // sample pending with its votes stored, and the rerun only writes the result.
      const votes: NewArenaVote[] = outcomes
        .filter((o) => o.verdict !== undefined && !have.has(o.order))
        .map((o) => {
          const [modelA, modelB] = modelOf[o.order];
          const [first, second] = o.order === 'AB' ? [p.answerA, p.answerB] : [p.answerB, p.answerA];
          return {
            source: 'judge',
            judge_run_id: run.id,
            sample_id: p.sampleId,
            modality: sampleModality(p.mediaKinds),
            model_a: modelA,
            model_b: modelB,
            vote: o.verdict!,
            voter_key: settings.modelId,
            style: { a: styleOf(first), b: styleOf(second) },
            details: JSON.stringify({ order: o.order, sampleKey: p.key, asks: o.asks.length, attempts: o.attempts }),
            dedupe_key: pairVoteKey(run.id, p.sampleId, o.order),
          };
        });
      done.votesAdded += await guard.run(() => appendArenaVotes(db, votes));
      const failedOrders = outcomes.filter((o) => o.verdict === undefined);
      const raw = { orders: outcomes.map((o) => ({ order: o.order, verdict: o.verdict ?? null, asks: o.asks, ...(o.error ? { error: o.error } : {}) })) };
      const attempts = outcomes.reduce((s, o) => s + o.attempts, 0);
      const requestMs = outcomes.reduce((s, o) => s + o.requestMs, 0);
      const ok = failedOrders.length === 0;
      const modelTerms = outcomes.map((o) => verdictForModels({ shownFirst: o.order === 'AB' ? 'A' : 'B', verdict: o.verdict })!);
      await writer.write({
        runId: run.id,
        sampleId: p.sampleId,
        status: ok ? 'ok' : 'failed',
        ...(ok
          ? { outputText: formatPairVerdicts(modelTerms) }
          : {
              error: {
                code: 'judge',
                message: failedOrders.map((o) => `order ${o.order}: ${o.error?.message ?? 'no verdict'}`).join('; '),
                retryable: failedOrders.some((o) => o.error?.retryable === true),
              },
            }),
        rawResponse: raw,
        attempts,
        latencyRequestMs: ok ? requestMs : null,
        latencyTotalMs: performance.now() - started,
      });
      if (ok) done.judged++;
      else done.failed++;
      opts.onAnswer?.(ok ? 'ok' : 'failed');
    });
    if (opts.signal?.aborted) status = 'cancelled';
  } catch (err) {
    status = 'failed';
    warnings.add(`judging stopped: ${(err as Error).message}`);
  } finally {
    await endJudgeExecution(db, ex, !guard.gaveUp);
  }
  return guard.run(async () => {
    const report = await pairJudgeReport(db, prepared, { ...done, cancelled: status === 'cancelled' }, [...warnings], status);
    const finalStatus = report.status === 'completed' && report.samples.ok === 0 && report.samples.shared > 0 ? 'failed' : report.status;
    await finishRun(db, run.id, finalStatus, {
      status: finalStatus,
      samples: report.samples,
      orders: report.orders,
      positionBias: report.positionBias,
      summary: report.summary,
      sourceRuns: report.sourceRuns,
      warnings: report.warnings,
    });
    return { ...report, status: finalStatus };
  });
}

/** The verdicts already stored for a judge run, by sample and order (as presented). */
async function votesByComparison(db: Db, judgeRunId: string): Promise<Map<string, Map<PairOrder, PairVerdict>>> {
  const out = new Map<string, Map<PairOrder, PairVerdict>>();
  for (const v of await listArenaVotes(db, { source: 'judge', judgeRunId })) {
    const order = v.dedupe_key.endsWith(':BA') ? 'BA' : 'AB';
    if (!v.sample_id) continue;
    const m = out.get(v.sample_id) ?? new Map<PairOrder, PairVerdict>();
    m.set(order, v.vote);
    out.set(v.sample_id, m);
  }
  return out;
}

const zeroCounts = (): Record<PairVerdict, number> => ({ 'A>>B': 0, 'A>B': 0, 'A=B': 0, 'B>A': 0, 'B>>A': 0 });

/** The pairwise run's figures, from its stored votes and results (so a rerun reports the whole run, not one execution). */
export async function pairJudgeReport(
  db: Db,
  prepared: Pick<PreparedPairJudging, 'run' | 'sourceA' | 'sourceB' | 'settings' | 'resumed'>,
  thisExecution: PairJudgeReport['thisExecution'],
  warnings: readonly string[],
  status: PairJudgeReport['status'],
): Promise<PairJudgeReport> {
  const { run, sourceA, sourceB } = prepared;
  const votes = await listArenaVotes(db, { source: 'judge', judgeRunId: run.id });
  const preds = await judgeRunResults(db, run.id);
  const counts = await pairSourceCounts(db, sourceA.id, sourceB.id);
  const orders: Record<PairOrder, { verdicts: Record<PairVerdict, number>; failed: number }> = {
    AB: { verdicts: zeroCounts(), failed: 0 },
    BA: { verdicts: zeroCounts(), failed: 0 },
  };
  const games = new Map<string, PairGame[]>();
  const summary = { wins: 0, ties: 0, losses: 0, votes: votes.length };
  for (const v of votes) {
    const order: PairOrder = v.dedupe_key.endsWith(':BA') ? 'BA' : 'AB';
    orders[order].verdicts[v.vote]++;
    const game: PairGame = { shownFirst: order === 'AB' ? 'A' : 'B', verdict: v.vote };
    games.set(v.sample_id ?? v.id, [...(games.get(v.sample_id ?? v.id) ?? []), game]);
    const m = verdictForModels(game)!;
    if (m === 'A=B') summary.ties++;
    else if (m.startsWith('A>')) summary.wins++;
    else summary.losses++;
  }
  let ok = 0;
  let judgeFailed = 0;
  let sourceFailed = 0;
  for (const p of preds) {
    if (p.status === 'ok') ok++;
    else if (p.error?.code === 'source') sourceFailed++;
    else {
      judgeFailed++;
      const raw = p.raw_response as { orders?: { order: PairOrder; verdict: PairVerdict | null }[] } | null;
      for (const o of raw?.orders ?? []) {
        if (o.verdict !== null) continue;
        orders[o.order].failed++;
        // An unreadable game counts in the position-bias figures as unreadable.
        games.set(p.sample_id, [...(games.get(p.sample_id) ?? []), { shownFirst: o.order === 'AB' ? 'A' : 'B', verdict: undefined }]);
      }
    }
  }
  return {
    runId: run.id,
    status,
    resumed: prepared.resumed,
    sourceRuns: (run.config as unknown as PairJudgeRunConfig).sourceRuns,
    judge: prepared.settings,
    samples: { shared: counts.shared, ok, judgeFailed, pending: Math.max(0, counts.shared - ok - judgeFailed), sourceFailed },
    orders,
    positionBias: positionBias([...games.values()]),
    summary,
    votes: votes.length,
    thisExecution,
    warnings,
  };
}
