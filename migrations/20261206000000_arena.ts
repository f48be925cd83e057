import { sql, type Kysely } from 'kysely';

// The blind arena (issue 16): battles, the two answers of each, and votes from
// people and from judge models. All three tables are append-only, enforced by
// the database as for audit_log: a battle's answers arrive as their own rows
// and a vote is a row, so nothing recorded is ever rewritten, and an audit can
// replay every rating from the rows.
//
// - arena_battles: the prompt (text, media kept like dataset media, or a preset
//   drawn from a dataset with its hidden capability tags), the two models in
//   their shown order (model_a is the left/A side), who created it, when.
// - arena_answers: one row per side once that model finished (or failed),
//   with its latencies and answer style (for style control). A spoken answer
//   is its audio (output_media); the model's own transcript of it is kept in
//   spoken_transcript for the identity-word check only, never shown.
// - arena_votes: one row per vote. Human votes point at a battle; judge votes
//   (`evalgate judge --pairwise`) point at the judge run and sample instead.
//   `dedupe_key` makes a retried write idempotent (one vote per battle; one
//   judge verdict per run, sample and presentation order). `excluded_reason`
//   holds exclusions decided when the vote is written (identity leak, daily
//   cap); exclusions decided when rating (voter outliers, duplicate prompts,
//   min votes) are computed then and reported, never stored.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  const uuid = sql`gen_random_uuid()::text`;

  await db.schema
    .createTable('arena_battles')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('modality', 'text', (c) => c.notNull().check(sql`modality in ('text', 'audio', 'image', 'video')`))
    .addColumn('model_a', 'text', (c) => c.notNull())
    .addColumn('model_b', 'text', (c) => c.notNull())
    .addColumn('prompt_text', 'text')
    .addColumn('prompt_media', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('prompt_hash', 'text', (c) => c.notNull())
    .addColumn('preset_dataset_id', 'text', (c) => c.references('datasets.id'))
    .addColumn('preset_sample_key', 'text')
    .addColumn('capability_tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('creator_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('arena_battles_two_models', sql`model_a <> model_b`)
    .execute();
  await db.schema.createIndex('arena_battles_created_at').on('arena_battles').column('created_at').execute();

  await db.schema
    .createTable('arena_answers')
    .addColumn('battle_id', 'text', (c) => c.notNull().references('arena_battles.id'))
    .addColumn('side', 'text', (c) => c.notNull().check(sql`side in ('A', 'B')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ok', 'failed')`))
    .addColumn('output_text', 'text')
    .addColumn('output_media', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('spoken_transcript', 'text')
    .addColumn('error', 'jsonb')
    .addColumn('latency_first_token_ms', 'double precision')
    .addColumn('latency_total_ms', 'double precision')
    .addColumn('style', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('arena_answers_pk', ['battle_id', 'side'])
    .execute();

  await db.schema
    .createTable('arena_votes')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('human', 'judge')`))
    .addColumn('battle_id', 'text', (c) => c.references('arena_battles.id'))
    .addColumn('judge_run_id', 'text', (c) => c.references('runs.id'))
    .addColumn('sample_id', 'text', (c) => c.references('samples.id'))
    .addColumn('modality', 'text', (c) => c.notNull())
    .addColumn('model_a', 'text', (c) => c.notNull())
    .addColumn('model_b', 'text', (c) => c.notNull())
    .addColumn('vote', 'text', (c) => c.notNull().check(sql`vote in ('A>>B', 'A>B', 'A=B', 'B>A', 'B>>A')`))
    .addColumn('both_bad', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('voter_key', 'text', (c) => c.notNull())
    .addColumn('excluded_reason', 'text')
    .addColumn('style', 'jsonb')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('arena_votes_two_models', sql`model_a <> model_b`)
    .addCheckConstraint('arena_votes_origin', sql`(source = 'human' and battle_id is not null) or (source = 'judge' and judge_run_id is not null)`)
    .execute();
  await db.schema.createIndex('arena_votes_source_modality').on('arena_votes').columns(['source', 'modality']).execute();
  await db.schema.createIndex('arena_votes_voter_day').on('arena_votes').columns(['voter_key', 'created_at']).execute();

  // Append-only is enforced by the database, not by convention (evalgate
  // never deletes datasets or runs, so nothing needs a cascade).
  await sql`create function arena_append_only() returns trigger language plpgsql as $$
    begin raise exception '% is append-only', tg_table_name; end $$`.execute(db);
  for (const t of ['arena_battles', 'arena_answers', 'arena_votes']) {
    await sql`create trigger ${sql.raw(`${t}_no_update`)} before update or delete on ${sql.table(t)}
      for each row execute function arena_append_only()`.execute(db);
  }
}

// Drops the arena and every battle and vote in it.
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['arena_votes', 'arena_answers', 'arena_battles']) {
    await sql`drop trigger if exists ${sql.raw(`${t}_no_update`)} on ${sql.table(t)}`.execute(db);
  }
  await sql`drop function if exists arena_append_only()`.execute(db);
  for (const t of ['arena_votes', 'arena_answers', 'arena_battles']) await db.schema.dropTable(t).ifExists().execute();
}
