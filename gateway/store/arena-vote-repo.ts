import type { Insertable, Kysely, Selectable } from 'kysely';
import type { ArenaVote, VoteSource } from '../../scorers/arena/arena-vote.js';
import type { ArenaVotesTable, Database } from './database.js';

// Arena votes, from people and from judge models, in one append-only table
// (migration 20261206000000_arena). Writers append; the ratings read them
// back as scorers/arena ArenaVote values, one source at a time unless the
// caller asks for the combination.

type Db = Kysely<Database>;

/** A vote to append. */
export type NewArenaVote = Insertable<ArenaVotesTable>;

/** A stored vote. */
export type StoredArenaVote = Selectable<ArenaVotesTable>;

/**
 * Appends votes; a vote whose `dedupe_key` is already stored is skipped, so a
 * write retried after a lost reply (or a judge run resumed after a kill) never
 * counts twice. Returns how many rows were new.
 */
export async function appendArenaVotes(db: Db, votes: readonly NewArenaVote[]): Promise<number> {
  if (votes.length === 0) return 0;
  const rows = await db
    .insertInto('arena_votes')
    .values(votes.map((v) => ({ ...v, style: v.style === undefined || v.style === null ? null : JSON.stringify(v.style) })))
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/** Which votes to read. */
export interface ArenaVoteFilter {
  /** One source; both when absent. */
  readonly source?: VoteSource;
  /** One modality; all when absent. */
  readonly modality?: string;
  /** Only the votes of this judge run. */
  readonly judgeRunId?: string;
}

/** Stored votes in the order they were cast (then by id, for a stable order). */
export async function listArenaVotes(db: Db, filter: ArenaVoteFilter = {}): Promise<StoredArenaVote[]> {
  let q = db.selectFrom('arena_votes').selectAll();
  if (filter.source) q = q.where('source', '=', filter.source);
  if (filter.modality) q = q.where('modality', '=', filter.modality);
  if (filter.judgeRunId) q = q.where('judge_run_id', '=', filter.judgeRunId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** A stored vote as the ratings take it (the voter key feeds the outlier test, the style feeds style control). */
export function toArenaVote(row: StoredArenaVote): ArenaVote {
  return {
    modelA: row.model_a,
    modelB: row.model_b,
    vote: row.vote,
    source: row.source,
    voterKey: row.voter_key,
    ...(row.style ? { style: row.style } : {}),
  };
}

/** Votes a voter cast since `since` (per-voter daily caps and rate limits). */
export async function countVotesSince(db: Db, voterKey: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('arena_votes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('voter_key', '=', voterKey)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
