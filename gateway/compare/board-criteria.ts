import { createHash } from 'node:crypto';
import { getTask } from '../../scorers/tasks/index.js';
import { comparedJudgeFields } from '../judge/judge-setting-differences.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import type { RunHeader, RunOutcomes } from './load-run-outcomes.js';
import { scoringOptionsOf } from './score-outcomes.js';

// What makes two runs' numbers comparable on one board (issue 19): the same
// dataset content, the same samples asked for, and the same scoring. Runs
// that differ in any of these go on separate boards that say what differs, or
// share one only under --allow-mixed, marked as mixed.

/** The scoring a board's numbers come from: the run's recorded options as compare re-scores them. */
export interface BoardScorer {
  /** Normalizer name (the task's default when the run named none). */
  readonly normalizer: string;
  /** Answer extractor name, for tasks scored against a choice. */
  readonly extractor?: string;
  /** Scoring unit (asr: word, char or mixed), when the run named one. */
  readonly unit?: string;
  /** Versions of the normalizer, extractor and metric as scored now (scorers/tasks/scorer-versions.ts). */
  readonly versions: { readonly normalizer: string; readonly extractor?: string; readonly metric: string; readonly signature?: string };
  /** Every other scoring option the run recorded and the task reads (BLEU tokenizer, excludeUnanswered…). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** What every run on a board shares. */
export interface BoardCriteria {
  /** Dataset digest the runs recorded (null for runs recorded without one). */
  readonly datasetDigest: string | null;
  /** How many samples each run was asked for (ok, failed and skipped alike). The set itself is compared, never listed: sample ids of a sealed set stay out of the answer. */
  readonly sampleCount: number;
  /** How many samples the dataset defines on the task. */
  readonly datasetSampleCount: number;
  /** The scoring. */
  readonly scorer: BoardScorer;
  /** The criteria in words. */
  readonly text: string;
}

/** A run's criteria and the key that groups it (equal keys: comparable runs). */
export interface RunComparability {
  /** Groups comparable runs; includes the sample set's identity, which the criteria only count. */
  readonly key: string;
  /** The sample set's identity (a hash of its sorted sample ids; internal, never shown). */
  readonly sampleSet: string;
  /** The run's criteria. */
  readonly criteria: BoardCriteria;
}

/** JSON with sorted keys and undefined left out, so equal options give equal keys. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

const nameOf = (version: string): string => (version.includes('@') ? version.slice(0, version.lastIndexOf('@')) : version);

/**
 * The scoring of a run as compare applies it: its recorded options read
 * through the task's schema (unknown keys dropped), with the normalizer and
 * extractor resolved to the task's defaults when the run named none, so a
 * run that recorded `none` and one that recorded nothing are the same.
 */
export function boardScorerOf(task: string, run: Pick<RunHeader, 'normalizer' | 'scoring'> & { readonly judge?: unknown }): BoardScorer {
  const options = scoringOptionsOf(run);
  const spec = getTask(task);
  const parsed = spec?.options.safeParse(options);
  const read: Record<string, unknown> = parsed?.success ? { ...(parsed.data as Record<string, unknown>) } : { ...options };
  let versions: BoardScorer['versions'];
  try {
    const v = scorerVersions(task, options);
    versions = {
      normalizer: v.normalizer,
      metric: v.metric,
      ...(v.extractor ? { extractor: v.extractor } : {}),
      ...(v.signature ? { signature: v.signature } : {}),
    };
  } catch {
    // An unknown task has no scorer: its runs cannot be ranked anyway, and share this placeholder.
    versions = { normalizer: String(options.normalizer ?? 'unknown'), metric: 'unknown' };
  }
  const { normalizer: _n, extractor: _e, unit, ...rest } = read;
  void _n;
  void _e;
  return {
    normalizer: nameOf(versions.normalizer),
    ...(versions.extractor ? { extractor: nameOf(versions.extractor) } : {}),
    ...(typeof unit === 'string' ? { unit } : {}),
    versions,
    options: JSON.parse(canonical({ ...rest, ...judgeOption(run.judge) })) as Record<string, unknown>,
  };
}

/**
 * A judged run's judge, as a scoring option: judge scores from different judges (model, prompt, temperature,
 * samples, parse rule: the fields compare warns about) are different instruments, so they never share a board.
 * The prompt is named by its sha256 prefix, not printed.
 */
function judgeOption(judge: unknown): { judge?: Record<string, unknown> } {
  if (judge === null || typeof judge !== 'object') return {};
  const record = judge as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of comparedJudgeFields) {
    const v = record[field];
    if (v === undefined) continue;
    out[field] = field === 'promptTemplate' && typeof v === 'string' ? `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 12)}` : v;
  }
  return { judge: out };
}

/** The criteria in words: "dataset digest 1a2b…; samples: 24 of 24; scorer: normalizer whisper-en, metric jiwer@v4.0.0". */
export function criteriaText(c: Omit<BoardCriteria, 'text'>): string {
  const s = c.scorer;
  const scorer = [
    `normalizer ${s.versions.normalizer}`,
    ...(s.unit ? [`unit ${s.unit}`] : []),
    ...(s.versions.extractor ? [`extractor ${s.versions.extractor}`] : []),
    `metric ${s.versions.metric}`,
    ...(s.versions.signature ? [`signature ${s.versions.signature}`] : []),
    ...Object.entries(s.options).map(([k, v]) => `${k} ${canonical(v)}`),
  ];
  return `dataset digest ${shortDigest(c.datasetDigest)}; samples: ${c.sampleCount} of ${c.datasetSampleCount}; scorer: ${scorer.join(', ')}`;
}

