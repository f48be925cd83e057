import { mcnemar } from '../../scorers/stats/mcnemar.js';
import { bootstrapInterval, pairedBootstrap, type BootstrapOptions, type Interval } from '../../scorers/stats/paired-bootstrap.js';
import { percentiles } from '../../scorers/stats/percentile.js';
import { pairedPermutationTest } from '../../scorers/stats/paired-permutation.js';
import { pooledRatio, type CorpusStatistic, type RatioItem } from '../../scorers/stats/ratio-stat.js';
import { EvalgateError } from '../errors.js';
import { rtfx } from '../rtfx.js';
import { definedSize, type RunHeader, type RunOutcomes, type SampleOutcome } from './load-run-outcomes.js';
import { scoreOutcomes, type ScoredSample } from './score-outcomes.js';
import { sliceLabels } from './slice-labels.js';
import { differingScorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { differingJudgeSettings } from '../judge/judge-setting-differences.js';

/** How a group of samples is split for the breakdown. */
export type BreakdownKey = 'task' | 'tag' | 'lang';

/** Comparison settings. */
export interface CompareOptions {
  /** Breakdown dimension (default `tag`). */
  readonly by?: BreakdownKey;
  /** Bootstrap resamples (default 1000). */
  readonly iterations?: number;
  /** Seed for bootstrap and permutation draws (default 1). */
  readonly seed?: number;
  /** How many disagreement rows to list (0 = none). */
  readonly samples?: number;
}

/** One run's numbers on a sample set. */
export interface RunMetric {
  /** Run id. */
  readonly runId: string;
  /** Model id. */
  readonly modelId: string;
  /** Model kind. */
  readonly modelKind: string;
  /** Primary metric with its 95 % bootstrap interval. */
  readonly value: Interval;
}

/** B versus the baseline (the first run). */
export interface PairedDifference {
  /** Baseline run. */
  readonly baselineRunId: string;
  /** Compared run. */
  readonly runId: string;
  /** Metric(B) − metric(A) with a paired bootstrap interval. */
  readonly difference: Interval;
  /** p-value of the paired test. */
  readonly pValue: number;
  /** `mcnemar` for accuracy, `permutation` for rates. */
  readonly test: 'mcnemar' | 'permutation';
}

/** Metrics on one slice of the shared samples. */
export interface SliceComparison {
  /** Slice label (`all`, a tag, a language, a task). */
  readonly slice: string;
  /** Samples in the slice. */
  readonly n: number;
  /** On a sealed dataset: samples the dataset defines for this slice; the slice is complete when `n` equals it. */
  readonly datasetN?: number;
  /** Per-run metric. */
  readonly runs: readonly RunMetric[];
  /** Paired differences against the first run. */
  readonly differences: readonly PairedDifference[];
}

/** Latency and speed of one run over the shared samples. */
export interface RunLatency {
  /** Run id. */
  readonly runId: string;
  /** Percentiles of end-to-end latency, ms. */
  readonly totalMs: { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null };
  /** Percentiles of time to first token, ms (null when not streamed). */
  readonly firstTokenMs: { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null };
  /** The run's RTFx (gateway/rtfx.ts: audio s ÷ model-call s over all its `ok` samples, not only the shared ones). */
  readonly rtfx: number | null;
}

/** A sample where the runs disagree. */
export interface Disagreement {
  /** Sample id in the manifest. */
  readonly sampleKey: string;
  /** Largest gap between runs on this sample's primary score. */
  readonly gap: number;
  /** Per run: the prediction text and its per-sample score and error summary. */
  readonly runs: readonly { runId: string; prediction: string | null; score: number; errors: string }[];
  /** Media files of the sample (paths relative to the dataset root). */
  readonly media: readonly string[];
}

/** The full comparison. */
export interface Comparison {
  /** Task compared. */
  readonly task: string;
  /** Primary metric name (`wer`, `cer`, `accuracy`, `anls`). */
  readonly metric: string;
  /** Whether lower is better for the metric. */
  readonly lowerIsBetter: boolean;
  /** Samples scored `ok` by every run. */
  readonly sharedSamples: number;
  /** Samples per run before intersecting. */
  readonly samplesPerRun: Readonly<Record<string, { ok: number; failed: number; skipped: number }>>;
  /** Overall and per-slice results. */
  readonly overall: SliceComparison;
  /** Breakdown dimension. */
  readonly by: BreakdownKey;
  /** Per-slice results. */
  readonly breakdown: readonly SliceComparison[];
  /** Latency per run. */
  readonly latency: readonly RunLatency[];
  /** Things that make the comparison less clean. */
  readonly warnings: readonly string[];
  /** Largest disagreements, when asked for. */
  readonly disagreements: readonly Disagreement[];
  /** Bootstrap settings, for reproducibility. */
  readonly bootstrap: { readonly iterations: number; readonly seed: number };
  /** Whether the runs' dataset is sealed: per-sample rows and small slices are then admin-only. */
  readonly sealed: boolean;
  /** What the sealed policy left out of this document for the caller's scope, in words. */
  readonly withheld?: readonly string[];
}

function pct(values: number[]): { p50: number | null; p90: number | null; p99: number | null } {
  return percentiles(values) ?? { p50: null, p90: null, p99: null };
}

function warningsFor(runs: readonly RunOutcomes[]): string[] {
  const w: string[] = [];
  const distinct = (f: (r: RunHeader) => unknown) => new Set(runs.map((r) => JSON.stringify(f(r.run) ?? null))).size > 1;
  if (distinct((r) => r.datasetDigest)) w.push('runs used different dataset digests: the samples may differ in content');
  if (distinct((r) => r.promptTemplate)) w.push('runs used different prompt templates');
  if (distinct((r) => r.normalizer)) w.push('runs used different normalizers: each run is scored with its own');
  if (distinct((r) => r.scoring)) w.push('runs used different scoring options (unit/extractor)');
  // Runs recorded before scorer versions were stored have none: unknown, never a warning.
  for (const d of differingScorerVersions(runs.map((r) => r.run.scorerVersions))) {
    w.push(
      `runs were scored with different ${d.component} versions (${d.versions.join(' vs ')}): their recorded numbers follow different upstream definitions`,
    );
  }
  for (const d of differingJudgeSettings(runs.map((r) => r.run.judge))) {
    w.push(`runs were judged with different judge ${d.field} (${d.values.join(' vs ')}): their judge scores are not on one footing`);
  }
  const failedBy = runs.map((r) => ({ id: r.run.id, failed: new Set(r.outcomes.filter((o) => o.status === 'failed').map((o) => o.sampleKey)) }));
  failedBy.forEach(({ id, failed }, i) => {
    const onlyHere = [...failed].filter((k) => failedBy.some((other, j) => j !== i && !other.failed.has(k)));
    if (onlyHere.length) w.push(`run ${id} has ${onlyHere.length} failed sample(s) the other run(s) lack; they are excluded from every run's numbers`);
  });
  for (const r of runs) if (r.run.status !== 'completed') w.push(`run ${r.run.id} is ${r.run.status}, not completed`);
  return w;
}

/** A run with its re-scored shared samples; the first column is the baseline. */
interface ScoredColumn {
  readonly run: RunHeader;
  readonly byKey: ReadonlyMap<string, ScoredSample>;
  /** The run's corpus statistic when its task has one (see ScoredRun). */
  readonly corpusStatistic?: CorpusStatistic<ScoredSample> | undefined;
}

function slice(
  label: string,
  keys: readonly string[],
  columns: readonly ScoredColumn[],
  opts: Required<Pick<CompareOptions, 'iterations' | 'seed'>>,
  accuracyTest: boolean,
  datasetN: number | undefined,
): SliceComparison {
  // Every key is shared (each run scored it ok), so every column has it.
  const statistics = columns.map((c) => c.corpusStatistic);
  const { runs, differences } = statistics.every((f): f is CorpusStatistic<ScoredSample> => f !== undefined)
    ? // A task's own corpus score (BLEU): each run's samples resampled through its statistic.
      resample(
        columns.map(({ run, byKey }, i) => ({ run, items: keys.map((k) => byKey.get(k)!), stat: statistics[i]! })),
        opts,
        accuracyTest,
        (x) => x.item.numerator >= 1,
        (a, b, statA, statB) => pairedPermutationTest(a, b, { seed: opts.seed, statA, statB }).pValue,
      )
    : resample(
        columns.map(({ run, byKey }) => ({ run, items: keys.map((k) => byKey.get(k)!.item), stat: pooledRatio })),
        opts,
        accuracyTest,
        (x) => x.numerator >= 1,
        (a, b) => pairedPermutationTest(a, b, { seed: opts.seed }).pValue,
      );
  return { slice: label, n: keys.length, ...(datasetN === undefined ? {} : { datasetN }), runs, differences };
}

/** Each run's interval and the paired differences against the first, resampling `stat` over each run's items (McNemar on `correct`, or `permutationP`). */
function resample<T>(
  withItems: readonly { run: RunHeader; items: readonly T[]; stat: CorpusStatistic<T> }[],
  opts: Required<Pick<CompareOptions, 'iterations' | 'seed'>>,
  accuracyTest: boolean,
  correct: (x: T) => boolean,
  permutationP: (a: readonly T[], b: readonly T[], statA: CorpusStatistic<T>, statB: CorpusStatistic<T>) => number,
): { runs: RunMetric[]; differences: PairedDifference[] } {
  const runMetrics = withItems.map(({ run, items, stat }) => ({
    runId: run.id,
    modelId: run.modelId,
    modelKind: run.modelKind,
    value: bootstrapInterval(items, opts, stat),
  }));
  const differences: PairedDifference[] = [];
  const [baseline, ...others] = withItems;
  // No baseline means no runs, and nothing to pair.
  if (baseline) {
    const a = baseline.items;
    for (const { run, items: b, stat } of others) {
      const boot = pairedBootstrap(a, b, opts, baseline.stat, stat);
      const pValue = accuracyTest ? mcnemar(a.map(correct), b.map(correct)).pValue : permutationP(a, b, baseline.stat, stat);
      differences.push({ baselineRunId: baseline.run.id, runId: run.id, difference: boot.difference, pValue, test: accuracyTest ? 'mcnemar' : 'permutation' });
    }
  }
  return { runs: runMetrics, differences };
}

/**
 * Compares runs on their shared samples: every run scored `ok` on each of
 * them. Each run is re-scored from its stored predictions with its own
 * recorded normalizer, so numbers match `evalgate score` on the same texts.
 */
export function compareRuns(runs: readonly RunOutcomes[], opts: CompareOptions & { allowSingle?: boolean } = {}): Comparison {
  // A report may show one run on its own; a comparison proper needs two.
  const [first] = runs;
  if (!first || runs.length < (opts.allowSingle ? 1 : 2)) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'compare needs at least two runs' });
  const task = first.run.task;
  const mismatched = runs.find((r) => r.run.task !== task || r.run.datasetId !== first.run.datasetId);
  if (mismatched) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `run ${mismatched.run.id} is on task ${mismatched.run.task} / dataset ${mismatched.run.datasetId}; compare needs runs on the same dataset and task`,
    });
  }
  const iterations = opts.iterations ?? 1000;
  const seed = opts.seed ?? 1;
  const by = opts.by ?? 'tag';

  const okKeysOf = (r: RunOutcomes) => new Set(r.outcomes.filter((o) => o.status === 'ok').map((o) => o.sampleKey));
  const okKeys = runs.map(okKeysOf);
  const shared = [...okKeysOf(first)].filter((k) => okKeys.every((s) => s.has(k))).sort();
  // Membership by Set: `shared.includes` per outcome made large comparisons quadratic (8 runs × 20 000 samples took minutes).
  const sharedSet = new Set(shared);
  const sampleByKey = new Map<string, SampleOutcome>(first.outcomes.map((o) => [o.sampleKey, o]));
  const scoreShared = (r: RunOutcomes) =>
    scoreOutcomes(
      task,
      r.outcomes.filter((o) => o.status === 'ok' && sharedSet.has(o.sampleKey)),
      r.run,
    );
  // The baseline's metric and test name the comparison; it is scored once.
  const baselineScored = scoreShared(first);
  const { metric, lowerIsBetter, accuracyTest } = baselineScored;
  const scored: ScoredColumn[] = runs.map((r) => {
    const { byKey, corpusStatistic } = r === first ? baselineScored : scoreShared(r);
    return { run: r.run, byKey, corpusStatistic };
  });

  // The sets a sealed dataset defines (every run here is on the same dataset and task).
  const sizes = first.run.sliceSizes;
  const overall = slice('all', shared, scored, { iterations, seed }, accuracyTest, definedSize(sizes, 'all'));
  const groups = new Map<string, string[]>();
  for (const k of shared) {
    for (const l of sliceLabels(sampleByKey.get(k)!, by, task)) {
      const keys = groups.get(l);
      if (keys) keys.push(k);
      else groups.set(l, [k]);
    }
  }
  const breakdown = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, keys]) =>
      slice(label, keys, scored, { iterations, seed }, accuracyTest, by === 'task' ? definedSize(sizes, 'all') : definedSize(sizes, by, label)),
    );

  const latency = runs.map((r) => {
    const ok = r.outcomes.filter((o) => o.status === 'ok' && sharedSet.has(o.sampleKey));
    const total = ok.flatMap((o) => (o.latencyTotalMs == null ? [] : [o.latencyTotalMs]));
    const first = ok.flatMap((o) => (o.latencyFirstTokenMs == null ? [] : [o.latencyFirstTokenMs]));
    // The run's own RTFx, over all its answered samples, as `run` reports it (gateway/rtfx.ts).
    return { runId: r.run.id, totalMs: pct(total), firstTokenMs: pct(first), rtfx: rtfx(r.outcomes) };
  });

  const disagreements: Disagreement[] = [];
  if (opts.samples) {
    for (const k of shared) {
      // k is shared: every run scored it.
      const per = scored.map(({ run, byKey }) => ({ runId: run.id, sample: byKey.get(k)! }));
      const values = per.map((p) => p.sample.score);
      const gap = Math.max(...values) - Math.min(...values);
      if (gap <= 0) continue;
      disagreements.push({
        sampleKey: k,
        gap,
        runs: per.map(({ runId, sample }) => ({ runId, prediction: sample.prediction, score: sample.score, errors: sample.errors })),
        media: sampleByKey.get(k)!.media.map((m) => m.path),
      });
    }
    disagreements.sort((a, b) => b.gap - a.gap || a.sampleKey.localeCompare(b.sampleKey));
    disagreements.splice(opts.samples);
  }

  const samplesPerRun: Record<string, { ok: number; failed: number; skipped: number }> = {};
  for (const r of runs) {
    const c = { ok: 0, failed: 0, skipped: 0 };
    for (const o of r.outcomes) c[o.status]++;
    samplesPerRun[r.run.id] = c;
  }
  return {
    task,
    metric,
    lowerIsBetter,
    sharedSamples: shared.length,
    samplesPerRun,
    overall,
    by,
    breakdown,
    latency,
    warnings: warningsFor(runs),
    disagreements,
    bootstrap: { iterations, seed },
    sealed: runs.some((r) => r.run.datasetSealed),
  };
}

