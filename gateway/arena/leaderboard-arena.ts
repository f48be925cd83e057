// Arena ratings as a column beside the automatic metrics (leaderboard, report):
// each model's rating from human votes when people rated it, from judge votes
// otherwise, always labelled with its source, and never a blend of the two.
import type { Kysely } from 'kysely';
import type { EvalgateConfig } from '../config/config-schema.js';
import { modelIdOfLabel } from '../compare/answer-condition.js';
import type { Database } from '../store/database.js';
import type { ArenaRatings, ArenaRatingsOptions } from '../../scorers/arena/compute-arena-ratings.js';
import { computeArenaRatings } from '../../scorers/arena/compute-arena-ratings.js';
import type { ArenaVote } from '../../scorers/arena/arena-vote.js';
import { arenaRatingsView, loadArenaRatingsInput, type ArenaRatingsView } from './arena-ratings.js';

/** One model's arena column. */
export interface ModelArenaRating {
  readonly rating: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Rank among the models rated from the same source; null when unranked. */
  readonly rank: number | null;
  /** Whose votes: `human` when people rated the model, else `judge`. */
  readonly source: 'human' | 'judge';
  /** Votes the model took part in (that source). */
  readonly votes: number;
}

/** The arena columns of every rated model, and the two per-source views they come from. */
export interface LeaderboardArena {
  readonly byModel: ReadonlyMap<string, ModelArenaRating>;
  readonly human: ArenaRatingsView | null;
  readonly judge: ArenaRatingsView | null;
}

/** How a fit is run: in this thread (CLI) or on the server's worker pool. */
export type ArenaFit = (votes: readonly ArenaVote[], opts: ArenaRatingsOptions) => Promise<ArenaRatings>;

const inThread: ArenaFit = async (votes, opts) => computeArenaRatings(votes, opts);

/**
 * Ratings per source (a source without votes is not fitted), then each
 * model's column: human when the model has a human rating, judge otherwise.
 * The leaderboard freeze applies to the votes too.
 */
export async function loadLeaderboardArena(
  db: Kysely<Database>,
  config: EvalgateConfig,
  opts: { readonly freezeAt?: Date },
  fit: ArenaFit = inThread,
): Promise<LeaderboardArena> {
  const views: Partial<Record<'human' | 'judge', ArenaRatingsView>> = {};
  for (const source of ['human', 'judge'] as const) {
    const input = await loadArenaRatingsInput(db, config, { source, ...(opts.freezeAt ? { freezeAt: opts.freezeAt } : {}) });
    if (input.votes.length > 0) views[source] = arenaRatingsView(input, await fit(input.votes, input.options));
  }
  const byModel = new Map<string, ModelArenaRating>();
  for (const source of ['judge', 'human'] as const) {
    for (const m of views[source]?.ratings.models ?? []) {
      if (m.rating === null && byModel.has(m.model)) continue;
      byModel.set(m.model, { rating: m.rating, low: m.low, high: m.high, rank: m.rank, source, votes: m.votes });
    }
  }
  return { byModel, human: views.human ?? null, judge: views.judge ?? null };
}

/** Boards with each entry's `arena` column (null when the model has no arena rating); the board type is kept. */
export function withArenaColumns<B extends { readonly entries: readonly { readonly modelId: string }[] }>(boards: readonly B[], arena: LeaderboardArena): B[] {
  // A model answering in speech is labelled `MODEL (speech)` on boards; its arena rating is the model's.
  return boards.map((b) => ({ ...b, entries: b.entries.map((e) => ({ ...e, arena: arena.byModel.get(modelIdOfLabel(e.modelId)) ?? null })) }) as B);
}

/** `1234 [1200–1260] #1 human` for tables. */
export function formatArenaCell(a: ModelArenaRating | null | undefined): string {
  if (!a) return '-';
  const r = (x: number | null): string => (x === null ? '-' : x.toFixed(0));
  return `${r(a.rating)}${a.low !== null && a.high !== null ? ` [${r(a.low)}–${r(a.high)}]` : ''}${a.rank !== null ? ` #${a.rank}` : ''} ${a.source}`;
}
