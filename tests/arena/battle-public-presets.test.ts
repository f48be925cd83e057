// Preset prompts in a public arena (review finding: keyless callers could
// draw from, and so read, every open dataset): a keyless caller draws only
// from `arena.publicPresetDatasets`, and any other name, existing or not, is
// answered the same way. Keys keep their presets. (The Chromium public test
// draws from a listed dataset.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { seedDataset } from '../compare/seed-runs.js';
import { call, startArenaGateway, type ArenaGateway } from './battle-http.js';

describe('preset prompts in a public arena (PGlite)', () => {
  let ts: TestStore;
  let gw: ArenaGateway;
  beforeAll(async () => {
    ts = await createPgliteTestStore();
    await seedDataset(ts.store.db, 'open-unlisted', [{ key: 'q1', task: 'mcq', answer: 'A', choices: ['x', 'y'] }]);
    // A text preset needs a question (seedDataset writes none).
    await ts.store.db.updateTable('samples').set({ question: 'Which letter comes first?' }).where('sample_key', '=', 'q1').execute();
    const answers = { q1: 'An answer.' };
    gw = await startArenaGateway(ts.store, [{ answers }, { answers }], { public: true, publicPresetDatasets: ['open-listed'] });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ts?.dispose();
  });

  const preset = (dataset: string, key?: string) =>
    call(gw, 'POST', '/v1/arena/battles', { ...(key ? { key } : {}), body: { modality: 'text', preset: { dataset } } });

  it('refuses a keyless preset from an unlisted open dataset exactly as from an unknown one', async () => {
    const unlisted = await preset('open-unlisted');
    const unknown = await preset('no-such-set');
    expect(unlisted.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(unlisted.body.error.code).toBe(unknown.body.error.code);
    expect(JSON.stringify(unlisted.body)).not.toContain('Which letter');
    expect(await ts.store.db.selectFrom('arena_battles').selectAll().execute()).toEqual([]);
  });

  it('still draws the preset for a submitter key', async () => {
    const keyed = await preset('open-unlisted', gw.keys.submitter);
    expect(keyed.status).toBe(201);
    expect(keyed.body.prompt.text).toContain('Which letter comes first?');
  });
});
