import type { Kysely } from 'kysely';
import type { Interval } from '../../scorers/stats/paired-bootstrap.js';
import type { Database } from '../store/database.js';
import { listCompletedRuns } from '../store/run-outcome-repo.js';
import { criteriaDifferences, groupComparable, runComparability, type BoardCriteria } from './board-criteria.js';
import { runDifference, runInterval, runItems } from './compare-runs.js';
import { latestComparableRuns } from './latest-comparable-runs.js';
import type { BoardKind } from './leaderboard.js';
import { definedSize, loadRunOutcomes, type RunOutcomes } from './load-run-outcomes.js';

/** Best generalist vs best specialist on one slice. */
export interface KindGapRow {
  /** Dataset name. */
  readonly dataset: string;
  /** `all` or a capability tag. */
  readonly slice: string;
  /** Which board of the dataset the row belongs to: rows compare only runs comparable with each other (see the leaderboard). */
  readonly board: BoardKind;
  /** What the runs of the row's board share (on a mixed board: the main board's criteria). */
  readonly criteria: BoardCriteria;
  /** On a separate board: how it differs from the main board; on a mixed board: how its runs differ from `criteria`. */
  readonly differs: readonly string[];
  /** Best generalist on the slice. */
  readonly generalist: { readonly modelId: string; readonly runId: string; readonly value: Interval } | null;
  /** Best specialist on the slice. */
  readonly specialist: { readonly modelId: string; readonly runId: string; readonly value: Interval } | null;
  /** generalist − specialist on the samples both answered, with a paired bootstrap interval. */
  readonly gap: Interval | null;
  /** Samples both answered. */
  readonly n: number;
  /** Samples of the slice answered by the runs shown (the smallest of their counts): the size the sealed policy judges. */
  readonly sliceSamples: number;
  /** On a sealed dataset: samples the dataset defines for the slice; the row covers the whole set when `sliceSamples` (and `n`) equal it. */
  readonly datasetN?: number;
  /** Whether the dataset is sealed. */
  readonly sealed: boolean;
}

/** The generalist-vs-specialist view of a task. */
export interface KindGapView {
  /** Task. */
  readonly task: string;
  /** Metric. */
  readonly metric: string;
  /** Whether lower is better. */
  readonly lowerIsBetter: boolean;
  /** Every model's latest completed run, grouped by kind. */
  readonly runsByKind: Readonly<Record<'generalist' | 'specialist', readonly { modelId: string; runId: string; dataset: string }[]>>;
  /** One row per dataset and slice. */
  readonly rows: readonly KindGapRow[];
  /** What the sealed policy left out for the caller's scope, in words. */
  readonly withheld?: readonly string[];
}

function restrict(run: RunOutcomes, keys: ReadonlySet<string>): RunOutcomes {
  return { run: run.run, outcomes: run.outcomes.filter((o) => keys.has(o.sampleKey)) };
}

/** What the view needs from the database, as plain data (it travels to a worker thread). */
export interface KindGapInput {
  /** Task. */
  readonly task: string;
  /** Every model's latest completed run per dataset. */
  readonly runs: readonly RunOutcomes[];
  /** Dataset name of each run, as [runId, dataset] pairs. */
  readonly datasetOf: readonly (readonly [string, string])[];
  /** Compare every model's latest run per dataset on one board, comparable or not (rows marked mixed). */
  readonly allowMixed?: boolean;
  /** Per dataset: samples it defines on the task and its current digest (a board on it is preferred as the main board). */
  readonly datasets?: readonly { readonly dataset: string; readonly datasetSampleCount: number; readonly currentDigest: string | null }[];
}

/** Loads each model's latest completed run per dataset and comparable group (the I/O half of `kindGapView`; see latestComparableRuns). */
export async function loadKindGapInput(db: Kysely<Database>, opts: { task: string; dataset?: string; allowMixed?: boolean }): Promise<KindGapInput> {
  const rows = await listCompletedRuns(db, { task: opts.task, dataset: opts.dataset ? { name: opts.dataset } : undefined });
  const picked = await latestComparableRuns(db, opts.task, rows, opts.allowMixed === true);
  const latest = picked.flatMap((d) => d.rows);
  const runs = await loadRunOutcomes(
    db,
    latest.map((r) => r.id),
  );
  return {
    task: opts.task,
    runs,
    datasetOf: latest.map((r) => [r.id, r.dataset_name] as const),
    ...(opts.allowMixed ? { allowMixed: true } : {}),
    datasets: picked.map((d) => ({ dataset: d.dataset, datasetSampleCount: d.datasetSampleCount, currentDigest: d.currentDigest })),
  };
}

/**
 * For a task: the best generalist and the best specialist per dataset and
 * per tag, and the gap between them with an interval (e.g. "Qwen2-Audio vs
 * Whisper on asr/zh"). Pure: the CPU half of `kindGapView`.
 */
