import { mkdtemp, readFile, realpath, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { merkleRoot, sampleDigest } from '../../datasets/dataset-digest.js';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { prepareDataset } from '../../datasets/prepare-dataset.js';
import { verifySamples } from '../../datasets/verify-dataset.js';
import { importDataset, listSamples, requireDataset, verifyDataset } from '../../gateway/store/dataset-repo.js';
import { relocateDataset } from '../../gateway/store/relocate-dataset.js';
import { migrations } from '../../migrations/index.js';
import { flipByte } from '../helpers/flip-byte.js';
import { createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { put, toneWav } from './fixtures.js';

// A corpus that moves or changes after import: verify tells moved, missing
// and changed files apart; relocate points the dataset at the new place only
// when every file there is the imported one.

const available = await postgresAvailable();

describe.skipIf(!available)('verify and relocate after a corpus moves', () => {
  let ts: TestStore;
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    ts = await createPostgresTestStore();
  });
  afterAll(async () => {
    await ts?.dispose();
  });
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'eg-reloc-')));
  });

  /** A corpus at dir/old/corpus, a manifest beside it by ../ path and one elsewhere by absolute path; imported. */
  async function corpus() {
    const files = { 'a.wav': toneWav(0.1, 1), 'b.wav': toneWav(0.1, 2), 'c.wav': toneWav(0.1, 3) };
    for (const [f, data] of Object.entries(files)) await put(join(dir, 'old', 'corpus', f), data);
    await put(
      join(dir, 'manifests', 'm.jsonl'),
      Object.keys(files)
        .map((f) => JSON.stringify({ id: f.slice(0, 1), task: 'asr', audio: join(dir, 'old', 'corpus', f), reference: f }))
        .join('\n'),
    );
    const name = `reloc-${n++}`;
    const ds = await importDataset(ts.store.db, await parseManifest(join(dir, 'manifests', 'm.jsonl')), { name, probeDurationS: null, mediaRoots: [dir] });
    return { name, ds, files };
  }

  it('after a move verify reports the files missing; relocate records the new place and verify is clean again', async () => {
    const { name, ds } = await corpus();
    expect((await verifyDataset(ts.store.db, ds)).ok).toBe(true);
    await rename(join(dir, 'old'), join(dir, 'new'));

    const after = await verifyDataset(ts.store.db, await requireDataset(ts.store.db, name));
    expect(after.ok).toBe(false);
    expect(after.files.missing.map((f) => [f.path, f.samples])).toEqual([
      [join(dir, 'old', 'corpus', 'a.wav'), ['a']],
      [join(dir, 'old', 'corpus', 'b.wav'), ['b']],
      [join(dir, 'old', 'corpus', 'c.wav'), ['c']],
    ]);
    expect([after.files.moved, after.files.changed]).toEqual([[], []]);

    const r = await relocateDataset(ts.store.db, await requireDataset(ts.store.db, name), { from: join(dir, 'old'), to: join(dir, 'new') });
    expect(r).toMatchObject({ relocated: true, filesChecked: 3, samplesUpdated: 3, problems: [] });
    const moved = await requireDataset(ts.store.db, name);
    // The digests describe content, so they stay as imported.
    expect([moved.merkle_root, moved.manifest_digest]).toEqual([ds.merkle_root, ds.manifest_digest]);
    const rows = await listSamples(ts.store.db, ds.id);
    expect(rows.map((s) => [s.media[0]!.path, s.media_files[0]!.realPath])).toEqual(
      ['a', 'b', 'c'].map((f) => [join(dir, 'new', 'corpus', `${f}.wav`), join(dir, 'new', 'corpus', `${f}.wav`)]),
    );
    // The manifest still names the old place; verify reads it through the recorded move.
    const clean = await verifyDataset(ts.store.db, moved);
    expect(clean.files).toEqual({ moved: [], missing: [], changed: [] });
    expect(clean.changed).toEqual([]);
    expect(clean.merkleRoot.current).toBe(ds.merkle_root);
    expect(clean.ok).toBe(true);
  });

  it('relocate refuses, changing nothing, when a file at the new place differs; verify reports it changed', async () => {
    const { name, ds } = await corpus();
    await rename(join(dir, 'old'), join(dir, 'new'));
    const b = join(dir, 'new', 'corpus', 'b.wav');
    const bytes = await readFile(b);
    flipByte(bytes, 100, 0xff);
    await writeFile(b, bytes);

    const before = await listSamples(ts.store.db, ds.id);
    const r = await relocateDataset(ts.store.db, ds, { from: join(dir, 'old'), to: join(dir, 'new') });
    expect(r.relocated).toBe(false);
    expect(r.problems).toEqual([{ path: join(dir, 'old', 'corpus', 'b.wav'), newPath: b, problem: 'changed', sample: 'b' }]);
    expect(await listSamples(ts.store.db, ds.id)).toEqual(before);
    expect((await requireDataset(ts.store.db, name)).meta).toEqual(ds.meta);

    // A missing file at the new place is refused the same way.
    const nowhere = await relocateDataset(ts.store.db, ds, { from: join(dir, 'old'), to: join(dir, 'elsewhere') });
    expect([nowhere.relocated, nowhere.problems.map((p) => p.problem)]).toEqual([false, ['missing', 'missing', 'missing']]);
    // Nothing recorded under the prefix is an error, not a silent success.
    await expect(relocateDataset(ts.store.db, ds, { from: join(dir, 'unrelated'), to: join(dir, 'new') })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_BAD_INPUT',
    });

    // Put the corpus back where it was recorded: verify reports b.wav changed (content), not missing.
    await rename(join(dir, 'new'), join(dir, 'old'));
    const v = await verifyDataset(ts.store.db, ds);
    expect(v.ok).toBe(false);
    expect(v.files.changed.map((f) => [f.path, f.samples])).toEqual([[join(dir, 'old', 'corpus', 'b.wav'), ['b']]]);
    expect([v.files.missing, v.files.moved]).toEqual([[], []]);
    expect(v.changed).toEqual([{ id: 'b', reasons: [`media audio ${join(dir, 'old', 'corpus', 'b.wav')} changed`] }]);
  });

  it('verify reports a file reached at another real path with the same content as moved', async () => {
    const { name, ds } = await corpus();
    // The corpus moved and a link at the old place points at it: same bytes, another real path.
    await rename(join(dir, 'old'), join(dir, 'new'));
    await symlink(join(dir, 'new'), join(dir, 'old'));
    const v = await verifyDataset(ts.store.db, await requireDataset(ts.store.db, name));
    expect(v.ok).toBe(false);
    expect(v.files.moved.map((f) => [f.recordedRealPath, f.realPath])).toEqual(
      ['a', 'b', 'c'].map((f) => [join(dir, 'old', 'corpus', `${f}.wav`), join(dir, 'new', 'corpus', `${f}.wav`)]),
    );
    expect([v.files.missing, v.files.changed, v.changed]).toEqual([[], [], []]);
    const r = await relocateDataset(ts.store.db, ds, { from: join(dir, 'old'), to: join(dir, 'new') });
    expect(r.relocated).toBe(true);
    expect((await verifyDataset(ts.store.db, await requireDataset(ts.store.db, name))).ok).toBe(true);
  });

  it('a manifest that moves with its corpus (relative paths) relocates with it', async () => {
    await put(join(dir, 'old', 'set', 'audio', 'a.wav'), toneWav(0.1, 4));
    await put(join(dir, 'old', 'set', 'm.jsonl'), JSON.stringify({ id: 'a', task: 'asr', audio: 'audio/a.wav', reference: 'x' }));
    const ds = await importDataset(ts.store.db, await parseManifest(join(dir, 'old', 'set', 'm.jsonl')), {
      name: `reloc-${n++}`,
      probeDurationS: null,
      mediaRoots: [dir],
    });
    await rename(join(dir, 'old'), join(dir, 'new'));
    const r = await relocateDataset(ts.store.db, ds, { from: join(dir, 'old'), to: join(dir, 'new') });
    expect(r).toMatchObject({ relocated: true, rootDir: join(dir, 'new', 'set'), manifestPath: join(dir, 'new', 'set', 'm.jsonl') });
    const moved = await requireDataset(ts.store.db, ds.id);
    expect((await listSamples(ts.store.db, ds.id))[0]!.media[0]!.path).toBe('audio/a.wav');
    const v = await verifyDataset(ts.store.db, moved);
    expect([v.ok, v.manifestDigest.current, v.changed]).toEqual([true, ds.manifest_digest, []]);
  });
});

