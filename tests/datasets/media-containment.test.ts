import { mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createApp } from '../../gateway/server/create-app.js';
import { findBoundSample } from '../../gateway/live/sample-binding.js';
import { findDataset, importDataset } from '../../gateway/store/dataset-repo.js';
import { createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { put, toneWav } from './fixtures.js';

// A symbolic link in a dataset folder must not let anyone read files outside
// it: refused at import, and the media route serves only the file recorded at
// import, only while it is still inside the root and of the same size.

const available = await postgresAvailable();
const secret = '/etc/passwd';

describe.skipIf(!available)('media containment by real path', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let viewer: string;
  let dir: string;
  let outside: string;

  beforeAll(async () => {
    ts = await createPostgresTestStore();
    app = await createApp({ config: configSchema.parse({ logLevel: 'silent' }), store: ts.store });
    viewer = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
    dir = await mkdtemp(join(tmpdir(), 'eg-contain-'));
    outside = await mkdtemp(join(tmpdir(), 'eg-outside-'));
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  async function dataset(name: string, files: Record<string, Buffer>, links: Record<string, string> = {}): Promise<string> {
    const root = join(dir, name);
    for (const [f, data] of Object.entries(files)) await put(join(root, f), data);
    for (const [f, target] of Object.entries(links)) await symlink(target, join(root, f));
    const ids = [...Object.keys(files), ...Object.keys(links)].sort();
    await writeFile(
      join(root, 'manifest.jsonl'),
      ids.map((f) => JSON.stringify({ id: f.replace(/\W/g, '_'), task: 'asr', audio: f, reference: 'x' })).join('\n'),
    );
    return root;
  }

  const get = (url: string): Promise<LightMyRequestResponse> => app.inject({ url, headers: { authorization: `Bearer ${viewer}` } });

  it('refuses at import a link whose real path leaves the dataset root (EVALGATE_ERR_PATH_ESCAPE), and writes nothing', async () => {
    const root = await dataset('evil', { 'a.wav': toneWav(0.1, 1) }, { 'b.wav': secret });
    const manifest = await parseManifest(join(root, 'manifest.jsonl'));
    await expect(importDataset(ts.store.db, manifest, { name: 'evil', probeDurationS: null })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_PATH_ESCAPE',
      message: expect.stringContaining('b.wav') as unknown,
    });
    expect(await findDataset(ts.store.db, 'evil')).toBeUndefined();
    // A link that stays inside the root is fine (many dataset layouts deduplicate files that way).
    const ok = await dataset('inner-link', { 'a.wav': toneWav(0.1, 2) }, { 'b.wav': 'a.wav' });
    await importDataset(ts.store.db, await parseManifest(join(ok, 'manifest.jsonl')), { name: 'inner-link', probeDurationS: null });
    const res = await get('/v1/datasets/inner-link/samples/b_wav/media/0');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(await readFile(join(ok, 'a.wav')));
  });

  it('serves a normal file with its bytes; refuses a file replaced by a link or changed in size after import, leaking nothing', async () => {
    const wav = toneWav(0.2, 3);
    const root = await dataset('swap', { 'a.wav': wav, 'b.wav': toneWav(0.2, 4), 'c.wav': toneWav(0.2, 5) });
    await importDataset(ts.store.db, await parseManifest(join(root, 'manifest.jsonl')), { name: 'swap', probeDurationS: null });

    const ok = await get('/v1/datasets/swap/samples/a_wav/media/0');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('audio/wav');
    expect(ok.rawPayload).toEqual(wav);

    // After import, b.wav becomes a link to the system's password file.
    await unlink(join(root, 'b.wav'));
    await symlink(secret, join(root, 'b.wav'));
    const swapped = await get('/v1/datasets/swap/samples/b_wav/media/0');
    expect(swapped.statusCode).toBe(404);
    expect(swapped.body).not.toContain('root:');
    expect(swapped.body).not.toContain(root);

    // …or a link to a file of exactly the recorded size outside the root: still not the recorded file.
    const sameSize = join(outside, 'same-size.bin');
    await writeFile(sameSize, Buffer.alloc(wav.length, 0x41));
    await unlink(join(root, 'b.wav'));
    await symlink(sameSize, join(root, 'b.wav'));
    const sameSizeRes = await get('/v1/datasets/swap/samples/b_wav/media/0');
    expect(sameSizeRes.statusCode).toBe(404);
    expect(sameSizeRes.body).not.toContain('AAAA');

    // c.wav grows by a byte: refused.
    await writeFile(join(root, 'c.wav'), Buffer.concat([toneWav(0.2, 5), Buffer.from([0])]));
    const grown = await get('/v1/datasets/swap/samples/c_wav/media/0');
    expect(grown.statusCode).toBe(404);
    expect(grown.headers['content-type']).not.toBe('audio/wav');
  });

  it('serves media outside the dataset folder from its recorded real path only: not after a size change, not from another path', async () => {
    const far = await mkdtemp(join(tmpdir(), 'eg-far-'));
    try {
      const a = toneWav(0.2, 7);
      const b = toneWav(0.2, 8);
      const c = toneWav(0.2, 9);
      for (const [f, data] of Object.entries({ 'a.wav': a, 'b.wav': b, 'c.wav': c })) await put(join(far, f), data);
      const root = join(dir, 'outside-media');
      // Absolute paths and ../ paths to a corpus that is not under the manifest's folder.
      await put(
        join(root, 'manifest.jsonl'),
        [
          { id: 'a', task: 'asr', audio: join(far, 'a.wav'), reference: 'x' },
          { id: 'b', task: 'asr', audio: relative(root, join(far, 'b.wav')), reference: 'x' },
          { id: 'c', task: 'asr', audio: join(far, 'c.wav'), reference: 'x' },
        ]
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
      await importDataset(ts.store.db, await parseManifest(join(root, 'manifest.jsonl')), { name: 'outside-media', probeDurationS: null, mediaRoots: [far] });
      const okA = await get('/v1/datasets/outside-media/samples/a/media/0');
      expect([okA.statusCode, okA.rawPayload]).toEqual([200, a]);
      const okB = await get('/v1/datasets/outside-media/samples/b/media/0');
      expect([okB.statusCode, okB.rawPayload]).toEqual([200, b]);

      // a.wav changes size after import: refused.
      await writeFile(join(far, 'a.wav'), Buffer.concat([a, Buffer.from([1, 2])]));
      const grown = await get('/v1/datasets/outside-media/samples/a/media/0');
      expect(grown.statusCode).toBe(404);
      expect(grown.body).not.toContain(far);

      // b.wav is replaced by a link to a file of the same size: another real path, refused.
      await unlink(join(far, 'b.wav'));
      await symlink(join(far, 'c.wav'), join(far, 'b.wav'));
      const swapped = await get('/v1/datasets/outside-media/samples/b/media/0');
      expect(swapped.statusCode).toBe(404);

      // The row's path is pointed at another file of the same size (c.wav): not the recorded file, refused.
      const ds = await findDataset(ts.store.db, 'outside-media');
      await ts.store.db
        .updateTable('samples')
        .set({ media: JSON.stringify([{ kind: 'audio', path: join(far, 'c.wav'), sha256: 'x' }]) })
        .where('dataset_id', '=', ds!.id)
        .where('sample_key', '=', 'a')
        .execute();
      const other = await get('/v1/datasets/outside-media/samples/a/media/0');
      expect(other.statusCode).toBe(404);
      expect(other.rawPayload).not.toEqual(c);
      // c itself is untouched and still served.
      expect((await get('/v1/datasets/outside-media/samples/c/media/0')).rawPayload).toEqual(c);
    } finally {
      await rm(far, { recursive: true, force: true });
    }
  });

  it('serves a link accepted at import with --follow-symlinks from its recorded real path', async () => {
    const target = join(outside, 'linked.wav');
    const wav = toneWav(0.2, 10);
    await writeFile(target, wav);
    const root = await dataset('followed', { 'a.wav': toneWav(0.1, 11) }, { 'b.wav': target });
    await importDataset(ts.store.db, await parseManifest(join(root, 'manifest.jsonl')), { name: 'followed', probeDurationS: null, followSymlinks: true });
    const res = await get('/v1/datasets/followed/samples/b_wav/media/0');
    expect([res.statusCode, res.rawPayload]).toEqual([200, wav]);
    // Live binding takes the recorded file too, and refuses it once it is no longer the one recorded.
    expect((await findBoundSample(ts.store.db, { dataset: 'followed', sample: 'b_wav' })).media[0]).toMatchObject({ path: target, manifestPath: 'b.wav' });
    await writeFile(target, Buffer.concat([wav, Buffer.from([0])]));
    await expect(findBoundSample(ts.store.db, { dataset: 'followed', sample: 'b_wav' })).rejects.toMatchObject({ code: 'EVALGATE_ERR_MEDIA_NOT_FOUND' });
    expect((await get('/v1/datasets/followed/samples/b_wav/media/0')).statusCode).toBe(404);
  });

  it('binds a live sample only to media inside the root: a file swapped for a link out of it is PATH_ESCAPE, named without server paths', async () => {
    const root = await dataset('live-swap', { 'a.wav': toneWav(0.2, 6) });
    await importDataset(ts.store.db, await parseManifest(join(root, 'manifest.jsonl')), { name: 'live-swap', probeDurationS: null });
    const bound = await findBoundSample(ts.store.db, { dataset: 'live-swap', sample: 'a_wav' });
    expect(bound.media[0]).toMatchObject({ kind: 'audio', manifestPath: 'a.wav' });
    await unlink(join(root, 'a.wav'));
    await symlink(secret, join(root, 'a.wav'));
    const err = await findBoundSample(ts.store.db, { dataset: 'live-swap', sample: 'a_wav' }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('EVALGATE_ERR_PATH_ESCAPE');
    expect(err?.message).not.toContain(root);
    expect(err?.message).not.toContain(secret);
  });
});
