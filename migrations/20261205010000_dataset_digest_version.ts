import type { Kysely } from 'kysely';

// Which digest definition a dataset's sample digests and Merkle root were
// computed with (datasets/dataset-digest.ts). Version 1 covered each media
// file's manifest path; version 2 covers content only, so a corpus verified
// or relocated elsewhere keeps its digest. Every dataset imported before this
// migration was computed with version 1, hence the default; new imports
// record 2. Both versions stay computable, so old datasets still verify.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('datasets')
    .addColumn('digest_version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

// Going down is safe only while every dataset is version 1: a version-2 dataset would then be verified as
// version 1 and fail, so down refuses instead of losing that fact (re-import or drop those datasets first).
export async function down(db: Kysely<any>): Promise<void> {
  const v2 = await db.selectFrom('datasets').select('name').where('digest_version', '<>', 1).execute();
  if (v2.length > 0) {
    throw new Error(
      `cannot drop datasets.digest_version: ${v2.length} dataset(s) use digest version 2 (${v2
        .slice(0, 5)
        .map((r: { name: string }) => r.name)
        .join(', ')}); delete or re-import them first`,
    );
  }
  await db.schema.alterTable('datasets').dropColumn('digest_version').execute();
}
