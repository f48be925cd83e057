import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { isEvalgateError } from '../../gateway/errors.js';
import {
  checkDatasetMedia,
  datasetStats,
  findDataset,
  importDataset,
  listDatasets,
  listSamples,
  publicDatasetView,
  publicSampleView,
  requireDataset,
  verifyDataset,
} from '../../gateway/store/dataset-repo.js';
import { flipByte } from '../helpers/flip-byte.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { put, toneWav } from './fixtures.js';

const pgUp = await postgresAvailable();

const lines = [
  { id: 'a1', task: 'asr', audio: 'audio/a1.wav', reference: 'hello world', lang: 'en', tags: ['asr/clean'] },
  { id: 'a2', task: 'asr', audio: 'audio/a2.wav', reference: 'good morning', lang: 'en', tags: ['asr/clean', 'asr/noisy'] },
  { id: 'seg', task: 'asr', audio: 'audio/a1.wav', reference: 'hello', start_s: 0.1, end_s: 0.6, tags: [] },
  { id: 'o1', task: 'ocr', image: 'img/o1.png', reference: 'EXIT', tags: ['ocr/scene-text'] },
  { id: 'q1', task: 'mcq', image: 'img/o1.png', question: 'What does it say?', choices: ['EXIT', 'ENTER'], answer: 'A', tags: [] },
];

