// The lookups gateway/store/dataset-repo.ts gained for the routes and live binding (media record,
// sealed ids, bindable sample), the health ping, and the API key repository, on both backends;
// plus the scope order of gateway/server/auth/scopes.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeAllows } from '../../gateway/server/auth/scopes.js';
import { createApiKey, revokeApiKey, verifyApiKey } from '../../gateway/store/api-key-repo.js';
import { findBindableSample, findSampleMediaRecord, isDatasetSealed, sealedDatasetIds, sealedSampleIds } from '../../gateway/store/dataset-repo.js';
import { pingDatabase } from '../../gateway/store/health-repo.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

describe('scopeAllows', () => {
  it('grants a scope and every weaker one, nothing stronger', () => {
    expect(scopeAllows(['evaluator'], 'submitter')).toBe(true);
    expect(scopeAllows(['evaluator'], 'evaluator')).toBe(true);
    expect(scopeAllows(['evaluator'], 'admin')).toBe(false);
    expect(scopeAllows(['viewer', 'admin'], 'admin')).toBe(true);
    expect(scopeAllows([], 'viewer')).toBe(false);
  });
});

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`dataset lookups, health and API keys on ${backend.name}`, () => {
    let ts: TestStore;
    let open: string;
    let sealed: string;
    beforeAll(async () => {
      ts = await backend.create();
      const db = ts.store.db;
      const ds = async (name: string, isSealed: boolean, createdAt: string): Promise<string> =>
        (
          await db
            .insertInto('datasets')
            .values({ name, root_dir: `/data/${name}-${createdAt}`, manifest_digest: 'd', merkle_root: 'r', sealed: isSealed, created_at: createdAt })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      open = await ds('open', false, '2026-01-01T00:00:00Z');
      sealed = await ds('sealed', true, '2026-01-01T00:00:00Z');
      for (const [dataset_id, ref] of [
        [open, 'open ref'],
        [sealed, 'sealed ref'],
      ] as const) {
        await db
          .insertInto('samples')
          .values({
            dataset_id,
            sample_key: 's1',
            task: 'asr',
            reference: JSON.stringify(ref),
            lang: 'en',
            media: JSON.stringify([{ kind: 'audio', path: 'a.wav', sha256: 'x' }]),
            media_files: JSON.stringify([{ realPath: '/real/a.wav', sizeBytes: 44 }]),
            sample_digest: 'x',
          })
          .execute();
      }
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('pings the database', async () => {
      await expect(pingDatabase(ts.store.db)).resolves.toBeUndefined();
    });

    it('finds a sample media record by dataset name or id', async () => {
      const db = ts.store.db;
      const byName = await findSampleMediaRecord(db, 'open', 's1');
      expect(byName).toEqual({
        media: [{ kind: 'audio', path: 'a.wav', sha256: 'x' }],
        media_files: [{ realPath: '/real/a.wav', sizeBytes: 44 }],
        root_dir: '/data/open-2026-01-01T00:00:00Z',
        sealed: false,
      });
      // The media route refuses a sealed set's media below admin: the record says whether it is sealed.
      expect(await findSampleMediaRecord(db, sealed, 's1')).toMatchObject({ root_dir: '/data/sealed-2026-01-01T00:00:00Z', sealed: true });
      expect(await findSampleMediaRecord(db, 'open', 'nope')).toBeUndefined();
    });

    it('tells sealed datasets and samples apart', async () => {
      const db = ts.store.db;
      expect(await sealedDatasetIds(db, [open, sealed])).toEqual([sealed]);
      expect(await sealedDatasetIds(db, [])).toEqual([]);
      const samples = await db.selectFrom('samples').select(['id', 'dataset_id']).execute();
      const sealedSample = samples.find((r) => r.dataset_id === sealed)!.id;
      expect(
        await sealedSampleIds(
          db,
          samples.map((r) => r.id),
        ),
      ).toEqual([sealedSample]);
      expect(await sealedSampleIds(db, [])).toEqual([]);
      expect(await isDatasetSealed(db, sealed)).toBe(true);
      expect(await isDatasetSealed(db, open)).toBe(false);
      expect(await isDatasetSealed(db, crypto.randomUUID())).toBe(false);
    });

    it('finds a bindable sample by dataset name or id, with root and sealing', async () => {
      const db = ts.store.db;
      const s = await findBindableSample(db, 'sealed', 's1');
      expect(s).toMatchObject({
        datasetId: sealed,
        sampleKey: 's1',
        task: 'asr',
        reference: 'sealed ref',
        lang: 'en',
        rootDir: '/data/sealed-2026-01-01T00:00:00Z',
        sealed: true,
      });
      expect((await findBindableSample(db, open, 's1'))?.reference).toBe('open ref');
      expect(await findBindableSample(db, 'open', 'missing')).toBeUndefined();
      expect(await findBindableSample(db, 'no-such-dataset', 's1')).toBeUndefined();
    });

    it('creates, verifies and revokes API keys, with audit entries', async () => {
      const db = ts.store.db;
      const k = await createApiKey(db, { scopes: ['evaluator'], name: 'ci' });
      expect(k.key.startsWith(`eg_${k.prefix}_`)).toBe(true);
      expect(await verifyApiKey(db, k.key)).toEqual({ id: k.id, scopes: ['evaluator'] });
      expect(await verifyApiKey(db, `${k.key}x`)).toBeUndefined();
      expect(await revokeApiKey(db, k.prefix)).toBe(true);
      expect(await revokeApiKey(db, k.id)).toBe(false);
      expect(await verifyApiKey(db, k.key)).toBeUndefined();
      const audit = await db.selectFrom('audit_log').select(['action', 'subject']).where('action', 'like', 'api_key.%').orderBy('id').execute();
      expect(audit).toEqual([
        { action: 'api_key.create', subject: k.id },
        { action: 'api_key.revoke', subject: k.prefix },
      ]);
    });
  });
}
