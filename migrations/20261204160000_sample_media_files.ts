import { sql, type Kysely } from 'kysely';

// Each sample records the real file behind each of its media entries (links
// resolved) and its size at import, in media order: [{realPath, sizeBytes}].
// The media route serves only that file, only while it is still inside the
// dataset root and of that size (see datasets/contain-media-path.ts). Samples
// imported before this migration have `[]` and are checked by real path alone.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('samples')
    .addColumn('media_files', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('samples').dropColumn('media_files').execute();
}
