import type { Kysely } from 'kysely';
import type { Database, Run } from '../store/database.js';
import type { ScoredSample, ScoreTaskResult, TaskScoreOptions } from '../../scorers/score-task.js';
import { percentile, sortedCopy } from '../../scorers/stats/percentile.js';
import { predictionsForScoring, runCounts, type RunCounts, type ScoreRow, type ScoredPredictionRow } from '../store/prediction-repo.js';
import { runScopeSize } from '../store/run-scope-repo.js';
import { rtfx } from '../rtfx.js';
import { runScoreValues } from '../store/run-score-values.js';

/** One item for the task scorer (the shape of `evalgate score` input). */
export interface ScoreItem {
  /** Manifest id. */
  readonly id: string;
  /** Expected text(s). */
  readonly reference?: string | string[];
  /** Correct letter for multiple choice. */
  readonly answer?: string;
  /** Options for multiple choice. */
  readonly choices?: string[];
  /** vqa: the human answers (scored with VQA accuracy). */
  readonly humanAnswers?: readonly string[];
  /** The model's answer. */
  readonly prediction: string;
}

/** What the task scorer returns: a task's `aggregate` result, its corpus metrics and per-sample entries. */
export type TaskScore = Pick<ScoreTaskResult, 'metrics' | 'samples'>;

/** A task scorer by task name: the registry's `aggregate` (tests inject their own). */
export type ScoreTaskFn = (task: string, items: readonly ScoreItem[], options?: TaskScoreOptions) => TaskScore;

/**
 * Scorer options as a run config stores them (`run` built them from its
 * validated flags). They go to the task as they are: its `aggregate` parses
 * them with the task's `options` schema, so no cast is needed here.
 */
export function scorerOptionsOf(stored: Readonly<Record<string, unknown>> | undefined): TaskScoreOptions | undefined {
  return stored;
}

/** The task registry's scorer, loaded on first use; each task scores with its own spec. */
export async function loadScoreTask(): Promise<ScoreTaskFn> {
  const { getTask } = await import('../../scorers/tasks/index.js');
  return (task, items, options) => {
    const spec = getTask(task);
    if (!spec) throw new Error(`no scorer for task ${task}`);
    return spec.aggregate(items, options);
  };
}

/** The scorer input for one prediction; a failed one counts as '' only with failedAsWrong. */
export function scoreItemOf(
  sample: {
    key: string;
    reference: string | string[] | null;
    answer: string | null;
    choices: string[] | null;
    humanAnswers?: readonly string[] | null;
  },
  prediction: string,
): ScoreItem {
  return {
    id: sample.key,
    ...(sample.reference !== null ? { reference: sample.reference } : {}),
    ...(sample.answer !== null ? { answer: sample.answer } : {}),
    ...(sample.choices !== null ? { choices: sample.choices } : {}),
    ...(sample.humanAnswers != null ? { humanAnswers: sample.humanAnswers } : {}),
    prediction,
  };
}

/** Per-sample score rows from a scorer's sample entry: every numeric or boolean field becomes a metric. */
export function scoreRowsOf(entry: ScoredSample | undefined): ScoreRow[] {
  if (!entry) return [];
  const rows: ScoreRow[] = [];
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) {
    // References never go into score rows (their details reach viewers who may not read references).
    if (k === 'id' || k === 'prediction' || k === 'reference' || k === 'humanAnswers' || k === 'human_answers') continue;
    if (k === 'missing') {
      details[k] = v;
      continue;
    }
    if (typeof v === 'number' && Number.isFinite(v)) rows.push({ metric: k, value: v });
    else if (typeof v === 'boolean') rows.push({ metric: k, value: v ? 1 : 0 });
    else details[k] = v;
  }
  return rows.map((r) => ({ ...r, details: Object.keys(details).length ? details : null }));
}

/** Latency summary in ms. */
export interface LatencyStats {
  /** Number of values. */
  readonly n: number;
  /** Mean. */
  readonly mean: number;
  /** Median. */
  readonly p50: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 95th percentile. */
  readonly p95: number;
  /** 99th percentile. */
  readonly p99: number;
  /** Maximum. */
  readonly max: number;
}

/** Percentiles with linear interpolation between order statistics (NumPy's default; scorers/stats/percentile.ts). */
export function latencyStats(values: readonly number[]): LatencyStats | null {
  const v = sortedCopy(values);
  const max = v.at(-1);
  if (max === undefined) return null;
  const q = (p: number): number => percentile(v, p);
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    n: v.length,
    mean: round(v.reduce((a, b) => a + b, 0) / v.length),
    p50: round(q(0.5)),
    p90: round(q(0.9)),
    p95: round(q(0.95)),
    p99: round(q(0.99)),
    max: round(max),
  };
}

