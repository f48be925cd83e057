import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createMediaUrlSigner, defaultMediaUrlTtlMs } from '../../gateway/server/auth/media-url-signer.js';
import { redactUrl } from '../../gateway/server/auth/redact-secrets.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * Signed media links (docs/security.md, "Signed media links"): what the web
 * page's `<img>` and `<audio>` use, since they cannot send a bearer key.
 */
describe('signed media links', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let nowMs = Date.parse('2026-12-05T00:00:00Z');
  const keys = new Map<ApiKeyScope, string>();
  const runs: Record<'open' | 'sealed', string> = { open: '', sealed: '' };
  const bytes = { open: 'RIFF-open-a', open2: 'RIFF-open-b', sealed: 'RIFF-sealed' };

  type Sample = { sample_key: string; media: { kind: string; path: string; url?: string; urlExpiresAt?: string }[]; scores?: Record<string, number> };
  const samplesAs = async (scope: ApiKeyScope, run: string): Promise<Sample[]> => {
    const res = await app.inject({ url: `/v1/runs/${run}/samples`, headers: { authorization: `Bearer ${keys.get(scope)}` } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { samples: Sample[] }).samples;
  };
  const urlOf = async (scope: ApiKeyScope, run: string, key: string): Promise<string> => {
    const url = (await samplesAs(scope, run)).find((s) => s.sample_key === key)?.media[0]?.url;
    expect(url, `a signed url for ${key} as ${scope}`).toBeTypeOf('string');
    return url!;
  };
  const get = async (url: string, key?: string) => app.inject({ url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const root = await mkdtemp(join(tmpdir(), 'evalgate-signed-'));
    for (const [name, body] of Object.entries(bytes)) await writeFile(join(root, `${name}.wav`), body);
    for (const kind of ['open', 'sealed'] as const) {
      const sampleKeys = kind === 'open' ? ['a', 'b'] : ['s'];
      const file = (key: string): string => (kind === 'sealed' ? 'sealed.wav' : key === 'a' ? 'open.wav' : 'open2.wav');
      const { datasetId, ids } = await seedDataset(
        db,
        `${kind}-media`,
        sampleKeys.map((key) => ({ key, task: 'asr' as const, reference: 'hello' })),
        { rootDir: root, media: (key) => [{ kind: 'audio', path: file(key), sha256: 'x' }] },
      );
      await db
        .updateTable('datasets')
        .set({ sealed: kind === 'sealed' })
        .where('id', '=', datasetId)
        .execute();
      runs[kind] = await seedRun(db, {
        model: `m-${kind}`,
        kind: 'specialist',
        datasetId,
        ids,
        task: 'asr',
        predictions: sampleKeys.map((key) => ({ key, text: 'hello' })),
      });
      const predictions = await db.selectFrom('predictions').select('id').where('run_id', '=', runs[kind]).execute();
      for (const p of predictions) await db.insertInto('scores').values({ prediction_id: p.id, metric: 'wer', value: 0.25, details: null }).execute();
    }
    for (const scope of ['viewer', 'submitter', 'evaluator', 'admin'] as const) keys.set(scope, (await createApiKey(db, { scopes: [scope] })).key);
    app = await createApp({
      config: configSchema.parse({ server: { auth: true } }),
      store: ts.store,
      mediaUrls: createMediaUrlSigner({ now: () => nowMs }),
    });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('lists a link that fetches the file without any header, and the plain path still needs a key', async () => {
    const url = await urlOf('viewer', runs.open, 'a');
    expect(url).toMatch(/^\/v1\/datasets\/open-media\/samples\/a\/media\/0\?expires=\d+&scope=viewer&sig=[\w-]+$/);
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.body).toBe(bytes.open);
    expect((await get(url.split('?')[0]!)).statusCode).toBe(401);
    // The signature is a secret query parameter: the logged request line never carries it.
    const sig = new URL(url, 'http://x').searchParams.get('sig')!;
    expect(redactUrl(url)).not.toContain(sig);
    expect(redactUrl(url)).toContain('scope=viewer');
  });

  it('expires after its lifetime', async () => {
    const url = await urlOf('viewer', runs.open, 'a');
    const start = nowMs;
    try {
      nowMs = start + defaultMediaUrlTtlMs - 2000;
      expect((await get(url)).statusCode).toBe(200);
      nowMs = start + defaultMediaUrlTtlMs + 1000;
      const late = await get(url);
      expect(late.statusCode).toBe(401);
      // Its own code and words, so a client knows to ask for fresh links rather than for another key.
      expect(late.json().error.code).toBe('EVALGATE_ERR_MEDIA_LINK_INVALID');
      expect(late.json().error.message).toMatch(/link is expired\. Ask for fresh links/);
    } finally {
      nowMs = start;
    }
  });

  it('is bound to its file, expiry, scope and signature: any change is refused', async () => {
    const url = await urlOf('viewer', runs.open, 'a');
    const u = new URL(url, 'http://x');
    const withParam = (name: string, value: string): string => {
      const v = new URL(u);
      v.searchParams.set(name, value);
      return v.pathname + v.search;
    };
    const sig = u.searchParams.get('sig')!;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const tampered = {
      'another sample': url.replace('/samples/a/', '/samples/b/'),
      'another index': url.replace('/media/0?', '/media/1?'),
      'another dataset': url.replace('/open-media/', '/sealed-media/').replace('/samples/a/', '/samples/s/'),
      'a later expiry': withParam('expires', String(Number(u.searchParams.get('expires')) + 3600)),
      'a stronger scope': withParam('scope', 'admin'),
      'a flipped signature': withParam('sig', flipped),
      'a truncated signature': withParam('sig', sig.slice(0, 20)),
      'no scope': url.replace('&scope=viewer', ''),
    };
    for (const [what, bad] of Object.entries(tampered)) {
      const res = await get(bad);
      expect(res.statusCode, `${what}: ${bad}`).toBe(401);
      expect(res.body).not.toContain('RIFF');
      expect(res.json().error.message, what).not.toMatch(/expired/);
    }
    // A valid media signature opens nothing but that media file.
    expect((await get(`/v1/runs?${u.searchParams.toString()}`)).statusCode).toBe(401);
    expect((await get(`/v1/runs/${runs.open}/samples?${u.searchParams.toString()}`)).statusCode).toBe(401);
    // The untampered link still works (the refusals above were the tampering, not a dead link).
    expect((await get(url)).body).toBe(bytes.open);
  });

  it('gives no link to a sealed set’s media below admin, and refuses its file to them by key or by link', async () => {
    for (const scope of ['viewer', 'submitter', 'evaluator'] as const) {
      const [sample] = await samplesAs(scope, runs.sealed);
      expect(sample?.media).toHaveLength(1);
      expect(sample?.media[0]).not.toHaveProperty('url');
      const byKey = await get('/v1/datasets/sealed-media/samples/s/media/0', keys.get(scope));
      expect(byKey.statusCode).toBe(403);
      expect(byKey.body).not.toContain('RIFF');
      // A link signed for this scope (say, before the set was sealed) is held to the same rule.
      const signed = app.mediaUrls.sign({ dataset: 'sealed-media', sample: 's', index: 0 }, scope).url;
      expect((await get(signed)).statusCode).toBe(403);
    }
    const adminUrl = await urlOf('admin', runs.sealed, 's');
    expect(adminUrl).toContain('scope=admin');
    expect((await get(adminUrl)).body).toBe(bytes.sealed);
  });

  it('shows per-sample scores to evaluator keys on open sets and to admin keys only on sealed ones', async () => {
    expect((await samplesAs('viewer', runs.open))[0]).not.toHaveProperty('scores');
    expect((await samplesAs('submitter', runs.open))[0]).not.toHaveProperty('scores');
    expect((await samplesAs('evaluator', runs.open))[0]?.scores).toEqual({ wer: 0.25 });
    expect((await samplesAs('evaluator', runs.sealed))[0]).not.toHaveProperty('scores');
    expect((await samplesAs('admin', runs.sealed))[0]?.scores).toEqual({ wer: 0.25 });
  });

  it('keeps working for the page when auth is off', async () => {
    const open = await createApp({ config: configSchema.parse({ server: { auth: false } }), store: ts.store });
    try {
      const { samples } = (await open.inject({ url: `/v1/runs/${runs.sealed}/samples` })).json() as { samples: Sample[] };
      const url = samples[0]?.media[0]?.url;
      expect(url).toContain('scope=admin');
      expect((await open.inject({ url: url! })).body).toBe(bytes.sealed);
    } finally {
      await open.close();
    }
  });
});
