import type { ApiKeyScope } from '../store/database.js';
import type { Comparison, SliceComparison } from './compare-runs.js';
import type { KindGapView } from './kind-gap.js';
import type { Leaderboard, LeaderboardEntry } from './leaderboard.js';

/**
 * The sealed-dataset policy, in one place (docs/security.md).
 *
 * - References and MCQ answer letters: `admin` only, on every dataset.
 * - On a sealed dataset, per-sample scores and per-sample extraction details
 *   ("extracted B", "exact", S/D/I counts, the disagreement list): `admin`
 *   only. An aggregate (overall, per-tag/lang/task slice, leaderboard entry,
 *   kind-gap row, run summary metrics) reaches other scopes only when it
 *   covers a whole set the dataset defines (every sample of the task, or every
 *   one carrying the tag/language) and that set has at least `minSliceSize`
 *   samples. An aggregate over whatever a run happened to score would let two
 *   of them that differ by one sample (a failed sample, a `--limit` run) be
 *   subtracted into that sample's score; over fixed sets, what a viewer sees
 *   depends only on the dataset and the predictions.
 * - On an open dataset, per-sample scores go to `evaluator` keys on the live
 *   sockets and session pages, and every compare document is shown whole.
 *
 * Every route, socket and CLI output that carries such data passes it
 * through a function of this file; `tests/security/` checks every route.
 */

/** Who is asking, as the policy needs it. */
export interface SealedAccess {
  /** The caller holds the `admin` scope (or is the operator at the database). */
  readonly isAdmin: boolean;
  /** Smallest aggregate a non-admin caller may see on a sealed dataset. */
  readonly minSliceSize: number;
}

/** Default of the `sealed.minSliceSize` configuration key. */
export const defaultMinSliceSize = 10;

/** Access of a caller holding `scopes` (the weakest-first order of api-key-repo: admin is the top). */
export function sealedAccess(scopes: readonly ApiKeyScope[], minSliceSize = defaultMinSliceSize): SealedAccess {
  return { isAdmin: scopes.includes('admin'), minSliceSize };
}

/** The operator: the CLI opens the database directly and may read everything it holds. */
export const operatorAccess: SealedAccess = { isAdmin: true, minSliceSize: defaultMinSliceSize };

/** References and answer letters leave the server only for admin keys, whatever the dataset. */
export function mayReadReferences(access: SealedAccess): boolean {
  return access.isAdmin;
}

/** Per-sample scores and extraction details of a dataset. */
export function mayReadSampleScores(access: SealedAccess, sealed: boolean): boolean {
  return !sealed || access.isAdmin;
}

/**
 * Why an aggregate over `n` samples of a sealed set whose defined size is
 * `datasetN` is withheld from `access`, or null when it may be shown.
 * `datasetN` undefined (sizes not loaded) withholds: the policy fails closed.
 */
export function aggregateWithheldReason(access: SealedAccess, sealed: boolean, n: number, datasetN: number | undefined): string | null {
  if (!sealed || access.isAdmin) return null;
  if (datasetN === undefined) return `its ${n} samples could not be checked against the sealed set's (admin only)`;
  if (n !== datasetN) return `covers ${n} of ${datasetN} samples: partial slices of a sealed set could be differenced (admin only)`;
  if (n < access.minSliceSize) return `${n} samples is fewer than ${access.minSliceSize} (sealed dataset; admin only)`;
  return null;
}

/** An aggregate (metric, interval, p-value) over `n` samples of a set the dataset defines with `datasetN` samples. */
export function mayReadAggregate(access: SealedAccess, sealed: boolean, n: number, datasetN: number | undefined): boolean {
  return aggregateWithheldReason(access, sealed, n, datasetN) === null;
}

/**
 * Whether a live socket may send a per-utterance score: `evaluator` keys on
 * open datasets (as before), `admin` keys only on sealed ones.
 */