describe('digest versions', () => {
  it('version 2 leaves media paths out; version 1 (recorded before versions) still verifies by its own definition', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'eg-digest-v-')));
    await put(join(dir, 'a.wav'), toneWav(0.1, 5));
    await put(join(dir, 'm.jsonl'), JSON.stringify({ id: 'a', task: 'asr', audio: 'a.wav', reference: 'x' }));
    const manifest = await parseManifest(join(dir, 'm.jsonl'));
    const v1 = await prepareDataset(manifest, { digestVersion: 1 });
    const v2 = await prepareDataset(manifest);
    expect([v1.digestVersion, v2.digestVersion]).toEqual([1, 2]);
    expect(v1.merkleRoot).not.toBe(v2.merkleRoot);
    const media = v2.samples[0]!.media;
    const input = { id: 'a', task: 'asr', reference: 'x', tags: [] };
    expect(v1.samples[0]!.digest).toBe(sampleDigest({ ...input, media }));
    expect(v2.samples[0]!.digest).toBe(sampleDigest({ ...input, media }, 2));
    expect(sampleDigest({ ...input, media: media.map((m) => ({ ...m, path: '/anywhere/else.wav' })) }, 2)).toBe(v2.samples[0]!.digest);
    expect(v2.merkleRoot).toBe(merkleRoot([{ id: 'a', digest: v2.samples[0]!.digest }]));

    const stored = (p: typeof v1) => ({
      root: dir,
      manifestPath: manifest.path,
      manifestDigest: p.manifestDigest,
      merkleRoot: p.merkleRoot,
      samples: p.samples.map((s) => ({ ...s.sample, media: s.media, files: s.files, digest: s.digest })),
    });
    // Each dataset verifies under the version it recorded (1 is the default for rows from before versions)…
    expect((await verifySamples(stored(v1))).ok).toBe(true);
    expect((await verifySamples({ ...stored(v2), digestVersion: 2 })).ok).toBe(true);
    // …and not under the other one.
    const crossed = await verifySamples({ ...stored(v1), digestVersion: 2 });
    expect(crossed.ok).toBe(false);
    expect(crossed.changed[0]?.reasons).toContain('stored row no longer matches its digest (edited in the database)');
  });
});

