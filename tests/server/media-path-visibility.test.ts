import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { publicMediaPath } from '../../gateway/server/auth/public-media-path.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * A manifest may name media by absolute or `../` paths (in-place corpora,
 * `--media-root`), and the recorded path is what it named. Only admin keys
 * may see such server paths; every other caller gets the path relative to the
 * dataset root, or the file name, beside the signed `url` that fetches it.
 */

describe('publicMediaPath', () => {
  it('keeps paths inside the root, makes absolute ones relative, and cuts the rest to a file name', () => {
    expect(publicMediaPath('clips/a.wav', '/data/corpus')).toBe('clips/a.wav');
    expect(publicMediaPath('/data/corpus/clips/a.wav', '/data/corpus')).toBe('clips/a.wav');
    expect(publicMediaPath('clips/../b.wav', '/data/corpus')).toBe('b.wav');
    expect(publicMediaPath('/home/alice/secret/a.wav', '/data/corpus')).toBe('a.wav');
    expect(publicMediaPath('../../home/alice/a.wav', '/data/corpus')).toBe('a.wav');
    expect(publicMediaPath('/data/corpus-old/a.wav', '/data/corpus')).toBe('a.wav');
    expect(publicMediaPath('/data/corpus/a.wav', null)).toBe('a.wav');
    expect(publicMediaPath('C:\\Users\\alice\\a.wav', '/data/corpus')).toBe('a.wav');
    expect(publicMediaPath('\\\\host\\share\\a.wav', '/data/corpus')).toBe('a.wav');
  });
});

describe('sample media paths in responses: server paths for admin keys only', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let base = '';
  let root = '';
  let outside = '';
  const keys = new Map<ApiKeyScope, string>();
  const runs: string[] = [];
  const sampleKeys = ['a', 'b', 'c'];
  // What each sample's media list records, and what a non-admin caller must see instead.
  const recorded = (k: string): { kind: string; path: string; sha256: string }[] => [
    { kind: 'audio', path: join(root, 'clips', `${k}.wav`), sha256: 'x' },
    { kind: 'image', path: join(outside, 'pics', `${k}.png`), sha256: 'x' },
    { kind: 'image', path: `covers/${k}.jpg`, sha256: 'x' },
    { kind: 'image', path: `../elsewhere/pics/${k}.webp`, sha256: 'x' },
  ];
  const shown = (k: string): string[] => [`clips/${k}.wav`, `${k}.png`, `covers/${k}.jpg`, `${k}.webp`];

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'evalgate-paths-'));
    root = join(base, 'corpus');
    outside = join(base, 'elsewhere');
    await mkdir(join(root, 'clips'), { recursive: true });
    for (const k of sampleKeys) await writeFile(join(root, 'clips', `${k}.wav`), 'RIFF');
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const { datasetId, ids } = await seedDataset(
      db,
      'in-place',
      sampleKeys.map((key) => ({ key, task: 'asr' as const, reference: 'one two three' })),
      { rootDir: root, media: recorded },
    );
    // Two runs that disagree on every sample, so comparisons list disagreement rows with their media.
    for (const [model, text] of [
      ['m1', 'one two three'],
      ['m2', 'one two'],
    ] as const) {
      runs.push(
        await seedRun(db, { model, kind: 'generalist', datasetId, ids, task: 'asr', predictions: sampleKeys.map((key) => ({ key, text, latencyMs: 10 })) }),
      );
    }
    for (const scope of ['viewer', 'evaluator', 'admin'] as const) keys.set(scope, (await createApiKey(db, { scopes: [scope] })).key);
    app = await createApp({ config: configSchema.parse({ server: { auth: true } }), store: ts.store });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  const get = async (scope: ApiKeyScope, url: string): Promise<string> => {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${keys.get(scope)}` } });
    expect(res.statusCode, `${url} as ${scope}: ${res.body.slice(0, 300)}`).toBe(200);
    return res.body;
  };
  type Sample = { sample_key: string; media: { path: string; url?: string }[] };

  for (const scope of ['viewer', 'evaluator'] as const) {
    it(`${scope}: /v1/runs/:id/samples shows dataset-relative paths or file names, with the signed url`, async () => {
      const body = await get(scope, `/v1/runs/${runs[0]}/samples`);
      // No server folder anywhere in the document, not only under media[].path.
      expect(body).not.toContain(base);
      const samples = (JSON.parse(body) as { samples: Sample[] }).samples;
      expect(samples.map((s) => s.sample_key).sort()).toEqual(sampleKeys);
      for (const s of samples) {
        expect(s.media.map((m) => m.path)).toEqual(shown(s.sample_key));
        for (const m of s.media) {
          expect(m.path.startsWith('/')).toBe(false);
          expect(m.url).toMatch(/^\/v1\/datasets\/in-place\/samples\/[abc]\/media\/\d\?expires=/);
        }
      }
      // The signed url still opens the file.
      const clip = samples.find((s) => s.sample_key === 'a')!.media[0]!;
      const file = await app.inject({ url: clip.url! });
      expect(file.statusCode).toBe(200);
      expect(file.body).toBe('RIFF');
    });

    it(`${scope}: /v1/compare and /v1/report name no server path`, async () => {
      const compare = await get(scope, `/v1/compare?runs=${runs.join(',')}&samples=10&iterations=20`);
      expect(compare).not.toContain(base);
      const c = JSON.parse(compare) as { disagreements: { sampleKey: string; media: string[] }[] };
      expect(c.disagreements.length).toBe(sampleKeys.length);
      for (const d of c.disagreements) expect(d.media).toEqual(shown(d.sampleKey));
      const report = await get(scope, `/v1/report?runs=${runs.join(',')}&samples=10&iterations=20`);
      expect(report).not.toContain(base);
      // The evaluator's report lists the disagreement rows (open dataset), with the same relative paths.
      if (scope === 'evaluator') expect(report).toContain('clips/a.wav');
    });
  }

  it('admin keeps the recorded server paths everywhere', async () => {
    const samples = (JSON.parse(await get('admin', `/v1/runs/${runs[0]}/samples`)) as { samples: Sample[] }).samples;
    for (const s of samples) expect(s.media.map((m) => m.path)).toEqual(recorded(s.sample_key).map((m) => m.path));
    const c = JSON.parse(await get('admin', `/v1/compare?runs=${runs.join(',')}&samples=10&iterations=20`)) as { disagreements: { media: string[] }[] };
    expect(c.disagreements.flatMap((d) => d.media)).toContain(join(root, 'clips', 'a.wav'));
    expect(await get('admin', `/v1/report?runs=${runs.join(',')}&samples=10&iterations=20`)).toContain(join(outside, 'pics', 'b.png'));
  });
});
