import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { ArenaAnswersTable, ArenaBattlesTable, ArenaModality, ArenaVotesTable, Database, SampleMedia, SampleMediaFile, SampleTask } from './database.js';

// Arena battles and their answers (migration 20261206000000_arena). Both
// tables are append-only: a battle is one insert, each side's answer one more
// when that model finished or failed. Votes live in arena-vote-repo.ts.

type Db = Kysely<Database>;

/** A battle to insert (the id is the database's). */
export type NewArenaBattle = Insertable<ArenaBattlesTable>;
/** A stored battle. */
export type StoredArenaBattle = Selectable<ArenaBattlesTable>;
/** An answer to append. */
export type NewArenaAnswer = Insertable<ArenaAnswersTable>;
/** A stored answer. */
export type StoredArenaAnswer = Selectable<ArenaAnswersTable>;
/** A stored vote. */
export type StoredBattleVote = Selectable<ArenaVotesTable>;

const json = (v: unknown): string => JSON.stringify(v);

/** Inserts a battle and returns it as stored (its id and time). */
export async function insertArenaBattle(db: Db, battle: NewArenaBattle): Promise<StoredArenaBattle> {
  return db
    .insertInto('arena_battles')
    .values({ ...battle, prompt_media: json(battle.prompt_media ?? []), capability_tags: json(battle.capability_tags ?? []) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A battle by id; undefined when there is none (or the id is not one the database could hold). */
export async function findArenaBattle(db: Db, id: string): Promise<StoredArenaBattle | undefined> {
  return db.selectFrom('arena_battles').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Appends one side's answer. The primary key (battle, side) makes a retried
 * write (a reply lost in an outage) a no-op; returns whether the row is new.
 */
export async function appendArenaAnswer(db: Db, answer: NewArenaAnswer): Promise<boolean> {
  const rows = await db
    .insertInto('arena_answers')
    .values({
      ...answer,
      // Already JSON text, or a value to serialise (as the jsonb column types allow both).
      output_media: typeof answer.output_media === 'string' ? answer.output_media : json(answer.output_media ?? []),
      error: answer.error === undefined || answer.error === null ? null : json(answer.error),
      style: answer.style === undefined || answer.style === null ? null : json(answer.style),
    })
    .onConflict((oc) => oc.columns(['battle_id', 'side']).doNothing())
    .returning('side')
    .execute();
  return rows.length > 0;
}

/** The stored answers of a battle (zero, one or two rows), A first. */
export async function listArenaAnswers(db: Db, battleId: string): Promise<StoredArenaAnswer[]> {
  return db.selectFrom('arena_answers').selectAll().where('battle_id', '=', battleId).orderBy('side').execute();
}

/** The vote stored for a battle, if any (one per battle: its dedupe key is `battle:<id>`). */
export async function findBattleVote(db: Db, battleId: string): Promise<StoredBattleVote | undefined> {
  return db.selectFrom('arena_votes').selectAll().where('dedupe_key', '=', battleVoteDedupeKey(battleId)).executeTakeFirst();
}

/** The dedupe key of a battle's one vote. */
export function battleVoteDedupeKey(battleId: string): string {
  return `battle:${battleId}`;
}

/** A dataset sample drawn as a preset prompt. */
export interface PresetSampleRow {
  sample_key: string;
  task: SampleTask;
  question: string | null;
  choices: string[] | null;
  lang: string | null;
  tags: string[];
  media: SampleMedia[];
  media_files: SampleMediaFile[];
}

/**
 * One sample of a dataset drawn at random among those of a modality: exactly
 * one media file of that kind, or for `text` no media and a question.
 */
export async function drawPresetSample(db: Db, datasetId: string, modality: ArenaModality): Promise<PresetSampleRow | undefined> {
  const kindFilter =
    modality === 'text'
      ? sql<boolean>`jsonb_array_length(media) = 0 and coalesce(question, '') <> ''`
      : sql<boolean>`jsonb_array_length(media) = 1 and media->0->>'kind' = ${modality}`;
  return (await db
    .selectFrom('samples')
    .select(['sample_key', 'task', 'question', 'choices', 'lang', 'tags', 'media', 'media_files'])
    .where('dataset_id', '=', datasetId)
    .where(kindFilter)
    .orderBy(sql`random()`)
    .limit(1)
    .executeTakeFirst()) as PresetSampleRow | undefined;
}
