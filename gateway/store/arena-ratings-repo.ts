import type { Kysely } from 'kysely';
import type { StoredArenaVote } from './arena-vote-repo.js';
import type { Database } from './database.js';

// What the arena ratings read: the votes of a source and modality, each with
// its battle's prompt hash (human votes; null for judge votes), for the
// duplicate-prompt downsampling (gateway/arena/arena-ratings.ts).

/** A stored vote with its battle's prompt hash. */
export type RatedArenaVote = StoredArenaVote & { readonly prompt_hash: string | null };

/** Votes of `source` (both when absent) and `modality` (all when absent), in the order cast. */
export async function listVotesForRatings(db: Kysely<Database>, filter: { source?: 'human' | 'judge'; modality?: string }): Promise<RatedArenaVote[]> {
  let q = db.selectFrom('arena_votes as v').leftJoin('arena_battles as b', 'b.id', 'v.battle_id').selectAll('v').select('b.prompt_hash');
  if (filter.source) q = q.where('v.source', '=', filter.source);
  if (filter.modality) q = q.where('v.modality', '=', filter.modality);
  return q.orderBy('v.created_at').orderBy('v.id').execute();
}
