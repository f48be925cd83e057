import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { startPrivatePostgres, type PrivatePostgres } from '../chaos/private-postgres.js';
import type { TestStore } from '../helpers/test-stores.js';
import { fastTestStore } from './fast-test-store.js';
import { captureLog } from './log-capture.js';

let ts: TestStore;
beforeAll(async () => {
  ts = await fastTestStore();
});
afterAll(async () => {
  // The last test closes the store on purpose; dispose still removes its folder.
  await ts?.dispose().catch(() => undefined);
});

describe('/healthz shows details only to authenticated callers (finding 4)', () => {
  let app: FastifyInstance;
  let viewerKey: string;
  beforeAll(async () => {
    app = await createApp({ config: configSchema.parse({}), store: ts.store });
    viewerKey = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
  });
  afterAll(async () => app?.close());

  it('answers status only without a key or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer eg_wrong_key' }]) {
      const res = await app.inject({ method: 'GET', url: '/healthz', headers });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
  });

  it('answers version and database details to a key holder', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz', headers: { authorization: `Bearer ${viewerKey}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', version: expect.any(String), database: { status: 'ok', backend: ts.store.backend } });
  });

  it('answers details to everyone when auth is off (every caller holds every scope)', async () => {
    const open = await createApp({ config: configSchema.parse({ server: { auth: false } }), store: ts.store });
    try {
      expect((await open.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ database: { backend: ts.store.backend } });
    } finally {
      await open.close();
    }
  });
});

