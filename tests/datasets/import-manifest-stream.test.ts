import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { merkleRoot, sha256Hex } from '../../datasets/dataset-digest.js';
import { MerkleBuilder } from '../../datasets/merkle-builder.js';
import { ManifestError, parseManifest } from '../../datasets/parse-manifest.js';
import { isEvalgateError } from '../../gateway/errors.js';
import { findDataset, importDataset, listSamples } from '../../gateway/store/dataset-repo.js';
import { importManifestStream } from '../../gateway/store/import-manifest-stream.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { put, toneWav } from './fixtures.js';

const pgUp = await postgresAvailable();

// Ids whose UTF-8 byte order differs from a locale's order ('Z' < 'a' < 'é' < '中'), so a database sorting
// them by its default collation instead of by bytes would give another Merkle root.
const lines = [
  { id: 'a1', task: 'asr', audio: 'audio/a1.wav', reference: 'hello world', lang: 'en', tags: ['asr/clean'] },
  { id: 'Z9', task: 'asr', audio: 'audio/a2.wav', reference: 'good morning', lang: 'en', tags: ['asr/clean', 'asr/noisy'] },
  { id: 'é-seg', task: 'asr', audio: 'audio/a1.wav', reference: 'hello', start_s: 0.1, end_s: 0.6, tags: [] },
  { id: '中文', task: 'asr', audio: '../outside/a3.wav', reference: '你好', lang: 'zh', duration_s: 0.25 },
  { id: 'o1', task: 'ocr', image: 'img/o1.png', reference: 'EXIT', tags: ['ocr/scene-text'] },
  { id: 'q1', task: 'mcq', image: 'img/o1.png', question: 'What does it say?', choices: ['EXIT', 'ENTER'], answer: 'A', tags: [] },
  { id: 'c1', task: 'cls', audio: 'audio/a2.wav', reference: 'happy', labels: ['happy', 'sad'], duration_s: 0.5 },
  { id: 'c2', task: 'cls', audio: 'audio/a1.wav', reference: 'sad', labels: ['happy', 'sad'], duration_s: 1.5 },
];

