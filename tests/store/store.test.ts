import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedMigrations, migrateDownAll, migrateToLatest, openStore } from '../../gateway/store/open-store.js';
import { backends, createTestDatabase, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { migrations } from '../../migrations/index.js';

const pgUp = await postgresAvailable();

async function seedRunAndSample(ts: TestStore): Promise<{ runId: string; sampleId: string }> {
  const { db } = ts.store;
  await db.insertInto('models').values({ id: 'm1', adapter: 'openai-chat', kind: 'generalist', model: 'gpt-4o', base_url: null }).execute();
  const ds = await db.insertInto('datasets').values({ name: 'ds', manifest_digest: 'd', merkle_root: 'r' }).returning('id').executeTakeFirstOrThrow();
  const sample = await db
    .insertInto('samples')
    .values({ dataset_id: ds.id, sample_key: 's1', task: 'asr', reference: JSON.stringify('hello world'), sample_digest: 'x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const run = await db
    .insertInto('runs')
    .values({ model_id: 'm1', dataset_id: ds.id, task: 'asr', config: JSON.stringify({ a: 1 }), config_hash: 'h', evalgate_version: '0' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { runId: run.id, sampleId: sample.id };
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`store on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create({ migrate: false });
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('migrates up, down, then up again', async () => {
      const { db } = ts.store;
      const up1 = await migrateToLatest(db);
      expect(up1.map((s) => s.status)).toEqual(Object.keys(migrations).map(() => 'Success'));
      expect(await appliedMigrations(db)).toEqual(Object.keys(migrations));
      const tables = await db.introspection.getTables();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['models', 'datasets', 'samples', 'runs', 'predictions', 'scores', 'api_keys', 'stream_sessions', 'utterances', 'audit_log']),
      );

      const down = await migrateDownAll(db);
      expect(down.every((s) => s.direction === 'Down' && s.status === 'Success')).toBe(true);
      expect(await appliedMigrations(db)).toEqual([]);
      const after = (await db.introspection.getTables()).map((t) => t.name);
      expect(after).not.toContain('runs');

      await migrateToLatest(db);
      expect(await appliedMigrations(db)).toEqual(Object.keys(migrations));
      // Running again is a no-op, not an error.
      expect(await migrateToLatest(db)).toEqual([]);
    });

    it('enforces one prediction per (run, sample)', async () => {
      const { db } = ts.store;
      const { runId, sampleId } = await seedRunAndSample(ts);
      await db.insertInto('predictions').values({ run_id: runId, sample_id: sampleId, status: 'ok', output_text: 'hello' }).execute();
      await expect(db.insertInto('predictions').values({ run_id: runId, sample_id: sampleId, status: 'failed' }).execute()).rejects.toThrow(
        /predictions_run_sample_unique|duplicate key/,
      );
      const rows = await db.selectFrom('predictions').selectAll().where('run_id', '=', runId).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.status).toBe('ok');
    });

    it('rolls back a failed transaction', async () => {
      const { db } = ts.store;
      const before = await db
        .selectFrom('models')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('models').values({ id: 'tx-model', adapter: 'a', kind: 'specialist', model: null, base_url: null }).execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const after = await db
        .selectFrom('models')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
      expect(await db.selectFrom('models').selectAll().where('id', '=', 'tx-model').execute()).toEqual([]);
    });

    it('returns counts and measurements as numbers, timestamps as Dates, jsonb parsed', async () => {
      const { db } = ts.store;
      const row = await db.selectFrom('runs').select(['config', 'created_at']).executeTakeFirstOrThrow();
      expect(row.config).toEqual({ a: 1 });
      expect(row.created_at).toBeInstanceOf(Date);
      const counted = await db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(counted.n).toBe(1);
      const summed = await sql<{ s: number }>`select sum(attempts)::numeric + 0.5 as s from predictions`.execute(db);
      expect(summed.rows[0]?.s).toBe(0.5);
    });

    it('keeps the audit log append-only', async () => {
      const { db } = ts.store;
      await db.insertInto('audit_log').values({ action: 'test', actor: 'me' }).execute();
      await expect(db.updateTable('audit_log').set({ action: 'changed' }).execute()).rejects.toThrow(/append-only/);
      await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    });
  });
}

describe.skipIf(!pgUp)('migrations on PostgreSQL under concurrency', () => {
  it('applies each migration once when several processes start at once', async () => {
    const tdb = await createTestDatabase();
    try {
      const stores = await Promise.all([0, 1, 2, 3].map(() => openStore({ url: tdb.url, migrate: false })));
      const results = await Promise.all(stores.map((s) => migrateToLatest(s.db)));
      const applied = results.flat().filter((s) => s.status === 'Success');
      expect(applied).toHaveLength(Object.keys(migrations).length);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await tdb.drop();
    }
  });

  it('refuses to start when a migration fails, naming it', async () => {
    const tdb = await createTestDatabase();
    try {
      const s = await openStore({ url: tdb.url, migrate: false });
      // A conflicting table makes the first migration fail part-way.
      await sql`create table models (x int)`.execute(s.db);
      await expect(migrateToLatest(s.db)).rejects.toMatchObject({ code: 'EVALGATE_ERR_MIGRATION_FAILED' });
      await expect(migrateToLatest(s.db)).rejects.toThrow(/20261128000000_initial_schema/);
      await s.close();
    } finally {
      await tdb.drop();
    }
  });
});
