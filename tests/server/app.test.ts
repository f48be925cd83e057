import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

describe('server skeleton', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let viewerKey: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    app = await createApp({ config: configSchema.parse({}), store: ts.store });
    viewerKey = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
    await ts.store.db.insertInto('models').values({ id: 'm', adapter: 'openai-chat', kind: 'generalist', model: null, base_url: null }).execute();
    await ts.store.db
      .insertInto('runs')
      .values({ model_id: 'm', task: 'asr', config: JSON.stringify({}), config_hash: 'h1', evalgate_version: '0.1.0', status: 'completed' })
      .execute();
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('reports health without a key (status only; details need a key)', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    const authed = await app.inject({ method: 'GET', url: '/healthz', headers: { authorization: `Bearer ${viewerKey}` } });
    expect(authed.json()).toMatchObject({ status: 'ok', database: { status: 'ok', backend: 'pglite' } });
  });

  it('serves Prometheus text at /metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/^# HELP evalgate_/m);
  });

  it('refuses /v1 without a key, with the registry code', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/runs' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('EVALGATE_ERR_UNAUTHORIZED');
    const bad = await app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: 'Bearer eg_nope' } });
    expect(bad.statusCode).toBe(401);
  });

  it('lists runs from the database for a viewer key', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${viewerKey}` } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ runs: { model_id: string; task: string; status: string }[] }>();
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ model_id: 'm', task: 'asr', status: 'completed' });
  });

  it('validates query parameters', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/runs?limit=0', headers: { authorization: `Bearer ${viewerKey}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('EVALGATE_ERR_BAD_INPUT');
  });

  it('answers unknown routes with a 404 in the error shape', async () => {
    // Without a key the auth hook answers first, so route existence does not leak.
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/nope', headers: { authorization: `Bearer ${viewerKey}` } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('EVALGATE_ERR_NOT_FOUND');
  });

  it('answers over a real socket', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/healthz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ok');
  });
});
