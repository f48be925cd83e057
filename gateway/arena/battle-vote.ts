import type { Kysely } from 'kysely';
import type { FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { EvalgateError } from '../errors.js';
import { appendArenaVotes, countVotesSince } from '../store/arena-vote-repo.js';
import { battleVoteDedupeKey, findBattleVote, listArenaAnswers, type StoredArenaBattle, type StoredBattleVote } from '../store/arena-battle-repo.js';
import type { Database } from '../store/database.js';
import { findIdentityWord } from './battle-identity-words.js';

/** A vote as the request carries it. */
export interface BattleVoteInput {
  /** Five-level preference, A being the left side. */
  readonly vote: FiveLevelVote;
  /** FastChat's "both are bad" flag. */
  readonly bothBad?: boolean;
}

/** What the vote POST answers. */
export interface BattleVoteResult {
  /** The battle. */
  readonly battleId: string;
  /** The stored vote. */
  readonly vote: string;
  /** The stored flag. */
  readonly bothBad: boolean;
  /** Revealed now. */
  readonly models: { readonly A: string; readonly B: string };
  /** Whether the ratings count it. */
  readonly counted: boolean;
  /** Why not, when not. */
  readonly excludedReason: string | null;
}

/** What the vote rules need. */
export interface BattleVoteOptions {
  /** Identity words (default FastChat's). */
  readonly identityWords?: readonly string[];
  /** Votes per voter per UTC day before further ones are stored as excluded. */
  readonly maxVotesPerDay: number;
  /** Clock (tests). */
  readonly now?: () => Date;
}

/** 00:00 UTC of `now`'s day. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function resultOf(battle: StoredArenaBattle, v: StoredBattleVote): BattleVoteResult {
  return {
    battleId: battle.id,
    vote: v.vote,
    bothBad: v.both_bad,
    models: { A: battle.model_a, B: battle.model_b },
    counted: v.excluded_reason === null,
    excludedReason: v.excluded_reason,
  };
}

function sameVote(v: StoredBattleVote, input: BattleVoteInput): boolean {
  return v.vote === input.vote && v.both_bad === (input.bothBad ?? false);
}

/**
 * Records the one vote of a battle (docs/arena.md "Arena battles"):
 * - refused (409 EVALGATE_ERR_ARENA_NOT_VOTABLE) until both answers are
 *   stored, and for good when a side failed;
 * - one per battle (dedupe key `battle:<id>`): the same vote again returns the
 *   stored result, a different one is 409 EVALGATE_ERR_CONFLICT;
 * - stored but excluded from the ratings when the battle leaks an identity
 *   word (`identity-leak`) or the voter is over the daily cap
 *   (`voter-daily-cap`), identity first.
 * One INSERT writes it, so an outage leaves either the vote or nothing.
 */
export async function castBattleVote(
  db: Kysely<Database>,
  battle: StoredArenaBattle,
  voterKey: string,
  input: BattleVoteInput,
  opts: BattleVoteOptions,
): Promise<BattleVoteResult> {
  const existing = await findBattleVote(db, battle.id);
  if (existing) return repeated(battle, existing, input);
  const answers = await listArenaAnswers(db, battle.id);
  const a = answers.find((r) => r.side === 'A');
  const b = answers.find((r) => r.side === 'B');
  if (a?.status === 'failed' || b?.status === 'failed') {
    throw new EvalgateError('EVALGATE_ERR_ARENA_NOT_VOTABLE', {
      id: battle.id,
      detail: 'a side failed to answer, so there is nothing to compare; start a new battle',
    });
  }
  if (!a || !b)
    throw new EvalgateError('EVALGATE_ERR_ARENA_NOT_VOTABLE', { id: battle.id, detail: 'an answer is still being generated; vote once both are in' });

  // A spoken answer names its model in its audio: its own transcript is checked too.
  const leak = findIdentityWord([battle.prompt_text, a.output_text, b.output_text, a.spoken_transcript, b.spoken_transcript], opts.identityWords);
  const now = opts.now?.() ?? new Date();
  const cast = leak === undefined ? await countVotesSince(db, voterKey, startOfUtcDay(now)) : 0;
  const excludedReason = leak !== undefined ? 'identity-leak' : cast >= opts.maxVotesPerDay ? 'voter-daily-cap' : null;
  const vote = {
    source: 'human' as const,
    battle_id: battle.id,
    modality: battle.modality,
    model_a: battle.model_a,
    model_b: battle.model_b,
    vote: input.vote,
    both_bad: input.bothBad ?? false,
    voter_key: voterKey,
    excluded_reason: excludedReason,
    style: a.style && b.style ? { a: a.style, b: b.style } : null,
    // The identity word is kept for the audit; the voter is told only the reason.
    details: leak !== undefined ? { identityWord: leak } : excludedReason ? { votesToday: cast } : {},
    dedupe_key: battleVoteDedupeKey(battle.id),
  };
  await appendArenaVotes(db, [vote]);
  // Written now, or by a concurrent request (or a retry whose reply was lost) first.
  const stored = await findBattleVote(db, battle.id);
  if (!stored) throw new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `the vote on battle ${battle.id} was not stored` });
  return repeated(battle, stored, input);
}

function repeated(battle: StoredArenaBattle, stored: StoredBattleVote, input: BattleVoteInput): BattleVoteResult {
  if (!sameVote(stored, input)) {
    throw new EvalgateError('EVALGATE_ERR_CONFLICT', {
      detail: `battle ${battle.id} already has a vote (${stored.vote}${stored.both_bad ? ', both bad' : ''}); one vote per battle`,
    });
  }
  return resultOf(battle, stored);
}
