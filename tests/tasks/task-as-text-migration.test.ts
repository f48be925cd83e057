// Migration 20261204170000_task_as_text: samples.task is plain text (the task
// registry validates it), and `down` restores the initial schema's CHECK.
import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../gateway/store/database.js';
import { migrations } from '../../migrations/index.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

async function insertSample(db: Kysely<Database>, datasetId: string, key: string, task: string): Promise<void> {
  await sql`insert into samples (dataset_id, sample_key, task, reference, sample_digest) values (${datasetId}, ${key}, ${task}, ${JSON.stringify('x')}::jsonb, 'd')`.execute(
    db,
  );
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`task as text on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create({ migrate: true });
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('stores any task text after the migration; down restores the CHECK list', async () => {
      const { db } = ts.store;
      const ds = await db.insertInto('datasets').values({ name: 'ds', manifest_digest: 'd', merkle_root: 'r' }).returning('id').executeTakeFirstOrThrow();
      await insertSample(db, ds.id, 'new', 'bleu');
      await db.deleteFrom('samples').where('sample_key', '=', 'new').execute();

      const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
      // Down to the migration before it (later ones go down first).
      const down = await migrator.migrateTo('20261204160000_sample_media_files');
      expect(down.error).toBeUndefined();
      expect(down.results?.at(-1)?.migrationName).toBe('20261204170000_task_as_text');
      expect(down.results?.every((r) => r.direction === 'Down' && r.status === 'Success')).toBe(true);
      await expect(insertSample(db, ds.id, 'new', 'bleu')).rejects.toThrow(/samples_task_check/);
      await insertSample(db, ds.id, 'old', 'vqa');

      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      await insertSample(db, ds.id, 'new', 'bleu');
    });
  });
}