export function computeKindGap(input: KindGapInput, opts: { iterations?: number; seed?: number } = {}): KindGapView {
  const runs = input.runs;
  const datasetOf = new Map(input.datasetOf);
  const runsByKind = {
    generalist: [] as { modelId: string; runId: string; dataset: string }[],
    specialist: [] as { modelId: string; runId: string; dataset: string }[],
  };
  for (const r of runs) runsByKind[r.run.modelKind].push({ modelId: r.run.modelId, runId: r.run.id, dataset: datasetOf.get(r.run.id)! });

  let metric = '';
  let lowerIsBetter = false;
  const out: KindGapRow[] = [];
  const iterations = opts.iterations;
  const seed = opts.seed;
  for (const dataset of [...new Set(datasetOf.values())].sort()) {
    const allRuns = runs.filter((r) => datasetOf.get(r.run.id) === dataset);
    const facts = input.datasets?.find((d) => d.dataset === dataset);
    const total = facts?.datasetSampleCount ?? Math.max(0, ...allRuns.map((r) => new Set(r.outcomes.map((o) => o.sampleKey)).size));
    const comparability = new Map(allRuns.map((r) => [r, runComparability(r, total)]));
    const groups = groupComparable(
      allRuns,
      (r) => comparability.get(r)!,
      (r) => ({ scored: r.outcomes.some((o) => o.status === 'ok'), finishedAt: r.run.finishedAt }),
      facts?.currentDigest,
    );
    const main = groups[0];
    if (!main) continue;
    const departures = (r: RunOutcomes): string[] => {
      const c = comparability.get(r)!;
      return c.key === main.key
        ? []
        : criteriaDifferences(c.criteria, main.criteria, c.sampleSet === main.sampleSet, 'board').map((d) => `${r.run.modelId}: ${d}`);
    };
    // Rows compare only runs of one board: the main board and each separate one, or everything under allowMixed.
    const boards: { board: BoardKind; criteria: BoardCriteria; differs: readonly string[]; runs: readonly RunOutcomes[] }[] = input.allowMixed
      ? [{ board: groups.length > 1 ? 'mixed' : 'main', criteria: main.criteria, differs: allRuns.flatMap(departures), runs: allRuns }]
      : groups.map((g, i) => ({
          board: i === 0 ? 'main' : 'separate',
          criteria: g.criteria,
          differs: i === 0 ? [] : criteriaDifferences(g.criteria, main.criteria, g.sampleSet === main.sampleSet),
          runs: g.members,
        }));
    for (const { board, criteria, differs, runs: dsRuns } of boards) {
      const tags = new Set<string>(['all']);
      for (const r of dsRuns) for (const o of r.outcomes) for (const t of o.tags) tags.add(t);
      for (const slice of [...tags].sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)))) {
        const inSlice = (r: RunOutcomes): RunOutcomes => (slice === 'all' ? r : { run: r.run, outcomes: r.outcomes.filter((o) => o.tags.includes(slice)) });
        const best = (kind: 'generalist' | 'specialist') => {
          let top: { r: RunOutcomes; value: Interval; n: number } | null = null;
          for (const r of dsRuns.filter((x) => x.run.modelKind === kind)) {
            const it = runItems(inSlice(r));
            if (it.items.length === 0) continue;
            metric = it.metric;
            lowerIsBetter = it.lowerIsBetter;
            const value = runInterval(it, { iterations, seed });
            if (!top || (lowerIsBetter ? value.estimate < top.value.estimate : value.estimate > top.value.estimate)) top = { r, value, n: it.items.length };
          }
          return top;
        };
        const g = best('generalist');
        const s = best('specialist');
        let gap: Interval | null = null;
        let n = 0;
        if (g && s) {
          const ok = (r: RunOutcomes) =>
            new Set(
              inSlice(r)
                .outcomes.filter((o) => o.status === 'ok')
                .map((o) => o.sampleKey),
            );
          const gk = ok(g.r);
          const both = new Set([...ok(s.r)].filter((k) => gk.has(k)));
          n = both.size;
          if (n > 0) {
            const gi = runItems(restrict(g.r, both));
            const si = runItems(restrict(s.r, both));
            gap = runDifference(si, gi, { iterations, seed });
          }
        }
        const sizes = dsRuns.find((r) => r.run.sliceSizes)?.run.sliceSizes;
        out.push({
          dataset,
          slice,
          board,
          criteria,
          differs,
          ...(sizes ? { datasetN: slice === 'all' ? definedSize(sizes, 'all') : definedSize(sizes, 'tag', slice) } : {}),
          generalist: g ? { modelId: g.r.run.modelId, runId: g.r.run.id, value: g.value } : null,
          specialist: s ? { modelId: s.r.run.modelId, runId: s.r.run.id, value: s.value } : null,
          gap,
          n,
          sliceSamples: g && s ? Math.min(g.n, s.n) : ((g ?? s)?.n ?? 0),
          sealed: dsRuns.some((r) => r.run.datasetSealed),
        });
      }
    }
  }
  return { task: input.task, metric, lowerIsBetter, runsByKind, rows: out };
}

/** Loads and computes the view (see `computeKindGap`), in this thread: the CLI's path. */
export async function kindGapView(
  db: Kysely<Database>,
  opts: { task: string; dataset?: string; allowMixed?: boolean; iterations?: number; seed?: number },
): Promise<KindGapView> {
  return computeKindGap(await loadKindGapInput(db, opts), opts);
}
