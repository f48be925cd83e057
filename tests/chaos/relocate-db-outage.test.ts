import { mkdtemp, realpath, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../datasets/parse-manifest.js';
import registerDatasets from '../../gateway/cli/commands/datasets.js';
import { isEvalgateError } from '../../gateway/errors.js';
import { importDataset, requireDataset } from '../../gateway/store/dataset-repo.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { relocateDataset } from '../../gateway/store/relocate-dataset.js';
import { put, toneWav } from '../datasets/fixtures.js';
import { runCommandInProcess } from '../helpers/run-cli.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Review finding: `datasets relocate` on a PostgreSQL that goes away mid-move, on a server of the test's own
// (never the shared one). The move either completes once the database is back, or fails with
// EVALGATE_ERR_DB_UNAVAILABLE; the recorded paths are all old or all new, never some of each.
describe('datasets relocate and a PostgreSQL outage (private PostgreSQL)', () => {
  let db: PrivatePostgres;
  let store: Store;
  let n = 0;
  // More samples than one UPDATE chunk (2000), so that the outage can come after some rows were written.
  const samples = 4500;

  beforeAll(async () => {
    db = await startPrivatePostgres();
    store = await openStore({ url: db.url });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.dispose();
  });

  /** A corpus of `samples` one-file samples under <dir>/old, imported, then moved to <dir>/new on disk. */
  async function movedCorpus(): Promise<{ name: string; dir: string; lastKey: string }> {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'eg-reloc-chaos-')));
    const lines: string[] = [];
    for (let k = 0; k < samples; k++) {
      const file = join(dir, 'old', `${k}.wav`);
      await put(file, toneWav(0.005, k));
      lines.push(JSON.stringify({ id: `s${String(k).padStart(5, '0')}`, task: 'asr', audio: file, reference: 'x' }));
    }
    await writeFile(join(dir, 'm.jsonl'), lines.join('\n'));
    const name = `reloc-chaos-${n++}`;
    await importDataset(store.db, await parseManifest(join(dir, 'm.jsonl')), { name, probeDurationS: null, mediaRoots: [dir] });
    await rename(join(dir, 'old'), join(dir, 'new'));
    return { name, dir, lastKey: `s${String(samples - 1).padStart(5, '0')}` };
  }

  /** Where the dataset's recorded paths are, read on a fresh connection. */
  async function recorded(name: string, dir: string) {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ old: string; new: string; total: string; relocations: string }>(
        `select count(*) filter (where s.media->0->>'path' like $2 || '/old/%' and s.media_files->0->>'realPath' like $2 || '/old/%') as old,
                count(*) filter (where s.media->0->>'path' like $2 || '/new/%' and s.media_files->0->>'realPath' like $2 || '/new/%') as new,
                count(*) as total,
                jsonb_array_length(coalesce(d.meta->'relocations', '[]'::jsonb)) as relocations
           from samples s join datasets d on d.id = s.dataset_id where d.name = $1 group by d.meta`,
        [name, dir],
      );
      const r = rows[0]!;
      return { old: Number(r.old), new: Number(r.new), total: Number(r.total), relocations: Number(r.relocations) };
    } finally {
      await c.end();
    }
  }

  /**
   * Holds a row lock on the dataset's last sample, so the move's transaction writes the earlier chunks and then
   * waits on its last chunk; resolves once it waits there. The lock's connection dies with the server.
   */
  async function blockLastChunk(name: string, lastKey: string): Promise<pg.Client> {
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('begin');
    await holder.query('select 1 from samples s join datasets d on d.id = s.dataset_id where d.name = $1 and s.sample_key = $2 for update of s', [
      name,
      lastKey,
    ]);
    return holder;
  }
  async function waitUntilUpdateWaits(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const { rows } = await c.query<{ n: string }>(
        "select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%update samples as s%'",
      );
      await c.end();
      if (Number(rows[0]!.n) > 0) return;
      if (Date.now() > deadline) throw new Error('the move never reached its last chunk');
      await sleep(25);
    }
  }

  it('an outage after some rows were written: the move is retried and completes once the database is back (the CLI command)', async () => {
    const { name, dir, lastKey } = await movedCorpus();
    const holder = await blockLastChunk(name, lastKey);
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    try {
      const cli = runCommandInProcess(registerDatasets, ['datasets', 'relocate', name, '--from', join(dir, 'old'), '--to', join(dir, 'new'), '--json']);
      await waitUntilUpdateWaits();
      // 4000 rows are updated inside the open transaction now; the server goes away.
      await db.stop();
      await sleep(1500);
      await db.start();
      const out = await cli;
      expect(out.exitCode ?? 0).toBe(0);
      const result = JSON.parse(out.stdout) as { relocated: boolean; samplesUpdated: number };
      expect(result).toMatchObject({ relocated: true, samplesUpdated: samples });
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
      await holder.end().catch(() => undefined);
    }
    // Every path moved, once; the move recorded once (not twice by the retry).
    expect(await recorded(name, dir)).toEqual({ old: 0, new: samples, total: samples, relocations: 1 });
  }, 120_000);

  it('an outage longer than dbOutageMaxMs: EVALGATE_ERR_DB_UNAVAILABLE, every path still old; the same move later succeeds', async () => {
    const { name, dir, lastKey } = await movedCorpus();
    const ds = await requireDataset(store.db, name);
    const holder = await blockLastChunk(name, lastKey);
    const move = relocateDataset(store.db, ds, { from: join(dir, 'old'), to: join(dir, 'new'), dbOutageMaxMs: 1500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    let err: unknown;
    try {
      await waitUntilUpdateWaits();
      await db.stop();
      err = await move;
    } finally {
      await db.start();
      await holder.end().catch(() => undefined);
    }
    expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_DB_UNAVAILABLE');
    expect((err as Error).message).toMatch(/recording the move of dataset reloc-chaos-\d+/);
    expect((err as Error).message).toMatch(/one transaction.*run the same command again/);
    // The 4000 rows written before the outage were rolled back with the transaction.
    expect(await recorded(name, dir)).toEqual({ old: samples, new: 0, total: samples, relocations: 0 });

    const again = await relocateDataset(store.db, await requireDataset(store.db, name), { from: join(dir, 'old'), to: join(dir, 'new') });
    expect(again).toMatchObject({ relocated: true, samplesUpdated: samples });
    expect(await recorded(name, dir)).toEqual({ old: 0, new: samples, total: samples, relocations: 1 });
  }, 120_000);
});