const shortDigest = (d: string | null): string => (d === null ? '(none recorded)' : d.slice(0, 12));

/**
 * A run's comparability. `sampleKeys` are the samples it was asked for (every
 * prediction, whatever its status: a failed sample is still part of the
 * set, and shows as a failed count); `datasetSampleCount` the samples the
 * dataset defines on the task.
 */
export function runComparability(run: RunOutcomes, datasetSampleCount: number): RunComparability {
  const keys = [...new Set(run.outcomes.map((o) => o.sampleKey))].sort();
  const sampleSet = createHash('sha256').update(keys.join('\u0000')).digest('hex');
  const scorer = boardScorerOf(run.run.task, run.run);
  const base = { datasetDigest: run.run.datasetDigest, sampleCount: keys.length, datasetSampleCount, scorer };
  return {
    sampleSet,
    key: canonical({ digest: run.run.datasetDigest, sampleSet, versions: scorer.versions, unit: scorer.unit, options: scorer.options }),
    criteria: { ...base, text: criteriaText(base) },
  };
}

/**
 * What differs between a run's (or board's) criteria and a reference's, in
 * words, each naming the reference's value after `label`: "samples: 6 of 24
 * (main board: 24 of 24)", "normalizer: whisper-basic (main board: whisper-english)".
 * `sameSampleSet` false with equal counts says the sets differ in content.
 */
export function criteriaDifferences(c: BoardCriteria, ref: BoardCriteria, sameSampleSet: boolean, label = 'main board'): string[] {
  const out: string[] = [];
  const vs = (what: string, mine: unknown, theirs: unknown): void => {
    const a = typeof mine === 'string' ? mine : canonical(mine ?? null);
    const b = typeof theirs === 'string' ? theirs : canonical(theirs ?? null);
    if (a !== b) out.push(`${what}: ${a} (${label}: ${b})`);
  };
  vs('dataset digest', shortDigest(c.datasetDigest), shortDigest(ref.datasetDigest));
  if (c.sampleCount !== ref.sampleCount) {
    out.push(`samples: ${c.sampleCount} of ${c.datasetSampleCount} (${label}: ${ref.sampleCount} of ${ref.datasetSampleCount})`);
  } else if (!sameSampleSet) {
    out.push(`samples: a different set of ${c.sampleCount} (${label}: another set of ${ref.sampleCount})`);
  }
  const s = c.scorer;
  const r = ref.scorer;
  vs('normalizer', s.normalizer, r.normalizer);
  if (s.normalizer === r.normalizer) vs('normalizer version', s.versions.normalizer, r.versions.normalizer);
  vs('unit', s.unit ?? '(default)', r.unit ?? '(default)');
  if (s.extractor !== undefined || r.extractor !== undefined) vs('extractor', s.extractor ?? '(none)', r.extractor ?? '(none)');
  vs('metric', s.versions.metric, r.versions.metric);
  vs('metric signature', s.versions.signature ?? '(none)', r.versions.signature ?? '(none)');
  for (const k of [...new Set([...Object.keys(s.options), ...Object.keys(r.options)])].sort()) vs(`scoring option ${k}`, s.options[k], r.options[k]);
  return out;
}

/** Runs that share a comparability key. */
export interface ComparableGroup<T> {
  /** The shared key. */
  readonly key: string;
  /** The shared sample set's identity (internal). */
  readonly sampleSet: string;
  /** The shared criteria. */
  readonly criteria: BoardCriteria;
  /** The runs, in input order. */
  readonly members: readonly T[];
}

/**
 * Groups runs by comparability and orders the groups: the first is the main
 * board. The main board is the group that (1) has a scored run, then (2) is
 * on the dataset's current digest, then (3) covers the most samples, then
 * (4) has the most runs, then (5) holds the most recently finished run; the
 * key breaks what remains, so the order never depends on input order.
 */
export function groupComparable<T>(
  items: readonly T[],
  comparabilityOf: (t: T) => RunComparability,
  facts: (t: T) => { readonly scored: boolean; readonly finishedAt: Date | null },
  currentDigest?: string | null,
): ComparableGroup<T>[] {
  const byKey = new Map<string, { criteria: BoardCriteria; sampleSet: string; members: T[] }>();
  for (const t of items) {
    const c = comparabilityOf(t);
    const g = byKey.get(c.key) ?? { criteria: c.criteria, sampleSet: c.sampleSet, members: [] };
    g.members.push(t);
    byKey.set(c.key, g);
  }
  const rankOf = (g: { criteria: BoardCriteria; members: readonly T[] }) => {
    const f = g.members.map(facts);
    return [
      f.some((x) => x.scored) ? 1 : 0,
      currentDigest != null && g.criteria.datasetDigest === currentDigest ? 1 : 0,
      g.criteria.sampleCount,
      g.members.length,
      Math.max(...f.map((x) => x.finishedAt?.getTime() ?? 0)),
    ];
  };
  return [...byKey.entries()]
    .map(([key, g]) => ({ key, sampleSet: g.sampleSet, criteria: g.criteria, members: g.members, rank: rankOf(g) }))
    .sort((a, b) => {
      for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return b.rank[i]! - a.rank[i]!;
      return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    })
    .map(({ key, sampleSet, criteria, members }) => ({ key, sampleSet, criteria, members }));
}
