import type { LeaderboardArena, ModelArenaRating } from '../arena/leaderboard-arena.js';
import { modelIdOfLabel } from '../compare/answer-condition.js';

/** One row of the report's arena table. */
export interface ReportArenaRow extends ModelArenaRating {
  readonly model: string;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
const r = (x: number | null): string => (x === null ? '-' : x.toFixed(0));

/**
 * The report's small arena table: the compared models' arena ratings (human
 * votes when people rated a model, judge votes otherwise; the source column
 * says which), beside the automatic metrics of the sections below it.
 */
export function renderArenaTable(rows: readonly ReportArenaRow[]): string {
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (a) =>
        `<tr><td>${esc(a.model)}</td><td>${esc(r(a.rating))}</td><td>${a.low === null || a.high === null ? '-' : `${esc(r(a.low))} – ${esc(r(a.high))}`}</td><td>${a.rank === null ? '-' : esc(a.rank)}</td><td>${esc(a.votes)}</td><td>${esc(a.source)}</td></tr>`,
    )
    .join('');
  return `<section class="arena"><h2>Arena ratings</h2><p class="muted">Bradley-Terry ratings from arena votes (docs/arena.md); human and judge votes are never mixed: the source column says whose votes each rating comes from.</p><table><thead><tr><th>model</th><th>rating</th><th>interval</th><th>rank</th><th>votes</th><th>source</th></tr></thead><tbody>${body}</tbody></table></section>`;
}

/** The arena ratings of the compared models that have one (the CLI report and GET /v1/report). */
export function reportArenaRows(arena: LeaderboardArena, models: readonly string[]): ReportArenaRow[] {
  return [...new Set(models)].flatMap((model) => {
    const a = arena.byModel.get(modelIdOfLabel(model));
    return a ? [{ model, ...a }] : [];
  });
}
