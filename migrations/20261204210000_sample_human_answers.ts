import type { Kysely } from 'kysely';

// vqa samples may carry the human answers of VQAv2/VizWiz/TextVQA annotations
// (a JSON array of strings, usually ten) instead of a reference list; the vqa
// task scores them with VQA accuracy. Null for every other sample. They are
// references: wherever `reference` is withheld (sealed datasets, non-admin
// keys), so are they.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('samples').addColumn('human_answers', 'jsonb').execute();
}

// Drops the column and with it any human answers stored (re-import those datasets after going up again).
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('samples').dropColumn('human_answers').execute();
}
