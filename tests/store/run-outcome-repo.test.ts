// gateway/store/run-outcome-repo.ts and run-listing-repo.ts on both backends: what comparisons,
// leaderboards and the runs API read (headers, outcome rows, sample group counts, completed runs,
// the runs page, a run's sample page).
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../gateway/store/database.js';
import { findRunWithDataset, listRunSamples, listRunsPage } from '../../gateway/store/run-listing-repo.js';
import { countSamplesByGroup, findRunHeader, listCompletedRuns, listRunOutcomeRows } from '../../gateway/store/run-outcome-repo.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

interface Seed {
  readonly open: string;
  readonly sealed: string;
  readonly runs: { readonly gOld: string; readonly gNew: string; readonly spec: string; readonly failed: string; readonly sealedRun: string };
}

async function seed(db: Kysely<Database>): Promise<Seed> {
  await db
    .insertInto('models')
    .values([
      { id: 'gen', adapter: 'openai-chat', kind: 'generalist', model: 'x', base_url: null },
      { id: 'spec', adapter: 'pocketsphinx', kind: 'specialist', model: null, base_url: null },
    ])
    .execute();
  const ds = async (name: string, sealed: boolean): Promise<string> =>
    (
      await db
        .insertInto('datasets')
        .values({ name, manifest_digest: `d-${name}`, merkle_root: `r-${name}`, sealed })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const open = await ds('open-set', false);
  const sealed = await ds('sealed-set', true);
  const samples = [
    { key: 'b', lang: 'en', tags: ['noisy'], reference: 'bee' },
    { key: 'a', lang: 'en', tags: ['noisy'], reference: 'ay' },
    { key: 'c', lang: 'zh', tags: [], reference: 'see' },
  ];
  for (const dataset_id of [open, sealed]) {
    await db
      .insertInto('samples')
      .values(
        samples.map((s) => ({
          dataset_id,
          sample_key: s.key,
          task: 'asr',
          lang: s.lang,
          tags: JSON.stringify(s.tags),
          reference: JSON.stringify(s.reference),
          sample_digest: s.key,
        })),
      )
      .execute();
  }
  await db
    .insertInto('samples')
    .values({ dataset_id: open, sample_key: 'q', task: 'mcq', answer: 'B', choices: JSON.stringify(['x', 'y']), sample_digest: 'q' })
    .execute();
  const run = async (model: string, dataset: string, status: 'completed' | 'failed', finishedHoursAgo: number): Promise<string> =>
    (
      await db
        .insertInto('runs')
        .values({
          model_id: model,
          dataset_id: dataset,
          task: 'asr',
          status,
          config: JSON.stringify({ scorer: { unit: 'word' } }),
          config_hash: `h-${Math.random()}`,
          evalgate_version: '0',
          normalizer: 'whisper-en',
          created_at: sql<Date>`now() - ${sql.raw(`interval '${finishedHoursAgo + 1} hours'`)}`,
          finished_at: sql<Date>`now() - ${sql.raw(`interval '${finishedHoursAgo} hours'`)}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const runs = {
    gOld: await run('gen', open, 'completed', 5),
    gNew: await run('gen', open, 'completed', 1),
    spec: await run('spec', open, 'completed', 3),
    failed: await run('spec', open, 'failed', 0),
    sealedRun: await run('gen', sealed, 'completed', 2),
  };
  const openSamples = await db.selectFrom('samples').select(['id', 'sample_key']).where('dataset_id', '=', open).where('task', '=', 'asr').execute();
  await db
    .insertInto('predictions')
    .values(
      openSamples.map((s, i) => ({
        run_id: runs.gNew,
        sample_id: s.id,
        status: s.sample_key === 'c' ? ('failed' as const) : ('ok' as const),
        output_text: s.sample_key === 'c' ? null : `out-${s.sample_key}`,
        error: s.sample_key === 'c' ? JSON.stringify({ message: 'timeout' }) : null,
        attempts: i + 1,
        latency_total_ms: 10 * (i + 1),
      })),
    )
    .execute();
  return { open, sealed, runs };
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`run outcome and listing repositories on ${backend.name}`, () => {
    let ts: TestStore;
    let s: Seed;
    beforeAll(async () => {
      ts = await backend.create();
      s = await seed(ts.store.db);
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('reads a run header with its model kind and dataset sealing', async () => {
      const db = ts.store.db;
      expect(await findRunHeader(db, s.runs.spec)).toMatchObject({
        id: s.runs.spec,
        model_id: 'spec',
        kind: 'specialist',
        sealed: false,
        normalizer: 'whisper-en',
        config: { scorer: { unit: 'word' } },
      });
      expect((await findRunHeader(db, s.runs.sealedRun))?.sealed).toBe(true);
      expect(await findRunHeader(db, crypto.randomUUID())).toBeUndefined();
    });

    it('lists a run outcomes ordered by sample key, with references', async () => {
      const rows = await listRunOutcomeRows(ts.store.db, s.runs.gNew);
      expect(rows.map((r) => [r.sample_key, r.status, r.output_text, r.reference, r.tags])).toEqual([
        ['a', 'ok', 'out-a', 'ay', ['noisy']],
        ['b', 'ok', 'out-b', 'bee', ['noisy']],
        ['c', 'failed', null, 'see', []],
      ]);
      expect(await listRunOutcomeRows(ts.store.db, s.runs.spec)).toEqual([]);
    });

    it('counts samples per dataset, task, language and tag list, as numbers', async () => {
      const rows = await countSamplesByGroup(ts.store.db, [s.open, s.open]);
      const key = (r: (typeof rows)[number]): string => `${r.task}|${r.lang ?? '-'}|${r.tags.join(',')}`;
      expect(Object.fromEntries(rows.map((r) => [key(r), r.n]))).toEqual({ 'asr|en|noisy': 2, 'asr|zh|': 1, 'mcq|-|': 1 });
      expect(rows.every((r) => r.datasetId === s.open && typeof r.n === 'number')).toBe(true);
      expect(await countSamplesByGroup(ts.store.db, [])).toEqual([]);
    });

    it('lists completed runs of a task, latest finished first, by dataset name or id', async () => {
      const db = ts.store.db;
      expect((await listCompletedRuns(db, { task: 'asr' })).map((r) => r.id)).toEqual([s.runs.gNew, s.runs.sealedRun, s.runs.spec, s.runs.gOld]);
      const byId = await listCompletedRuns(db, { task: 'asr', dataset: { nameOrId: s.sealed } });
      expect(byId.map((r) => [r.id, r.dataset_name, r.dataset_id])).toEqual([[s.runs.sealedRun, 'sealed-set', s.sealed]]);
      expect((await listCompletedRuns(db, { task: 'asr', dataset: { nameOrId: 'open-set' } })).map((r) => r.id)).toEqual([
        s.runs.gNew,
        s.runs.spec,
        s.runs.gOld,
      ]);
      expect((await listCompletedRuns(db, { task: 'asr', dataset: { name: 'sealed-set' } })).map((r) => r.id)).toEqual([s.runs.sealedRun]);
      expect(await listCompletedRuns(db, { task: 'ocr' })).toEqual([]);
    });

    it('pages runs newest first with filters and the stale flag', async () => {
      const db = ts.store.db;
      const all = await listRunsPage(db, { limit: 100 });
      expect(all.map((r) => r.id)).toEqual([s.runs.failed, s.runs.gNew, s.runs.sealedRun, s.runs.spec, s.runs.gOld]);
      expect(all.every((r) => r.stale === false)).toBe(true);
      expect((await listRunsPage(db, { limit: 2 })).map((r) => r.id)).toEqual([s.runs.failed, s.runs.gNew]);
      expect((await listRunsPage(db, { limit: 100, model: 'spec' })).map((r) => r.id)).toEqual([s.runs.failed, s.runs.spec]);
      expect(await listRunsPage(db, { limit: 100, task: 'ocr' })).toEqual([]);
      await sql`update runs set status = 'running', heartbeat_at = now() - interval '10 minutes' where id = ${s.runs.gOld}`.execute(db);
      expect((await listRunsPage(db, { limit: 100 })).find((r) => r.id === s.runs.gOld)?.stale).toBe(true);
      await sql`update runs set status = 'completed', heartbeat_at = null where id = ${s.runs.gOld}`.execute(db);
    });

    it('reads a run with its dataset, and pages its samples by key and status', async () => {
      const db = ts.store.db;
      expect(await findRunWithDataset(db, s.runs.sealedRun)).toEqual({
        id: s.runs.sealedRun,
        task: 'asr',
        model_id: 'gen',
        dataset: 'sealed-set',
        sealed: true,
      });
      expect(await findRunWithDataset(db, crypto.randomUUID())).toBeUndefined();
      const page = await listRunSamples(db, s.runs.gNew, { limit: 2, offset: 1 });
      expect(page.map((r) => [r.sample_key, r.status, r.output_text])).toEqual([
        ['b', 'ok', 'out-b'],
        ['c', 'failed', null],
      ]);
      expect(page[1]?.error).toEqual({ message: 'timeout' });
      expect((await listRunSamples(db, s.runs.gNew, { limit: 100, offset: 0, status: 'failed' })).map((r) => r.sample_key)).toEqual(['c']);
    });
  });
}
