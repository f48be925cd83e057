import type { Kysely } from 'kysely';
import type { Interval } from '../../scorers/stats/paired-bootstrap.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { findDataset } from '../store/dataset-repo.js';
import { listCompletedRuns } from '../store/run-outcome-repo.js';
import { runInterval, runItems } from './compare-runs.js';
import { definedSize, loadRunOutcomes, type RunOutcomes } from './load-run-outcomes.js';

/** Leaderboard settings. */
export interface LeaderboardOptions {
  /** Task to rank on. */
  readonly task: string;
  /** Dataset name or id (default: every dataset with runs on the task; ranks are per dataset). */
  readonly dataset?: string;
  /** Only runs finished at or before this instant count. */
  readonly freezeAt?: Date;
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
  /** The run ranked (the model's latest completed run). */
  readonly runId: string;
  /** Primary metric with its 95 % bootstrap interval. */
  readonly value: Interval;
  /** Samples scored ok. */
  readonly n: number;
  /** On a sealed dataset: samples the dataset defines on the task; the entry covers the whole set when `n` equals it. */
  readonly datasetN?: number;
  /** Models whose intervals overlap this one's: the order between them is not established. */
  readonly tiedWith: readonly string[];
  /** When the run finished. */
  readonly finishedAt: string | null;
}

/** A ranked board for one dataset. */
export interface Leaderboard {
  /** Task. */
  readonly task: string;
  /** Dataset name. */
  readonly dataset: string;
  /** Metric name. */
  readonly metric: string;
  /** Whether lower is better. */
  readonly lowerIsBetter: boolean;
  /** Freeze instant, if any. */
  readonly frozenAt: string | null;
  /** Entries, best first. */
  readonly entries: readonly LeaderboardEntry[];
  /** Runs left off because they finished after the freeze (they remain in the audit log). */
  readonly excludedAfterFreeze: readonly { runId: string; modelId: string; finishedAt: string | null }[];
  /** Runs left off because they scored no sample (n = 0 has no value to rank: it was tied for #1 before). */
  readonly unranked: readonly { runId: string; modelId: string; reason: string }[];
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
  /** Per dataset: the runs ranked and the runs left off by the freeze. */
  readonly datasets: readonly {
    readonly dataset: string;
    readonly runs: readonly RunOutcomes[];
    readonly excludedAfterFreeze: readonly { runId: string; modelId: string; finishedAt: string | null }[];
  }[];
}

/** Loads each model's latest completed run per dataset (the I/O half of `buildLeaderboards`). */
export async function loadLeaderboardInput(db: Kysely<Database>, opts: Pick<LeaderboardOptions, 'task' | 'dataset' | 'freezeAt'>): Promise<LeaderboardInput> {
  const rows = await listCompletedRuns(db, { task: opts.task, dataset: opts.dataset ? { nameOrId: opts.dataset } : undefined });
  if (opts.dataset && rows.length === 0 && !(await findDataset(db, opts.dataset))) {
    throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: opts.dataset });
  }
  const byDataset = new Map<string, typeof rows>();
  for (const r of rows) byDataset.set(r.dataset_name, [...(byDataset.get(r.dataset_name) ?? []), r]);
  const datasets: LeaderboardInput['datasets'][number][] = [];
  for (const [dataset, dsRows] of [...byDataset.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const excluded = opts.freezeAt ? dsRows.filter((r) => r.finished_at && r.finished_at > opts.freezeAt!) : [];
    const eligible = dsRows.filter((r) => !excluded.includes(r));
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of eligible) if (!latest.has(r.model_id)) latest.set(r.model_id, r);
    datasets.push({
      dataset,
      runs: await loadRunOutcomes(
        db,
        [...latest.values()].map((r) => r.id),
      ),
      excludedAfterFreeze: excluded.map((r) => ({ runId: r.id, modelId: r.model_id, finishedAt: r.finished_at?.toISOString() ?? null })),
    });
  }
  return { task: opts.task, frozenAt: opts.freezeAt?.toISOString() ?? null, datasets };
}

/**
 * Ranks each model's latest completed run on a task (the CPU half, pure).
 * Models are not forced into an order the data cannot support: a model's
 * rank counts only the models whose whole interval is better, so overlapping
 * intervals share ranks.
 */
export function computeLeaderboards(input: LeaderboardInput, opts: Pick<LeaderboardOptions, 'iterations' | 'seed'> = {}): Leaderboard[] {
  return input.datasets.map(({ dataset, runs, excludedAfterFreeze }) => {
    let metric = '';
    let lowerIsBetter = false;
    const unranked: { runId: string; modelId: string; reason: string }[] = [];
    const scored = runs.flatMap((o) => {
      const it = runItems(o);
      metric = it.metric;
      lowerIsBetter = it.lowerIsBetter;
      if (it.items.length === 0) {
        unranked.push({ runId: o.run.id, modelId: o.run.modelId, reason: 'no scored samples' });
        return [];
      }
      return [{ o, value: runInterval(it, { iterations: opts.iterations, seed: opts.seed }), n: it.items.length }];
    });
    const better = (x: Interval, y: Interval): boolean => (lowerIsBetter ? x.high < y.low : x.low > y.high);
    const entries = scored
      .map((s) => ({
        rank: 1 + scored.filter((t) => t !== s && better(t.value, s.value)).length,
        modelId: s.o.run.modelId,
        modelKind: s.o.run.modelKind,
        runId: s.o.run.id,
        value: s.value,
        n: s.n,
        ...(s.o.run.sliceSizes ? { datasetN: definedSize(s.o.run.sliceSizes, 'all') } : {}),
        tiedWith: scored
          .filter((t) => t !== s && !better(t.value, s.value) && !better(s.value, t.value))
          .map((t) => t.o.run.modelId)
          .sort(),
        finishedAt: s.o.run.finishedAt?.toISOString() ?? null,
      }))
      .sort(
        (a, b) =>
          a.rank - b.rank || (lowerIsBetter ? a.value.estimate - b.value.estimate : b.value.estimate - a.value.estimate) || a.modelId.localeCompare(b.modelId),
      );
    return {
      task: input.task,
      dataset,
      metric,
      lowerIsBetter,
      frozenAt: input.frozenAt,
      entries,
      excludedAfterFreeze,
      unranked,
      sealed: runs.some((r) => r.run.datasetSealed),
    };
  });
}

/** Loads and ranks (see `computeLeaderboards`), in this thread: the CLI's path. */
export async function buildLeaderboards(db: Kysely<Database>, opts: LeaderboardOptions): Promise<Leaderboard[]> {
  return computeLeaderboards(await loadLeaderboardInput(db, opts), opts);
}