describe('failed authentication is rate limited per address (finding 7)', () => {
  let app: FastifyInstance;
  let viewerKey: string;
  const max = 5;
  beforeAll(async () => {
    app = await createApp({ config: configSchema.parse({ server: { authFailures: { max, windowMs: 60_000 } } }), store: ts.store });
    viewerKey = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
  });
  afterAll(async () => app?.close());

  const attempt = (remoteAddress: string, headers: Record<string, string> = { authorization: 'Bearer eg_guess_0000' }) =>
    app.inject({ method: 'GET', url: '/v1/runs', headers, remoteAddress });

  it('answers 401 up to the limit, then 429 with Retry-After in the registry shape', async () => {
    for (let i = 0; i < max; i++) expect((await attempt('10.0.0.1')).statusCode).toBe(401);
    const res = await attempt('10.0.0.1');
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('EVALGATE_ERR_RATE_LIMITED');
    const retryAfterS = Number(res.headers['retry-after']);
    expect(retryAfterS).toBeGreaterThan(0);
    expect(retryAfterS).toBeLessThanOrEqual(60);
    // A missing key on a protected path is a failure too, and a wrong key on /healthz.
    expect((await attempt('10.0.0.1', {})).statusCode).toBe(429);
    expect((await app.inject({ method: 'GET', url: '/healthz', headers: { authorization: 'Bearer x' }, remoteAddress: '10.0.0.1' })).statusCode).toBe(429);
  });

  it('lets a valid key through from a throttled address, and does not throttle other addresses', async () => {
    expect((await attempt('10.0.0.1')).statusCode).toBe(429);
    expect((await attempt('10.0.0.1', { authorization: `Bearer ${viewerKey}` })).statusCode).toBe(200);
    expect((await attempt('10.0.0.2')).statusCode).toBe(401);
  });

  it('does not count successful requests or keyless probes of public paths', async () => {
    for (let i = 0; i < 3 * max; i++) {
      expect((await attempt('10.0.0.3', { authorization: `Bearer ${viewerKey}` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.3' })).statusCode).toBe(200);
    }
    expect((await attempt('10.0.0.3')).statusCode).toBe(401);
  });

  it('counts WebSocket upgrades with bad keys over a real socket', async () => {
    const ws = await createApp({ config: configSchema.parse({ server: { authFailures: { max: 2, windowMs: 60_000 } } }), store: ts.store });
    try {
      const address = await ws.listen({ host: '127.0.0.1', port: 0 });
      const upgrade = (): Promise<{ status: number; retryAfter?: string }> =>
        new Promise((resolve, reject) => {
          const c = new WebSocket(`${address.replace(/^http/, 'ws')}/v1/stream?model=m`, { headers: { authorization: 'Bearer eg_bad_bad' } });
          c.once('unexpected-response', (_req, res) => {
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
            c.terminate();
          });
          c.once('open', () => reject(new Error('upgrade should be refused')));
          c.once('error', () => undefined);
        });
      expect((await upgrade()).status).toBe(401);
      expect((await upgrade()).status).toBe(401);
      const third = await upgrade();
      expect(third.status).toBe(429);
      expect(Number(third.retryAfter)).toBeGreaterThan(0);
    } finally {
      await ws.close();
    }
  });
});

describe('bad bodies are 400/413 at debug level; unknown methods 404 (finding 15)', () => {
  let app: FastifyInstance;
  const log = captureLog();
  beforeAll(async () => {
    app = await createApp({ config: configSchema.parse({}), store: ts.store, logger: { level: 'debug', stream: log.stream } });
  });
  afterAll(async () => app?.close());

  it('answers malformed JSON with 400 BAD_INPUT and an oversized body with 413, without error-level logs', async () => {
    const json = { 'content-type': 'application/json' };
    const bad = await app.inject({ method: 'POST', url: '/healthz', headers: json, payload: '{"not json' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('EVALGATE_ERR_BAD_INPUT');
    const big = await app.inject({ method: 'POST', url: '/healthz', headers: json, payload: `"${'x'.repeat(2 * 1024 * 1024)}"` });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('EVALGATE_ERR_PAYLOAD_TOO_LARGE');
    const weird = await app.inject({ method: 'POST', url: '/healthz', headers: { 'content-type': 'application/x-weird' }, payload: 'a' });
    expect(weird.statusCode).toBeLessThan(500);
    const lines = log.lines();
    expect(
      lines.filter((l) => l.level >= 40),
      JSON.stringify(lines.filter((l) => l.level >= 40)),
    ).toEqual([]);
    expect(lines.filter((l) => l.level === 20 && l.code === 'EVALGATE_ERR_PAYLOAD_TOO_LARGE')).toHaveLength(1);
  });

  it('answers a query number that overflows to Infinity with 400, not a 500 from the database (fuzz seed 99)', async () => {
    const key = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
    const res = await app.inject({ method: 'GET', url: '/v1/runs?limit=1e309', headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('EVALGATE_ERR_BAD_INPUT');
  });

  it('answers a plain GET on a WebSocket route with 400 in the registry shape, not an empty 404', async () => {
    const key = (await createApiKey(ts.store.db, { scopes: ['admin'] })).key;
    const res = await app.inject({ method: 'GET', url: '/v1/stream?model=m', headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('EVALGATE_ERR_BAD_INPUT');
  });

  it('answers unknown methods on known paths with 404, not 500', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH', 'POST'] as const) {
      const res = await app.inject({ method, url: '/healthz' });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('EVALGATE_ERR_NOT_FOUND');
    }
  });
});

describe('a database outage is 503 DB_UNAVAILABLE, not 500 (finding 15)', () => {
  let pgs: PrivatePostgres | undefined;
  let store: Store | undefined;
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    await pgs?.dispose();
  });

  it('PostgreSQL stopped: 503 for key holders and for open routes; /healthz degraded without the address', async () => {
    pgs = await startPrivatePostgres();
    store = await openStore({ url: pgs.url });
    const log = captureLog();
    const authed = await createApp({ config: configSchema.parse({}), store, logger: { level: 'debug', stream: log.stream } });
    const open = await createApp({ config: configSchema.parse({ server: { auth: false } }), store });
    const key = (await createApiKey(store.db, { scopes: ['viewer'] })).key;
    try {
      expect((await authed.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
      await pgs.stop();
      for (const [app, headers] of [
        [authed, { authorization: `Bearer ${key}` }],
        [open, {}],
      ] as const) {
        const res = await app.inject({ method: 'GET', url: '/v1/runs', headers });
        expect(res.statusCode).toBe(503);
        expect(res.json().error.code).toBe('EVALGATE_ERR_DB_UNAVAILABLE');
        expect(res.body).not.toContain(String(pgs.port));
      }
      const health = await authed.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toEqual({ status: 'degraded' });
      expect(log.lines().filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await authed.close();
      await open.close();
    }
  });

  // Last test of the file: it closes the file's shared embedded store.
  it('store closed under a running app (shutdown): 503 DB_UNAVAILABLE', async () => {
    const app = await createApp({ config: configSchema.parse({ server: { auth: false } }), store: ts.store });
    try {
      expect((await app.inject({ method: 'GET', url: '/v1/runs' })).statusCode).toBe(200);
      await ts.store.close();
      const res = await app.inject({ method: 'GET', url: '/v1/runs' });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('EVALGATE_ERR_DB_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });
});