async function writeSet(dir: string, rows: readonly object[] = lines): Promise<string> {
  await put(join(dir, 'audio', 'a1.wav'), toneWav(1.5, 1));
  await put(join(dir, 'audio', 'a2.wav'), toneWav(0.5, 2));
  await put(join(dir, 'img', 'o1.png'), Buffer.from('not-a-real-png-but-bytes'));
  const path = join(dir, 'manifest.jsonl');
  await writeFile(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`dataset repo on ${backend.name}`, () => {
    let ts: TestStore;
    let dir: string;
    let n = 0;
    beforeAll(async () => {
      ts = await backend.create();
    });
    afterAll(async () => {
      await ts?.dispose();
    });
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'eg-repo-'));
      n++;
    });

    it('imports samples with digests, durations from ffprobe, and counts per task and tag', async () => {
      const manifest = await parseManifest(await writeSet(dir));
      const ds = await importDataset(ts.store.db, manifest, { name: `set-${n}` });
      expect(ds).toMatchObject({ name: `set-${n}`, sample_count: 5, sealed: false, root_dir: dir });
      expect(ds.manifest_digest).toMatch(/^[0-9a-f]{64}$/);
      expect(ds.merkle_root).toMatch(/^[0-9a-f]{64}$/);
      expect((await findDataset(ts.store.db, ds.id))?.name).toBe(`set-${n}`);
      expect((await listDatasets(ts.store.db)).map((d) => d.name)).toContain(`set-${n}`);

      const samples = await listSamples(ts.store.db, ds.id);
      expect(samples.map((s) => s.sample_key)).toEqual(['a1', 'a2', 'o1', 'q1', 'seg']);
      const a1 = samples.find((s) => s.sample_key === 'a1')!;
      expect(a1.reference).toBe('hello world');
      expect(a1.duration_s).toBeCloseTo(1.5, 3);
      expect(a1.media).toEqual([{ kind: 'audio', path: 'audio/a1.wav', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown }]);
      const seg = samples.find((s) => s.sample_key === 'seg')!;
      expect(seg.media[0]).toMatchObject({ start_s: 0.1, end_s: 0.6 });
      expect(seg.duration_s).toBeCloseTo(0.5, 6);
      expect(samples.find((s) => s.sample_key === 'q1')).toMatchObject({ choices: ['EXIT', 'ENTER'], answer: 'A', reference: null });

      const stats = await datasetStats(ts.store.db, ds.id);
      expect(stats).toMatchObject({
        sampleCount: 5,
        tasks: { asr: 3, mcq: 1, ocr: 1 },
        tags: { 'asr/clean': 2, 'asr/noisy': 1, 'ocr/scene-text': 1 },
        langs: { '(none)': 3, en: 2 },
        mediaFiles: 3,
        videoDurationS: 0,
      });
      expect(stats.audioDurationS).toBeCloseTo(1.5 + 0.5 + 0.5, 3);

      // Same content, same digests: a second import under another name agrees.
      const again = await importDataset(ts.store.db, manifest, { name: `set-${n}-b` });
      expect([again.manifest_digest, again.merkle_root]).toEqual([ds.manifest_digest, ds.merkle_root]);
      await expect(importDataset(ts.store.db, manifest, { name: `set-${n}` })).rejects.toMatchObject({ code: 'EVALGATE_ERR_CONFLICT' });
    });

    it('verify passes untouched, then catches one changed media byte, an edited reference and a tampered row', async () => {
      const path = await writeSet(dir);
      const ds = await importDataset(ts.store.db, await parseManifest(path), { name: `v-${n}`, probeDurationS: null });
      expect((await verifyDataset(ts.store.db, ds)).ok).toBe(true);

      const wav = await readFile(join(dir, 'audio', 'a2.wav'));
      flipByte(wav, -7, 0x01);
      await writeFile(join(dir, 'audio', 'a2.wav'), wav);
      const r1 = await verifyDataset(ts.store.db, ds);
      expect(r1.ok).toBe(false);
      expect(r1.changed).toEqual([{ id: 'a2', reasons: ['media audio audio/a2.wav changed'] }]);
      expect(r1.merkleRoot.current).not.toBe(r1.merkleRoot.stored);
      expect(r1.manifestDigest.current).toBe(r1.manifestDigest.stored);

      flipByte(wav, -7, 0x01);
      await writeFile(join(dir, 'audio', 'a2.wav'), wav);
      await writeFile(path, `${lines.map((l) => JSON.stringify(l.id === 'o1' ? { ...l, reference: 'EXIT.' } : l)).join('\n')}\n`);
      const r2 = await verifyDataset(ts.store.db, ds);
      expect(r2.changed).toEqual([{ id: 'o1', reasons: ['reference changed in the manifest'] }]);
      expect(r2.manifestDigest.current).not.toBe(r2.manifestDigest.stored);

      await writeSet(dir);
      await ts.store.db
        .updateTable('samples')
        .set({ reference: JSON.stringify('good evening') })
        .where('dataset_id', '=', ds.id)
        .where('sample_key', '=', 'a2')
        .execute();
      const r3 = await verifyDataset(ts.store.db, ds);
      expect(r3.changed.map((c) => c.id)).toEqual(['a2']);
      expect(r3.changed[0]?.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/edited in the database/), 'reference changed in the manifest']));

      await rm(join(dir, 'img', 'o1.png'));
      expect((await checkDatasetMedia(ts.store.db, ds)).map((p) => [p.id, p.problem])).toEqual([
        ['o1', 'missing'],
        ['q1', 'missing'],
      ]);
    });

    it('refuses to import when media is missing, naming every sample and line', async () => {
      const path = await writeSet(dir);
      await rm(join(dir, 'audio', 'a1.wav'));
      const err = await importDataset(ts.store.db, await parseManifest(path), { name: `m-${n}`, probeDurationS: null }).catch((e: unknown) => e);
      expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_MEDIA_NOT_FOUND');
      expect((err as Error).message).toMatch(/2 media file\(s\) unusable: sample a1 \(line 1\): audio\/a1\.wav missing.*sample seg \(line 3\)/);
      expect(await findDataset(ts.store.db, `m-${n}`)).toBeUndefined();
    });

    it('sealed datasets keep references server-side and hide them from non-admin views', async () => {
      const ds = await importDataset(ts.store.db, await parseManifest(await writeSet(dir)), { name: `s-${n}`, sealed: true, probeDurationS: null });
      const [o1, q1] = await listSamples(ts.store.db, ds.id, { keys: ['o1', 'q1'] });
      expect(o1!.reference).toBe('EXIT');
      const pub = publicSampleView(o1!, { sealed: ds.sealed, isAdmin: false });
      expect(pub).not.toHaveProperty('reference');
      expect(JSON.stringify(publicSampleView(q1!, { sealed: true, isAdmin: false }))).not.toMatch(/"answer"/);
      expect(publicSampleView(o1!, { sealed: true, isAdmin: true }).reference).toBe('EXIT');
      expect(publicSampleView(o1!, { sealed: false, isAdmin: false }).reference).toBe('EXIT');
      expect(Object.keys(publicDatasetView(ds, { isAdmin: false })).sort()).toEqual([
        'createdAt',
        'digestVersion',
        'id',
        'manifestDigest',
        'merkleRoot',
        'name',
        'sampleCount',
        'sealed',
      ]);
      expect(publicDatasetView(ds, { isAdmin: true }).rootDir).toBe(dir);
      // The digest version is public with the digests: without it nobody could recompute them.
      expect(publicDatasetView(ds, { isAdmin: false }).digestVersion).toBe(2);
      await expect(requireDataset(ts.store.db, 'nope')).rejects.toMatchObject({ code: 'EVALGATE_ERR_NOT_FOUND' });
    });
  });
}