async function writeSet(root: string, rows: readonly object[] = lines): Promise<string> {
  const dir = join(root, 'set');
  await put(join(dir, 'audio', 'a1.wav'), toneWav(1.5, 1));
  await put(join(dir, 'audio', 'a2.wav'), toneWav(0.5, 2));
  await put(join(root, 'outside', 'a3.wav'), toneWav(0.25, 3));
  await put(join(dir, 'img', 'o1.png'), Buffer.from('not-a-real-png-but-bytes'));
  const path = join(dir, 'manifest.jsonl');
  await writeFile(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
}

describe('MerkleBuilder', () => {
  it('gives merkleRoot for every leaf count from 0 to 70, with ids in UTF-8 byte order', () => {
    const alphabet = ['a', 'Z', 'é', '中', '0', '-', '😀'];
    for (let n = 0; n <= 70; n++) {
      const leaves = Array.from({ length: n }, (_, i) => ({
        id: `${alphabet[(i * 5) % alphabet.length]}${alphabet[(i * 3) % alphabet.length]}${i}`,
        digest: sha256Hex(`leaf ${i}`),
      }));
      const b = new MerkleBuilder();
      const sorted = [...leaves].sort((x, y) => Buffer.compare(Buffer.from(x.id), Buffer.from(y.id)));
      for (const l of sorted) b.add(l.id, l.digest);
      expect(b.root(), `n=${n}`).toBe(merkleRoot(leaves));
    }
  });

  it('refuses leaves out of order', () => {
    const b = new MerkleBuilder();
    b.add('b', sha256Hex('x'));
    expect(() => b.add('a', sha256Hex('y'))).toThrow(/does not sort after/);
  });
});

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`streaming manifest import on ${backend.name}`, () => {
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
      dir = await mkdtemp(join(tmpdir(), 'eg-stream-'));
      n++;
    });

    it('records what the in-memory import records: digests (v2), Merkle root, rows, durations and scorer options', async () => {
      const path = await writeSet(dir);
      const mediaRoots = [join(dir, 'outside')];
      const old = await importDataset(ts.store.db, await parseManifest(path), { name: `old-${n}`, mediaRoots });
      const streamed = await importManifestStream(ts.store.db, path, { name: `new-${n}`, mediaRoots, batchSize: 3 });
      expect(streamed.digest_version).toBe(2);
      expect(streamed.manifest_digest).toBe(old.manifest_digest);
      expect(streamed.merkle_root).toBe(old.merkle_root);
      expect(streamed.sample_count).toBe(lines.length);
      expect(streamed.sample_count).toBe(old.sample_count);
      expect(streamed.meta).toEqual(old.meta);
      expect(streamed.meta).toMatchObject({ scorer: { cls: { labels: ['happy', 'sad'] } } });
      const strip = (rows: Awaited<ReturnType<typeof listSamples>>): unknown[] =>
        rows.map((r) => ({ ...r, id: undefined, dataset_id: undefined, created_at: undefined }));
      const oldRows = await listSamples(ts.store.db, old.id);
      const newRows = await listSamples(ts.store.db, streamed.id);
      expect(strip(newRows)).toEqual(strip(oldRows));
      // The probed durations came through (ffprobe on the real WAVs), not only the declared ones.
      expect(newRows.find((r) => r.sample_key === 'a1')?.duration_s).toBeCloseTo(1.5, 2);
      expect(newRows.find((r) => r.sample_key === 'é-seg')?.duration_s).toBeCloseTo(0.5, 6);
    });

    it('reports every bad line at once, by file and line, with duplicates across batches, and stores nothing', async () => {
      const rows: string[] = [];
      for (let i = 1; i <= 30; i++) rows.push(JSON.stringify({ id: `s${i}`, task: 'asr', audio: 'audio/a1.wav', reference: 'x' }));
      rows[2] = '{not json';
      rows[4] = JSON.stringify({ id: 's5', task: 'asr', audio: 'audio/a1.wav' });
      rows[9] = JSON.stringify({ id: 's2', task: 'asr', audio: 'audio/a1.wav', reference: 'again' });
      for (let i = 12; i < 30; i++) rows[i] = JSON.stringify({ id: `s${i + 1}`, task: 'nope' });
      const path = await writeSet(dir, []);
      await writeFile(path, `${rows.join('\n')}\n`);
      const err = await importManifestStream(ts.store.db, path, { name: `bad-${n}`, batchSize: 4, probeDurationS: null }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ManifestError);
      const m = err as ManifestError;
      expect(m.file).toBe(path);
      expect(m.line).toBe(3);
      expect(m.detail).toMatch(/^not valid JSON/);
      expect(m.detail).toContain('line 5: reference: required for task asr');
      expect(m.detail).toContain('line 10: id: duplicate id "s2" (first on line 2)');
      expect(m.detail).toContain('line 13: task:');
      // 3 + 18 bad lines: 20 listed, 1 counted.
      expect(m.detail).toContain('1 more not shown');
      expect(await findDataset(ts.store.db, `bad-${n}`)).toBeUndefined();
    });

    it('refuses an empty manifest (or one of blank lines) as a manifest error, not a 0-sample dataset', async () => {
      const path = await writeSet(dir, []);
      for (const text of ['', '\n\n  \n']) {
        await writeFile(path, text);
        const err = await importManifestStream(ts.store.db, path, { name: `empty-${n}`, probeDurationS: null }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ManifestError);
        expect((err as ManifestError).detail).toMatch(/no samples/);
        expect(await findDataset(ts.store.db, `empty-${n}`)).toBeUndefined();
      }
    });

    it('reports missing media for every sample (bounded) and rolls back', async () => {
      const rows = Array.from({ length: 25 }, (_, i) => ({ id: `m${i}`, task: 'asr', audio: `audio/gone-${i % 13}.wav`, reference: 'x' }));
      const path = await writeSet(dir, rows);
      const err = await importManifestStream(ts.store.db, path, { name: `missing-${n}`, batchSize: 7, probeDurationS: null }).catch((e: unknown) => e);
      expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_MEDIA_NOT_FOUND');
      expect((err as Error).message).toContain('25 media file(s) unusable');
      expect((err as Error).message).toContain('sample m0 (line 1)');
      expect((err as Error).message).toContain('and 15 more');
      expect(await findDataset(ts.store.db, `missing-${n}`)).toBeUndefined();
    });

    it('refuses media outside the folder and every --media-root with EVALGATE_ERR_PATH_ESCAPE', async () => {
      const path = await writeSet(dir);
      const err = await importManifestStream(ts.store.db, path, { name: `escape-${n}`, probeDurationS: null }).catch((e: unknown) => e);
      expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_PATH_ESCAPE');
      expect((err as Error).message).toContain('../outside/a3.wav');
      expect(await findDataset(ts.store.db, `escape-${n}`)).toBeUndefined();
    });

    it('refuses a taken name', async () => {
      const path = await writeSet(dir);
      const opts = { name: `taken-${n}`, mediaRoots: [join(dir, 'outside')], probeDurationS: null };
      await importManifestStream(ts.store.db, path, opts);
      const err = await importManifestStream(ts.store.db, path, opts).catch((e: unknown) => e);
      expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_CONFLICT');
    });
  });
}
