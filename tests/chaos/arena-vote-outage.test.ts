// Arena writes and a PostgreSQL outage, on a PostgreSQL of the test's own
// (never the shared one): a vote sent while the database is away is a clear
// 503 EVALGATE_ERR_DB_UNAVAILABLE with nothing written, and the same vote
// succeeds once it is back; answers that finish during an outage are stored
// when it ends, and the battle can then be voted on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { call, readEvents, startArenaGateway, type ArenaGateway } from '../arena/battle-http.js';
import { sampleMarker } from '../runner/scripted-openai-server.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('arena votes and answers during a PostgreSQL outage (private PostgreSQL, scripted models)', () => {
  let pg: PrivatePostgres;
  let store: Store;
  let down = false;
  // With a key, the outage is already met when the key is checked; with auth off, inside the vote itself. Both are covered.
  const gws: { keyed?: ArenaGateway; open?: ArenaGateway } = {};
  const stopDb = async (): Promise<void> => {
    down = true;
    await pg.stop();
  };
  const startDb = async (): Promise<void> => {
    if (!down) return;
    await pg.start();
    down = false;
  };
  const scripts = [
    { answers: { q: 'Left answer.', late: 'Left late answer.' }, scripts: { late: [{ kind: 'ok' as const, delayMs: 1200 }] } },
    { answers: { q: 'Right answer.', late: 'Right late answer.' }, scripts: { late: [{ kind: 'ok' as const, delayMs: 1200 }] } },
  ] as const;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    store = await openStore({ url: pg.url });
    gws.keyed = await startArenaGateway(store, scripts);
    gws.open = await startArenaGateway(store, scripts, {}, { server: { auth: false } });
  }, 90_000);
  afterAll(async () => {
    await startDb().catch(() => undefined);
    await gws.keyed?.close();
    await gws.open?.close();
    await store?.close();
    await pg?.dispose();
  });

  const votes = async (battleId: string): Promise<number> =>
    Number(
      (
        await store.db
          .selectFrom('arena_votes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('battle_id', '=', battleId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  for (const which of ['keyed', 'open'] as const) {
    it(`${which === 'keyed' ? 'with a key' : 'with auth off'}: a vote during the outage is 503 with nothing stored, and succeeds after recovery`, async () => {
      const gw = gws[which]!;
      const key = which === 'keyed' ? gw.keys.submitter : undefined;
      const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
      const created = await call(gw, 'POST', '/v1/arena/battles', {
        ...(key ? { key } : {}),
        body: { modality: 'text', prompt: `${sampleMarker('q')} Hello?` },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const { events } = await readEvents(gw, id, auth);
      expect(events.at(-1)!.data).toEqual({ votable: true });

      await stopDb();
      const during = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { ...(key ? { key } : {}), body: { vote: 'A>B' } });
      expect(during.status).toBe(503);
      expect(during.body.error.code).toBe('EVALGATE_ERR_DB_UNAVAILABLE');
      // The database's address is not in the answer.
      expect(during.text).not.toContain(String(pg.port));
      await startDb();

      expect(await votes(id)).toBe(0);
      const after = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { ...(key ? { key } : {}), body: { vote: 'A>B' } });
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ vote: 'A>B', counted: true });
      expect(await votes(id)).toBe(1);
    }, 60_000);
  }

  it('stores answers that finish during an outage once the database is back; the battle can then be voted on', async () => {
    const gw = gws.open!;
    const created = await call(gw, 'POST', '/v1/arena/battles', { body: { modality: 'text', prompt: `${sampleMarker('late')} Slowly.` } });
    const id = created.body.id as string;
    await stopDb();
    // Both models answer (after 1.2 s) while the database is down; their writes wait.
    await sleep(2500);
    // On a loaded machine the 1.2 s answer can come later than 2.5 s after the stop: polled (the database stays down).
    for (const deadline = Date.now() + 15_000; !gw.servers[0].answered.has('late') && Date.now() < deadline;) await sleep(50);
    expect(gw.servers[0].answered.get('late')).toBe('Left late answer.');
    await startDb();
    let view = await call(gw, 'GET', `/v1/arena/battles/${id}`);
    for (let i = 0; i < 100 && !view.body.votable; i++) {
      await sleep(100);
      view = await call(gw, 'GET', `/v1/arena/battles/${id}`);
    }
    expect(view.body.votable).toBe(true);
    expect([view.body.sides.A.text, view.body.sides.B.text].sort()).toEqual(['Left late answer.', 'Right late answer.']);
    const vote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { body: { vote: 'B>>A', bothBad: true } });
    expect(vote.status).toBe(200);
    expect(vote.body).toMatchObject({ vote: 'B>>A', bothBad: true });
  }, 60_000);
});