export function liveScoresVisible(scopes: readonly ApiKeyScope[], sealed: boolean): boolean {
  const evaluator = scopes.includes('evaluator') || scopes.includes('admin');
  return evaluator && mayReadSampleScores(sealedAccess(scopes), sealed);
}

/** A comparison as `access` may see it. */
export function comparisonView(c: Comparison, access: SealedAccess): Comparison {
  if (!c.sealed || access.isAdmin) return c;
  const withheld: string[] = [];
  if (c.disagreements.length > 0) withheld.push('per-sample disagreements (sealed dataset; admin only)');
  const visible = (s: SliceComparison): boolean => {
    const why = aggregateWithheldReason(access, true, s.n, s.datasetN);
    if (why !== null) withheld.push(`${s === c.overall ? 'the overall metric' : `slice "${s.slice}"`}: ${why}`);
    return why === null;
  };
  const overall: SliceComparison = visible(c.overall) ? c.overall : { slice: c.overall.slice, n: c.overall.n, runs: [], differences: [] };
  return { ...c, overall, breakdown: c.breakdown.filter(visible), disagreements: [], withheld };
}

/**
 * Leaderboards as `access` may see them. On sealed boards an entry is left
 * off unless it covers the whole set, and the ranks and ties of the rest are
 * counted among the entries shown, so a hidden entry's score does not show
 * through them either.
 */
export function leaderboardsView(boards: readonly Leaderboard[], access: SealedAccess): Leaderboard[] {
  return boards.map((b) => {
    if (!b.sealed || access.isAdmin) return b;
    const withheld: string[] = [];
    const shown = b.entries.filter((e) => {
      const why = aggregateWithheldReason(access, true, e.n, e.datasetN);
      if (why !== null) withheld.push(`entry of model ${e.modelId}: ${why}`);
      return why === null;
    });
    if (withheld.length === 0) return b;
    const better = (x: LeaderboardEntry, y: LeaderboardEntry): boolean => (b.lowerIsBetter ? x.value.high < y.value.low : x.value.low > y.value.high);
    const entries = shown.map((e) => ({
      ...e,
      rank: 1 + shown.filter((t) => t !== e && better(t, e)).length,
      tiedWith: shown
        .filter((t) => t !== e && !better(t, e) && !better(e, t))
        .map((t) => t.modelId)
        .sort(),
    }));
    return { ...b, entries, withheld };
  });
}

/** The generalist-vs-specialist view as `access` may see it: rows that do not cover a whole sealed set are left off. */
export function kindGapFor(view: KindGapView, access: SealedAccess): KindGapView {
  if (access.isAdmin) return view;
  const withheld: string[] = [];
  const rows = view.rows.filter((r) => {
    // Each side's value covers `sliceSamples` or more, the gap covers `n`: both must be the whole set.
    const why =
      aggregateWithheldReason(access, r.sealed, r.sliceSamples, r.datasetN) ??
      (r.gap === null ? null : aggregateWithheldReason(access, r.sealed, r.n, r.datasetN));
    if (why !== null) withheld.push(`${r.dataset} slice "${r.slice}": ${why}`);
    return why === null;
  });
  return withheld.length === 0 ? view : { ...view, rows, withheld };
}

/**
 * A stored run summary (`runs.summary`) as `access` may see it: on a sealed
 * set its metrics are shown only when every sample of the task (`datasetN`)
 * was answered `ok`, so a failed, skipped or `--limit`ed sample never changes
 * what a viewer sees (failed samples scored as wrong answers included).
 */
export function runSummaryView(summary: unknown, sealed: boolean, access: SealedAccess, datasetN: number | undefined): unknown {
  if (!sealed || access.isAdmin || summary === null || typeof summary !== 'object') return summary;
  const s = summary as { counts?: { ok?: number }; metrics?: unknown };
  if (s.metrics == null) return summary;
  const why = aggregateWithheldReason(access, true, s.counts?.ok ?? 0, datasetN);
  return why === null ? summary : { ...s, metrics: null, withheld: [`metrics: ${why}`] };
}
