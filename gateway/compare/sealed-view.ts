import type { ApiKeyScope } from '../store/database.js';
import type { Comparison, SliceComparison } from './compare-runs.js';
import type { KindGapView } from './kind-gap.js';
import type { Leaderboard } from './leaderboard.js';

/**
 * The sealed-dataset policy, in one place (docs/security.md).
 *
 * - References and MCQ answer letters: `admin` only, on every dataset.
 * - On a sealed dataset, per-sample scores, per-sample extraction details
 *   ("extracted B", "exact", S/D/I counts, the disagreement list) and any
 *   aggregate over fewer than `minSliceSize` samples (per-tag slices
 *   included): `admin` only. Other scopes get the larger aggregates.
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

/** An aggregate (metric, interval, p-value) computed over `n` samples of a dataset. */
export function mayReadAggregate(access: SealedAccess, sealed: boolean, n: number): boolean {
  return !sealed || access.isAdmin || n >= access.minSliceSize;
}

/**
 * Whether a live socket may send a per-utterance score: `evaluator` keys on
 * open datasets (as before), `admin` keys only on sealed ones.
 */
export function liveScoresVisible(scopes: readonly ApiKeyScope[], sealed: boolean): boolean {
  const evaluator = scopes.includes('evaluator') || scopes.includes('admin');
  return evaluator && mayReadSampleScores(sealedAccess(scopes), sealed);
}

const small = (access: SealedAccess): string => `fewer than ${access.minSliceSize} samples (sealed dataset; admin only)`;

/** A comparison as `access` may see it. */
export function comparisonView(c: Comparison, access: SealedAccess): Comparison {
  if (!c.sealed || access.isAdmin) return c;
  const withheld: string[] = [];
  if (c.disagreements.length > 0) withheld.push('per-sample disagreements (sealed dataset; admin only)');
  const hidden = c.breakdown.filter((s) => !mayReadAggregate(access, true, s.n));
  if (hidden.length > 0) withheld.push(`${hidden.length} slice(s) of ${small(access)}`);
  let overall: SliceComparison = c.overall;
  if (!mayReadAggregate(access, true, c.overall.n)) {
    overall = { slice: c.overall.slice, n: c.overall.n, runs: [], differences: [] };
    withheld.push(`the overall metric: ${c.overall.n} shared samples is ${small(access)}`);
  }
  return {
    ...c,
    overall,
    breakdown: c.breakdown.filter((s) => mayReadAggregate(access, true, s.n)),
    disagreements: [],
    withheld,
  };
}

/** Leaderboards as `access` may see them: on sealed boards, entries over too few samples are left off. */
export function leaderboardsView(boards: readonly Leaderboard[], access: SealedAccess): Leaderboard[] {
  return boards.map((b) => {
    if (!b.sealed || access.isAdmin) return b;
    const hidden = b.entries.filter((e) => !mayReadAggregate(access, true, e.n));
    if (hidden.length === 0) return b;
    return {
      ...b,
      entries: b.entries.filter((e) => mayReadAggregate(access, true, e.n)),
      withheld: [`${hidden.length} entr${hidden.length === 1 ? 'y' : 'ies'} scored on ${small(access)}`],
    };
  });
}

/** The generalist-vs-specialist view as `access` may see it: small sealed slices are left off. */
export function kindGapFor(view: KindGapView, access: SealedAccess): KindGapView {
  if (access.isAdmin) return view;
  const visible = (r: KindGapView['rows'][number]): boolean =>
    mayReadAggregate(access, r.sealed, r.sliceSamples) && (r.gap === null || mayReadAggregate(access, r.sealed, r.n));
  const hidden = view.rows.filter((r) => !visible(r));
  if (hidden.length === 0) return view;
  return { ...view, rows: view.rows.filter(visible), withheld: [`${hidden.length} slice(s) of ${small(access)}`] };
}

/** A stored run summary (`runs.summary`) as `access` may see it: metrics over too few samples of a sealed set are left off. */
export function runSummaryView(summary: unknown, sealed: boolean, access: SealedAccess): unknown {
  if (!sealed || access.isAdmin || summary === null || typeof summary !== 'object') return summary;
  const s = summary as { counts?: { ok?: number }; metrics?: unknown };
  if (s.metrics == null || mayReadAggregate(access, true, s.counts?.ok ?? 0)) return summary;
  return { ...s, metrics: null, withheld: [`metrics: ${small(access)}`] };
}
