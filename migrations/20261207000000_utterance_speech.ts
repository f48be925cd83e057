import type { Kysely } from 'kysely';

// A live turn answered in speech (issue 17) is heard by the session's ASR
// expert: its measures go to `utterances.scores` with the others, and what
// cannot be a number goes here: where its audio is stored (FLAC under the
// cache folder) and the model's own transcript of it (kept for text-speech
// consistency, never the answer). Null for turns answered in text.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('utterances').addColumn('speech', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('utterances').dropColumn('speech').execute();
}
