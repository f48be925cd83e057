import type { Kysely } from 'kysely';
import type { ModelArenaRating } from '../arena/leaderboard-arena.js';
import type { Interval } from '../../scorers/stats/paired-bootstrap.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { findDataset } from '../store/dataset-repo.js';
import { listCompletedRuns } from '../store/run-outcome-repo.js';
import {
  boardScorerOf,
  criteriaDifferences,
  criteriaText,
  groupComparable,
  runComparability,
  type BoardCriteria,
  type RunComparability,
} from './board-criteria.js';
import { runInterval, runItems, type RunItems } from './compare-runs.js';
import { latestComparableRuns } from './latest-comparable-runs.js';
import { definedSize, loadRunOutcomes, type RunOutcomes } from './load-run-outcomes.js';

/** Leaderboard settings. */
export interface LeaderboardOptions {
  /** Task to rank on. */
  readonly task: string;
  /** Dataset name or id (default: every dataset with runs on the task; ranks are per dataset). */
  readonly dataset?: string;
  /** Only runs finished at or before this instant count. */
  readonly freezeAt?: Date;
  /** Rank each model's latest run on one board per dataset even when the runs are not comparable (the board is marked mixed). */
  readonly allowMixed?: boolean;
  /** Bootstrap resamples. */
  readonly iterations?: number;
  /** Bootstrap seed. */
  readonly seed?: number;
}

/** One ranked model. */
export interface LeaderboardEntry {
  /** 1 + the number of models whose interval is entirely better. Equal ranks are ties. */
  readonly rank: number;
  /** Model id. */
  readonly modelId: string;
  /** Model kind. */
  readonly modelKind: string;
  /** The run ranked (the model's latest completed run among the runs comparable with this board's). */
  readonly runId: string;
  /** Primary metric with its 95 % bootstrap interval. */
  readonly value: Interval;
  /** Samples scored ok. */
  readonly n: number;
  /** Samples whose model call failed (never scored, never counted in `value`). */
  readonly failed: number;
  /** Samples skipped (never scored). */
  readonly skipped: number;
  /** On a sealed dataset: samples the dataset defines on the task; the entry covers the whole set when `n` equals it. */
  readonly datasetN?: number;
  /** Models whose intervals overlap this one's: the order between them is not established. */
  readonly tiedWith: readonly string[];
  /** When the run finished. */
  readonly finishedAt: string | null;
  /** On a mixed board: how this run differs from the board's criteria (absent when it meets them). */
  readonly differs?: readonly string[];
  /** The model's arena rating, labelled with its source (human votes when present, else judge); null: none (gateway/arena/leaderboard-arena.ts). */
  readonly arena?: ModelArenaRating | null;
}

/** A run listed under a board without a rank. */
export interface UnrankedRun {
  /** Run id. */
  readonly runId: string;
  /** Model id. */
  readonly modelId: string;
  /** Why it is not ranked. */
  readonly reason: string;
  /** Samples whose model call failed. */
  readonly failed: number;
  /** Samples skipped. */
  readonly skipped: number;
}

/**
 * `main`: the dataset's board of reference; `separate`: runs not comparable
 * with the main board, ranked only among themselves; `mixed`: runs of every
 * kind ranked together (`--allow-mixed`).
 */
export type BoardKind = 'main' | 'separate' | 'mixed';

/** A ranked board: comparable runs of one dataset. */
export interface Leaderboard {
  /** Task. */
  readonly task: string;
  /** Dataset name. */
  readonly dataset: string;
  /** Which board of the dataset this is. */
  readonly board: BoardKind;
  /** What every run on the board shares (on a mixed board: the main board's criteria, which `differs` departs from). */
  readonly criteria: BoardCriteria;
  /** On a separate board: how it differs from the main board; on a mixed board: how its runs differ from `criteria`; empty on the main board. */
  readonly differs: readonly string[];
  /** Metric name. */
  readonly metric: string;
  /** Whether lower is better. */
  readonly lowerIsBetter: boolean;
  /** Freeze instant, if any. */
  readonly frozenAt: string | null;
  /** Entries, best first. */
  readonly entries: readonly LeaderboardEntry[];
  /** Runs left off because they finished after the freeze (they remain in the audit log); listed on the dataset's main board. */
  readonly excludedAfterFreeze: readonly { runId: string; modelId: string; finishedAt: string | null }[];
  /** Runs left off because they scored no sample (n = 0 has no value to rank: it was tied for #1 before). */
  readonly unranked: readonly UnrankedRun[];
  /** Whether the dataset is sealed: entries that do not cover the whole set, or cover fewer than `sealed.minSliceSize` samples, are then admin-only. */
  readonly sealed: boolean;
  /** What the sealed policy left off this board for the caller's scope, in words. */
  readonly withheld?: readonly string[];
}

