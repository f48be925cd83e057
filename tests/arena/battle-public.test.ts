// A public arena (`arena.public: true`): callers without a key create
// battles and reach them only with the battle's token, vote under a hashed
// address identity, and are rate limited per address. Nothing else opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArenaVotes } from '../../gateway/store/arena-vote-repo.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { sampleMarker } from '../runner/scripted-openai-server.js';
import { call, namesAModel, readEvents, startArenaGateway, type ArenaGateway } from './battle-http.js';

describe('a public arena (PGlite)', () => {
  let ts: TestStore;
  let gw: ArenaGateway;
  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const answers = { pub: 'An answer.' };
    gw = await startArenaGateway(ts.store, [{ answers }, { answers }], { public: true, rateLimit: { battlesPerMinute: 3, votesPerMinute: 30 } });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ts?.dispose();
  });

  const create = (key?: string) =>
    call(gw, 'POST', '/v1/arena/battles', { ...(key ? { key } : {}), body: { modality: 'text', prompt: `${sampleMarker('pub')} Hi` } });

  it('lets a keyless caller create, follow and vote on its battle with the token only', async () => {
    const created = await create();
    expect(created.status, created.text).toBe(201);
    const { id, token } = created.body as { id: string; token: string };
    expect(typeof token).toBe('string');
    const { events } = await readEvents(gw, id, { 'x-arena-token': token });
    expect(events.at(-1)!.data).toEqual({ votable: true });
    expect((await call(gw, 'GET', `/v1/arena/battles/${id}`)).status).toBe(404);
    expect((await call(gw, 'GET', `/v1/arena/battles/${id}`, { headers: { 'x-arena-token': `${token.slice(0, -2)}AA` } })).status).toBe(404);
    const view = await call(gw, 'GET', `/v1/arena/battles/${id}`, { headers: { 'x-arena-token': token } });
    expect(view.status).toBe(200);
    expect(namesAModel(view.text)).toBe(false);
    expect((await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { body: { vote: 'A>B' } })).status).toBe(404);
    const vote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { headers: { 'x-arena-token': token }, body: { vote: 'A>B' } });
    expect(vote.status).toBe(200);
    expect(vote.body.counted).toBe(true);
    const row = (await listArenaVotes(ts.store.db)).find((v) => v.battle_id === id)!;
    expect(row.voter_key).toMatch(/^public:[0-9a-f]{24}$/);
    expect(row.voter_key).not.toContain('127.0.0.1');
    // A key's battle is not reachable with another battle's token.
    const keyed = await create(gw.keys.submitter);
    expect((await call(gw, 'GET', `/v1/arena/battles/${keyed.body.id as string}`, { headers: { 'x-arena-token': token } })).status).toBe(404);
    // The public arena opens nothing else.
    expect((await call(gw, 'GET', '/v1/runs')).status).toBe(401);
  });

  it('rate limits battle creation per address with 429 and Retry-After, leaving keys their own allowance', async () => {
    // One keyless battle was created above; the bucket holds 3.
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const limited = await create();
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('EVALGATE_ERR_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await create(gw.keys.submitter2)).status).toBe(201);
    // The limit is applied before the body is read: a limited caller's upload is not even parsed (429, not 400).
    const unread = await fetch(`${gw.baseUrl}/v1/arena/battles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"modality": "audio", "media": ',
    });
    expect(unread.status).toBe(429);
  });
});