/** What `run` ends with and `runs show` prints. */
export interface RunReport {
  /** Run id. */
  readonly runId: string;
  /** Run status. */
  readonly status: string;
  /** Model id. */
  readonly modelId: string;
  /** Task. */
  readonly task: string;
  /** Prediction counts. */
  readonly counts: RunCounts;
  /** Corpus metrics over `ok` predictions (plus failed ones as '' with failedAsWrong), keyed as in `evalgate score`. */
  readonly metrics: Record<string, unknown> | null;
  /** Whether failed samples were scored as empty answers. */
  readonly failedAsWrong: boolean;
  /** Request, first-token and per-sample latency percentiles over `ok` predictions, ms. */
  readonly latencyMs: { readonly request: LatencyStats | null; readonly firstToken: LatencyStats | null; readonly total: LatencyStats | null };
  /** RTFx as gateway/rtfx.ts defines it (audio s ÷ model-call s over `ok` predictions), unrounded; null without audio. */
  readonly rtfx: number | null;
  /** Seconds of audio in `ok` predictions. */
  readonly audioSeconds: number | null;
  /** Warnings recorded on the run (adapter warnings, scoring problems). */
  readonly warnings: readonly string[];
  /** A run that answered in speech (`run --asr-model`): its per-sample speech measures summarised; absent otherwise. */
  readonly speech?: SpeechSummary;
}

/** The per-sample measures of spoken answers over a run's `ok` predictions. */
export interface SpeechSummary {
  /** Time to first audio after the request (after the commit, for realtime upstreams), ms. */
  readonly firstAudioMs: LatencyStats | null;
  /** Length of the spoken answers, s. */
  readonly audioSeconds: LatencyStats | null;
  /** Real-time factor of the replies (request to last chunk ÷ audio length). */
  readonly realTimeFactor: LatencyStats | null;
  /** Mean WER of the expert's transcript against the model's own (text–speech consistency), over answers that came with one; null when none did. */
  readonly textSpeechWer: number | null;
}

/** The score rows a spoken-answer run stores per sample (run-batch.ts spokenAnswerScores). */
const speechMetrics = ['speech_first_audio_ms', 'speech_audio_s', 'speech_rtf', 'text_speech_wer'] as const;

async function speechSummary(db: Kysely<Database>, runId: string): Promise<SpeechSummary> {
  const v = await runScoreValues(db, runId, speechMetrics);
  const wers = v.get('text_speech_wer') ?? [];
  return {
    firstAudioMs: latencyStats(v.get('speech_first_audio_ms') ?? []),
    audioSeconds: latencyStats(v.get('speech_audio_s') ?? []),
    realTimeFactor: latencyStats(v.get('speech_rtf') ?? []),
    textSpeechWer: wers.length ? Math.round((wers.reduce((a, b) => a + b, 0) / wers.length) * 10_000) / 10_000 : null,
  };
}

function numberList(rows: readonly ScoredPredictionRow[], pick: (r: ScoredPredictionRow) => number | null): number[] {
  return rows.map(pick).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
}

/**
 * Computes a run's report from the database: what is stored is the truth, so
 * the same function serves the end of `run`, `runs show` on any machine while
 * workers are busy, and a resumed run.
 */
export async function buildRunReport(
  db: Kysely<Database>,
  run: Run,
  opts: { failedAsWrong?: boolean; scoreTask?: ScoreTaskFn; scorerOptions?: Readonly<Record<string, unknown>> } = {},
): Promise<RunReport> {
  const cfg = run.config as { limit?: number; failedAsWrong?: boolean; scorer?: Record<string, unknown>; speech?: unknown };
  const failedAsWrong = opts.failedAsWrong ?? cfg.failedAsWrong ?? false;
  const scope = run.dataset_id ? await runScopeSize(db, { datasetId: run.dataset_id, task: run.task, limit: cfg.limit }) : undefined;
  const counts = await runCounts(db, run.id, scope);
  const rows = await predictionsForScoring(db, run.id);
  const ok = rows.filter((r) => r.status === 'ok');
  const warnings = [...run.warnings];

  let metrics: Record<string, unknown> | null = null;
  const toScore = rows.filter((r) => r.status === 'ok' || (failedAsWrong && r.status === 'failed'));
  if (toScore.length > 0) {
    try {
      const scoreTask = opts.scoreTask ?? (await loadScoreTask());
      const items = toScore.map((r) =>
        scoreItemOf(
          { key: r.sampleKey, reference: r.reference, answer: r.answer, choices: r.choices, humanAnswers: r.humanAnswers },
          r.status === 'ok' ? (r.outputText ?? '') : '',
        ),
      );
      metrics = { ...scoreTask(run.task, items, scorerOptionsOf(opts.scorerOptions ?? cfg.scorer)).metrics };
    } catch (err) {
      warnings.push(`scoring failed: ${(err as Error).message}`);
    }
  }

  const audio = numberList(ok, (r) => r.audioSeconds);
  const audioSeconds = audio.length ? audio.reduce((a, b) => a + b, 0) : null;

  return {
    runId: run.id,
    status: run.status,
    modelId: run.model_id,
    task: run.task,
    counts,
    metrics,
    failedAsWrong,
    latencyMs: {
      request: latencyStats(numberList(ok, (r) => r.latencyRequestMs)),
      firstToken: latencyStats(numberList(ok, (r) => r.latencyFirstTokenMs)),
      total: latencyStats(numberList(ok, (r) => r.latencyTotalMs)),
    },
    // The one definition (gateway/rtfx.ts), unrounded: views format it with formatRtfx.
    rtfx: rtfx(rows),
    audioSeconds,
    warnings,
    // Duplex runs hear speech too, but their measures are the task's metrics.
    ...(cfg.speech && run.task !== 'duplex' ? { speech: await speechSummary(db, run.id) } : {}),
  };
}
