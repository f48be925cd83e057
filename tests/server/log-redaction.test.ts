import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { redactText, redactUrl } from '../../gateway/server/auth/redact-secrets.js';
import type { TestStore } from '../helpers/test-stores.js';
import { fastTestStore } from './fast-test-store.js';
import { captureLog } from './log-capture.js';

// Finding 5: keys sent where they do not belong (query strings, cookies,
// headers, the realtime subprotocol) must never reach the log.
describe('log redaction (finding 5)', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let validKey: string;
  const log = captureLog();

  beforeAll(async () => {
    ts = await fastTestStore();
    app = await createApp({
      config: configSchema.parse({ server: { auth: true } }),
      store: ts.store,
      // The most verbose level: nothing may slip out at any level.
      logger: { level: 'trace', stream: log.stream },
    });
    validKey = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('never writes a secret from a URL, a header or a WebSocket subprotocol to the log', async () => {
    const secrets = Array.from({ length: 12 }, (_, i) => `s3cr3t${i}x${Math.random().toString(36).slice(2)}`);
    const [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11] = secrets as [string, ...string[]];
    const auth = { authorization: `Bearer ${validKey}` };
    expect((await app.inject({ method: 'GET', url: `/v1/runs?key=${s0}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/runs?limit=5&api_key=${s1}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/healthz?token=${s2}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/nope?access_token=${s3}`, headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/v1/runs?Authorization=${encodeURIComponent(`Bearer ${s4}`)}` })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${s5}`, cookie: `session=${s6}`, 'x-api-key': s7 } })).statusCode,
    ).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/runs?limit=1', headers: auth })).statusCode).toBe(200);

    // A real socket: the realtime subprotocol carries a key; the upgrade is refused before it happens.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${address.replace(/^http/, 'ws')}/v1/realtime?model=m&api_key=${s8}`, ['realtime', `openai-insecure-api-key.${s9}`]);
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('upgrade should be refused')));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(401);

    // Code that later logs headers (as a request or bare) is covered by the logger's redact paths.
    app.log.info({ req: { headers: { authorization: `Bearer ${s5}`, cookie: s6 } } }, 'headers as a request');
    app.log.info({ headers: { 'x-api-key': s7, 'sec-websocket-protocol': `realtime, openai-insecure-api-key.${s9}` } }, 'bare headers');

    // Errors carry secrets in their text too: an upstream's `?key=` in a fetch error, a bearer token, one of our keys.
    const upstream = new Error(`request to https://upstream.example/v1/models?alt=sse&key=${s10} failed`, {
      cause: new Error(`sent Authorization: Bearer ${s11}`),
    });
    app.log.error({ err: upstream }, 'model call failed');
    app.log.warn({ err: new AggregateError([new Error(`key ${validKey} rejected`)], 'all failed') }, 'aggregate');

    const text = log.text();
    for (const s of [...secrets, validKey]) expect(text, `log holds ${s.slice(0, 12)}…`).not.toContain(s);
    // Not vacuous: the requests were logged, with their harmless parts intact.
    expect(text).toContain('/v1/runs?limit=5&api_key=[REDACTED]');
    expect(text).toContain('/healthz?token=[REDACTED]');
    expect(text).toContain('/v1/realtime?model=m&api_key=[REDACTED]');
    expect(text).toContain('openai-insecure-api-key.[REDACTED]');
    expect(text).toContain('realtime, openai-insecure-api-key.');
    expect(text).toContain('upstream.example/v1/models?alt=sse&key=[REDACTED] failed');
    expect(log.lines().filter((l) => l.msg === 'incoming request').length).toBeGreaterThanOrEqual(8);
  });

  it('redacts secret query parameters, whatever their case or encoding, and keeps the rest', () => {
    expect(redactUrl('/a?x=1&KEY=s&Api-Key=s&apikey=s&access_token=s&y=2#f')).toBe(
      '/a?x=1&KEY=[REDACTED]&Api-Key=[REDACTED]&apikey=[REDACTED]&access_token=[REDACTED]&y=2#f',
    );
    expect(redactUrl('/a?api%5Fkey=s&monkey=ok')).toBe('/a?api%5Fkey=[REDACTED]&monkey=ok');
    expect(redactUrl('/a?%zz=1&token')).toBe('/a?%zz=1&token');
    expect(redactUrl('/plain/path')).toBe('/plain/path');
    expect(redactText('GET https://h/p?a=1&api_key=abc&b=2 -> Bearer tok.en; eg_0123abcd_Zz9-_x ok')).toBe(
      'GET https://h/p?a=1&api_key=[REDACTED]&b=2 -> Bearer [REDACTED]; [REDACTED] ok',
    );
  });
});
