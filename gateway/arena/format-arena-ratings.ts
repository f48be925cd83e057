import type { ArenaRatingsView } from './arena-ratings.js';

const num = (x: number | null, digits = 0): string => (x === null ? '-' : x.toFixed(digits));

/**
 * The table `evalgate arena ratings` prints: a header naming the source
 * (`combined (human + judge)` when pooled), then rank, model, rating,
 * interval, votes and why a model is unranked, then the votes left out by
 * reason.
 */
export function formatArenaRatings(v: ArenaRatingsView, opts: { sourceDefaulted?: boolean } = {}): string {
  const r = v.ratings;
  const header = [
    `arena ratings — source: ${v.label}${opts.sourceDefaulted ? ' (the default; --source judge or --source combined for the others)' : ''}`,
    `modality: ${v.modality ?? 'all'}${v.frozenAt ? `   frozen at ${v.frozenAt} (${v.votes.afterFreeze} later vote(s) ignored)` : ''}`,
    `${r.method.model}, rating = ${r.method.scale}·θ + ${r.method.initialRating}${typeof r.method.gauge === 'object' ? `, anchored: ${r.method.gauge.anchorModel} = ${r.method.gauge.anchorRating}` : ''}; weights strong ${r.weights.strong} / preference ${r.weights.preference} / tie ${r.weights.tie}; ${r.bootstrap.rounds} bootstrap rounds (seed ${r.bootstrap.seed}), ${Math.round((1 - r.bootstrap.alpha) * 100)}% intervals`,
  ];
  const rows = r.models.map((m) => [
    m.rank === null ? '-' : String(m.rank),
    m.model,
    num(m.rating),
    m.low === null || m.high === null ? '-' : `${num(m.low)} – ${num(m.high)}`,
    String(m.votes),
    m.unrankedReason ?? '',
  ]);
  const head = ['rank', 'model', 'rating', 'interval', 'votes', 'unranked'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 1 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const excluded = Object.entries(v.votes.excluded)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const lines = [
    ...header,
    '',
    rows.length === 0 ? '(no votes to rate)' : [line(head), ...rows.map(line)].join('\n'),
    '',
    `votes: ${v.votes.used} rated of ${v.votes.considered}; left out: ${excluded}`,
  ];
  if (r.fit.status !== 'ok') lines.push(`no finite ratings: ${r.fit.reason}`);
  if (r.bootstrap.roundsWithoutMle > 0) lines.push(`${r.bootstrap.roundsWithoutMle} bootstrap round(s) had no finite fit: intervals are not given`);
  return lines.join('\n');
}
