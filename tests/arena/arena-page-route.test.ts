import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * `GET /arena` without a browser: a public page (it asks for the key), served
 * with a CSP whose hashes are exactly its one script and one style, carrying
 * the modalities that have two arena models and never a model id.
 */
describe('GET /arena', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  const ids = ['secret-model-one', 'secret-model-two', 'secret-model-three'];

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const config = configSchema.parse({
      server: { auth: true },
      logLevel: 'silent',
      models: ids.map((id) => ({ id, adapter: 'openai-chat', kind: 'generalist', baseUrl: 'http://127.0.0.1:9/v1', model: `${id}-upstream` })),
      arena: { models: { text: [ids[0], ids[1]], image: [ids[2]], audio: [ids[0], ids[2]] }, maxAudioSeconds: 30 },
    });
    app = await createApp({ config, store: ts.store });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('answers without a key, with a CSP that allows only its own script and style', async () => {
    const res = await app.inject({ url: '/arena' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    const scripts = [...res.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...res.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(scripts[0]!)};`);
    expect(csp).toContain(`style-src ${hash(styles[0]!)};`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // The CSP forbids them, so none may be in the page: they would silently do nothing.
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
    expect(res.body).not.toMatch(/\sstyle=/i);
  });

  it('offers the modalities with two arena models and names no model', async () => {
    const res = await app.inject({ url: '/arena' });
    expect(res.body).toContain('data-modalities="text,audio"');
    expect(res.body).toContain('data-max-audio-seconds="30"');
    expect(res.body).toContain('id="apikey"');
    for (const id of ids) expect(res.body).not.toContain(id);
  });
});