/** What the ranking needs from the database, as plain data (it travels to a worker thread). */
export interface LeaderboardInput {
  /** Task. */
  readonly task: string;
  /** Freeze instant, ISO, if any. */
  readonly frozenAt: string | null;
  /** Rank incomparable runs together on one mixed board per dataset. */
  readonly allowMixed?: boolean;
  /** Per dataset: the runs ranked and the runs left off by the freeze. */
  readonly datasets: readonly {
    readonly dataset: string;
    readonly runs: readonly RunOutcomes[];
    readonly excludedAfterFreeze: readonly { runId: string; modelId: string; finishedAt: string | null }[];
    /** Samples the dataset defines on the task (default: the largest sample set among the runs). */
    readonly datasetSampleCount?: number;
    /** The dataset's current manifest digest: a board on it is preferred as the main board. */
    readonly currentDigest?: string | null;
  }[];
}

/** Loads the runs each board ranks (the I/O half of `buildLeaderboards`; see latestComparableRuns). */
export async function loadLeaderboardInput(
  db: Kysely<Database>,
  opts: Pick<LeaderboardOptions, 'task' | 'dataset' | 'freezeAt' | 'allowMixed'>,
): Promise<LeaderboardInput> {
  const rows = await listCompletedRuns(db, { task: opts.task, dataset: opts.dataset ? { nameOrId: opts.dataset } : undefined });
  if (opts.dataset && rows.length === 0 && !(await findDataset(db, opts.dataset))) {
    throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: opts.dataset });
  }
  const excluded = opts.freezeAt ? rows.filter((r) => r.finished_at && r.finished_at > opts.freezeAt!) : [];
  const eligible = rows.filter((r) => !excluded.includes(r));
  const picked = new Map((await latestComparableRuns(db, opts.task, eligible, opts.allowMixed === true)).map((d) => [d.dataset, d]));
  const datasets: LeaderboardInput['datasets'][number][] = [];
  for (const dataset of [...new Set(rows.map((r) => r.dataset_name))].sort((a, b) => a.localeCompare(b))) {
    const d = picked.get(dataset);
    datasets.push({
      dataset,
      runs: await loadRunOutcomes(
        db,
        (d?.rows ?? []).map((r) => r.id),
      ),
      excludedAfterFreeze: excluded
        .filter((r) => r.dataset_name === dataset)
        .map((r) => ({ runId: r.id, modelId: r.model_id, finishedAt: r.finished_at?.toISOString() ?? null })),
      ...(d ? { datasetSampleCount: d.datasetSampleCount, currentDigest: d.currentDigest } : {}),
    });
  }
  return { task: opts.task, frozenAt: opts.freezeAt?.toISOString() ?? null, ...(opts.allowMixed ? { allowMixed: true } : {}), datasets };
}

/** A run with its scored items and its comparability, computed once. */
interface Candidate {
  readonly o: RunOutcomes;
  readonly it: RunItems;
  readonly comparability: RunComparability;
  readonly failed: number;
  readonly skipped: number;
}

/**
 * Ranks candidates among themselves. Models are not forced into an order the
 * data cannot support: a model's rank counts only the models whose whole
 * interval is better, so overlapping intervals share ranks. A run with no
 * scored sample is listed as unranked, never ranked (it has no value).
 */
function rankCandidates(
  candidates: readonly Candidate[],
  opts: Pick<LeaderboardOptions, 'iterations' | 'seed'>,
  differsOf: (c: Candidate) => readonly string[],
): Pick<Leaderboard, 'metric' | 'lowerIsBetter' | 'entries' | 'unranked'> {
  let metric = '';
  let lowerIsBetter = false;
  const unranked: UnrankedRun[] = [];
  const scored = candidates.flatMap((c) => {
    metric = c.it.metric;
    lowerIsBetter = c.it.lowerIsBetter;
    if (c.it.items.length === 0) {
      unranked.push({ runId: c.o.run.id, modelId: c.o.run.modelId, reason: 'no scored samples', failed: c.failed, skipped: c.skipped });
      return [];
    }
    return [{ c, value: runInterval(c.it, { iterations: opts.iterations, seed: opts.seed }), n: c.it.items.length }];
  });
  const better = (x: Interval, y: Interval): boolean => (lowerIsBetter ? x.high < y.low : x.low > y.high);
  const entries = scored
    .map((s): LeaderboardEntry => {
      const differs = differsOf(s.c);
      return {
        rank: 1 + scored.filter((t) => t !== s && better(t.value, s.value)).length,
        modelId: s.c.o.run.modelId,
        modelKind: s.c.o.run.modelKind,
        runId: s.c.o.run.id,
        value: s.value,
        n: s.n,
        failed: s.c.failed,
        skipped: s.c.skipped,
        ...(s.c.o.run.sliceSizes ? { datasetN: definedSize(s.c.o.run.sliceSizes, 'all') } : {}),
        tiedWith: scored
          .filter((t) => t !== s && !better(t.value, s.value) && !better(s.value, t.value))
          .map((t) => t.c.o.run.modelId)
          .sort(),
        finishedAt: s.c.o.run.finishedAt?.toISOString() ?? null,
        ...(differs.length ? { differs } : {}),
      };
    })
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        (lowerIsBetter ? a.value.estimate - b.value.estimate : b.value.estimate - a.value.estimate) ||
        a.modelId.localeCompare(b.modelId) ||
        a.runId.localeCompare(b.runId),
    );
  return { metric, lowerIsBetter, entries, unranked };
}