describe.skipIf(!available)('migration 20261205010000_dataset_digest_version', () => {
  it('marks datasets from before it as version 1; going down refuses while a version-2 dataset exists', async () => {
    const ts = await createPostgresTestStore();
    try {
      const { db } = ts.store;
      const dir = await realpath(await mkdtemp(join(tmpdir(), 'eg-digest-mig-')));
      await put(join(dir, 'a.wav'), toneWav(0.1, 6));
      await put(join(dir, 'm.jsonl'), JSON.stringify({ id: 'a', task: 'asr', audio: 'a.wav', reference: 'x' }));
      const v2 = await importDataset(db, await parseManifest(join(dir, 'm.jsonl')), { name: 'v2', probeDurationS: null, mediaRoots: [dir] });
      const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
      const refused = await migrator.migrateTo('20261204210000_sample_human_answers');
      expect(String(refused.error)).toContain('1 dataset(s) use digest version 2 (v2)');
      expect((await requireDataset(db, 'v2')).digest_version).toBe(2);

      await db.deleteFrom('samples').where('dataset_id', '=', v2.id).execute();
      await db.deleteFrom('datasets').where('id', '=', v2.id).execute();
      const down = await migrator.migrateTo('20261204210000_sample_human_answers');
      expect(down.error).toBeUndefined();
      // Every later migration goes down first (the arena tables), then this one.
      expect(down.results?.map((r) => [r.migrationName, r.direction])).toEqual(
        Object.keys(migrations)
          .filter((m) => m > '20261204210000_sample_human_answers')
          .sort()
          .reverse()
          .map((m) => [m, 'Down']),
      );
      // A dataset recorded before the migration…
      await sql`insert into datasets (name, manifest_digest, merkle_root) values ('old', 'd', 'r')`.execute(db);
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      // …is version 1 after it.
      expect((await requireDataset(db, 'old')).digest_version).toBe(1);
    } finally {
      await ts.dispose();
    }
  });
});