/** A run's scored samples, for callers outside a paired comparison (leaderboard, kind gap). */
export interface RunItems {
  /** Primary metric name. */
  readonly metric: string;
  /** Whether lower is better. */
  readonly lowerIsBetter: boolean;
  /** Per-sample ratio items, in `keys` order. */
  readonly items: RatioItem[];
  /** Sample keys, sorted. */
  readonly keys: string[];
  /** The scored samples, in `keys` order. */
  readonly samples: ScoredSample[];
  /** The task's own corpus statistic, when it has one (see ScoredRun). */
  readonly corpusStatistic?: CorpusStatistic<ScoredSample> | undefined;
}

/** Per-sample items of a run's ok samples. */
export function runItems(run: RunOutcomes): RunItems {
  const ok = run.outcomes.filter((o) => o.status === 'ok');
  const s = scoreOutcomes(run.run.task, ok, run.run);
  const keys = ok.map((o) => o.sampleKey).sort();
  const samples = keys.map((k) => s.byKey.get(k)!);
  return { metric: s.metric, lowerIsBetter: s.lowerIsBetter, items: samples.map((x) => x.item), keys, samples, corpusStatistic: s.corpusStatistic };
}

/** Bootstrap interval of a run's primary metric: its task's corpus score when it has one, else the pooled ratio. */
export function runInterval(it: RunItems, opts: BootstrapOptions): Interval {
  return it.corpusStatistic ? bootstrapInterval(it.samples, opts, it.corpusStatistic) : bootstrapInterval(it.items, opts);
}

/** Paired bootstrap interval of metric(b) − metric(a) over the same samples (see {@link runInterval}). */
export function runDifference(a: RunItems, b: RunItems, opts: BootstrapOptions): Interval {
  return a.corpusStatistic && b.corpusStatistic
    ? pairedBootstrap(a.samples, b.samples, opts, a.corpusStatistic, b.corpusStatistic).difference
    : pairedBootstrap(a.items, b.items, opts).difference;
}