/**
 * Ranks each dataset's runs on boards of comparable runs (the CPU half,
 * pure). Runs are grouped by their comparability (dataset digest, sample
 * set, scoring; see board-criteria.ts): the first group is the main board,
 * every other group a separate board that names what differs from it. With
 * `allowMixed` every run shares one board, marked `mixed` when they are not
 * all comparable, and each entry says how it departs from the board's criteria.
 */
export function computeLeaderboards(input: LeaderboardInput, opts: Pick<LeaderboardOptions, 'iterations' | 'seed'> = {}): Leaderboard[] {
  return input.datasets.flatMap(({ dataset, runs, excludedAfterFreeze, datasetSampleCount, currentDigest }) => {
    const total = datasetSampleCount ?? Math.max(0, ...runs.map((r) => new Set(r.outcomes.map((o) => o.sampleKey)).size));
    const candidates: Candidate[] = runs.map((o) => ({
      o,
      it: runItems(o),
      comparability: runComparability(o, total),
      failed: o.outcomes.filter((x) => x.status === 'failed').length,
      skipped: o.outcomes.filter((x) => x.status === 'skipped').length,
    }));
    const groups = groupComparable(
      candidates,
      (c) => c.comparability,
      (c) => ({ scored: c.it.items.length > 0, finishedAt: c.o.run.finishedAt }),
      currentDigest,
    );
    const common = { task: input.task, dataset, frozenAt: input.frozenAt, sealed: runs.some((r) => r.run.datasetSealed) };
    const [main] = groups;
    if (!main) {
      // Nothing left to rank (every run finished after the freeze): the board still says so.
      const base = {
        datasetDigest: currentDigest ?? null,
        sampleCount: 0,
        datasetSampleCount: total,
        scorer: boardScorerOf(input.task, { normalizer: null, scoring: {} }),
      };
      return [
        {
          ...common,
          board: 'main',
          criteria: { ...base, text: criteriaText(base) },
          differs: [],
          metric: '',
          lowerIsBetter: false,
          entries: [],
          excludedAfterFreeze,
          unranked: [],
        },
      ];
    }
    if (input.allowMixed) {
      const differsOf = (c: Candidate): string[] =>
        c.comparability.key === main.key
          ? []
          : criteriaDifferences(c.comparability.criteria, main.criteria, c.comparability.sampleSet === main.sampleSet, 'board');
      const ranked = rankCandidates(candidates, opts, differsOf);
      return [
        {
          ...common,
          board: groups.length > 1 ? 'mixed' : 'main',
          criteria: main.criteria,
          differs: candidates.flatMap((c) => differsOf(c).map((d) => `${c.o.run.modelId}: ${d}`)),
          ...ranked,
          excludedAfterFreeze,
        },
      ];
    }
    return groups.map((g, i): Leaderboard => ({
      ...common,
      board: i === 0 ? 'main' : 'separate',
      criteria: g.criteria,
      differs: i === 0 ? [] : criteriaDifferences(g.criteria, main.criteria, g.sampleSet === main.sampleSet),
      ...rankCandidates(g.members, opts, () => []),
      excludedAfterFreeze: i === 0 ? excludedAfterFreeze : [],
    }));
  });
}

/** Loads and ranks (see `computeLeaderboards`), in this thread: the CLI's path. */
export async function buildLeaderboards(db: Kysely<Database>, opts: LeaderboardOptions): Promise<Leaderboard[]> {
  return computeLeaderboards(await loadLeaderboardInput(db, opts), opts);
}
