import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { seedDataset } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * A dataset's media files are whatever its manifest named: a file listed as
 * an image can be HTML with script in it. Every reply of the media route,
 * by key or by signed link, success or refusal, tells the browser not to
 * sniff another type (`nosniff`) and to open it, if it is opened as a page,
 * in a script-less opaque origin (`sandbox`).
 */
describe('media responses carry nosniff and a sandbox policy', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let viewer = '';
  const hostile = '<html><script>fetch("/v1/runs")</script></html>';

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const root = await mkdtemp(join(tmpdir(), 'evalgate-media-headers-'));
    // HTML under an image name and under a name with no known type.
    await writeFile(join(root, 'page.png'), hostile);
    await writeFile(join(root, 'page.bin'), hostile);
    await writeFile(join(root, 'sealed.wav'), 'RIFF-sealed');
    for (const sealed of [false, true]) {
      const { datasetId } = await seedDataset(db, sealed ? 'sealed-set' : 'open-set', [{ key: 'a', task: 'asr', reference: 'x' }], {
        rootDir: root,
        media: () =>
          sealed
            ? [{ kind: 'audio', path: 'sealed.wav', sha256: 'x' }]
            : [
                { kind: 'image', path: 'page.png', sha256: 'x' },
                { kind: 'image', path: 'page.bin', sha256: 'x' },
                { kind: 'image', path: 'gone.png', sha256: 'x' },
              ],
      });
      await db.updateTable('datasets').set({ sealed }).where('id', '=', datasetId).execute();
    }
    viewer = (await createApiKey(db, { scopes: ['viewer'] })).key;
    app = await createApp({ config: configSchema.parse({ server: { auth: true } }), store: ts.store });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  const expectHardened = (res: LightMyRequestResponse, status: number): void => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe('sandbox');
  };

  it('on files served by bearer key, whatever their type', async () => {
    const png = await app.inject({ url: '/v1/datasets/open-set/samples/a/media/0', headers: { authorization: `Bearer ${viewer}` } });
    expectHardened(png, 200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.body).toBe(hostile);
    const bin = await app.inject({ url: '/v1/datasets/open-set/samples/a/media/1', headers: { authorization: `Bearer ${viewer}` } });
    expectHardened(bin, 200);
    expect(bin.headers['content-type']).toBe('application/octet-stream');
  });

  it('on files served by signed link', async () => {
    const link = app.mediaUrls.sign({ dataset: 'open-set', sample: 'a', index: 0 }, 'viewer').url;
    const res = await app.inject({ url: link });
    expectHardened(res, 200);
    expect(res.body).toBe(hostile);
  });

  it('on refusals: missing file, sealed media below admin, tampered link', async () => {
    expectHardened(await app.inject({ url: '/v1/datasets/open-set/samples/a/media/2', headers: { authorization: `Bearer ${viewer}` } }), 404);
    expectHardened(await app.inject({ url: '/v1/datasets/sealed-set/samples/a/media/0', headers: { authorization: `Bearer ${viewer}` } }), 403);
    const link = app.mediaUrls.sign({ dataset: 'open-set', sample: 'a', index: 0 }, 'viewer').url;
    expectHardened(await app.inject({ url: link.replace('/media/0', '/media/1') }), 401);
  });

  it('leaves other routes alone (the report keeps its own policy)', async () => {
    const res = await app.inject({ url: '/healthz' });
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
