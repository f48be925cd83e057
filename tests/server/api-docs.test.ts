import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

const apiDoc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

describe('docs/api.md', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  const routes: string[] = [];
  beforeAll(async () => {
    ts = await createPgliteTestStore();
    app = await createApp({ config: configSchema.parse({}), store: ts.store });
    await app.ready();
    routes.push(...new Set(app.routeList.map((r) => defined(r.split(' ')[1], `a path in route "${r}"`))));
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('documents every route the server registers', () => {
    expect(routes.length).toBeGreaterThan(8);
    const documented = [...apiDoc.matchAll(/`(?:GET|POST|PUT|DELETE) (\/[^`?\s]*)/g)].map((m) => m[1]);
    for (const route of routes) {
      // fastify prints params as :name, exactly as the doc writes them.
      expect(documented, `docs/api.md does not document ${route}`).toContain(route);
    }
  });

  it('documents no route the server lacks', () => {
    const documented = [...apiDoc.matchAll(/`(?:GET|POST|PUT|DELETE) (\/[^`?\s]*)/g)].map((m) => m[1]);
    for (const path of documented) expect(routes, `docs/api.md documents ${path}, which the server lacks`).toContain(path);
  });
});
