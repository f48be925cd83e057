// Stream sessions left open by a gateway that was killed: heartbeats, the stale flag and reaping.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beatSessions, reapStaleSessions } from '../../gateway/store/heartbeat-repo.js';
import { backends, type TestStore } from '../helpers/test-stores.js';
import { b64, eventually, rawClient, scriptedModel, startGateway, useScriptedAdapter, type TestGateway } from './live-kit.js';

async function insertSession(ts: TestStore, status: 'open' | 'disconnected' | 'closed', stampedAgo: string): Promise<string> {
  const row = await ts.store.db
    .insertInto('stream_sessions')
    .values({ model_id: 'm', protocol: 'realtime', status, heartbeat_at: sql<Date>`now() - ${sql.raw(`interval '${stampedAgo}'`)}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

for (const backend of backends) {
  describe(`stream session heartbeats on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create();
      await ts.store.db.insertInto('models').values({ id: 'm', adapter: 'openai-realtime', kind: 'generalist', model: 'x', base_url: null }).execute();
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('fails open and disconnected sessions nobody has stamped for a minute, and only those', async () => {
      const fresh = await insertSession(ts, 'open', '5 seconds');
      const ghost = await insertSession(ts, 'open', '5 minutes');
      const dropped = await insertSession(ts, 'disconnected', '2 minutes');
      const closed = await insertSession(ts, 'closed', '1 hour');
      const revived = await insertSession(ts, 'open', '10 minutes');
      await beatSessions(ts.store.db, [revived]);
      expect((await reapStaleSessions(ts.store.db)).sort()).toEqual([ghost, dropped].sort());
      const rows = await ts.store.db.selectFrom('stream_sessions').select(['id', 'status', 'ended_at']).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect([ghost, dropped].map((id) => byId.get(id)?.status)).toEqual(['failed', 'failed']);
      expect(byId.get(ghost)?.ended_at).toBeInstanceOf(Date);
      expect([fresh, closed, revived].map((id) => byId.get(id)?.status)).toEqual(['open', 'closed', 'open']);
      expect(await reapStaleSessions(ts.store.db)).toEqual([]);
    });
  });
}

describe('GET /v1/sessions', () => {
  let gw: TestGateway;
  let scripted: ReturnType<typeof useScriptedAdapter>;
  beforeAll(async () => {
    scripted = useScriptedAdapter(() => scriptedModel({ latencyMs: 10 }));
    gw = await startGateway({ tls: false, models: [{ id: 'm', adapter: scripted.adapter, kind: 'specialist', options: {} }] });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    scripted?.dispose();
  });

  it('shows a live session as stamped and a ghost from a stopped gateway as stale', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=m', await gw.key('submitter'));
    c.send({ type: 'input_audio_buffer.append', audio: b64(new Int16Array(2400)) });
    c.send({ type: 'input_audio_buffer.commit' });
    c.send({ type: 'response.create' });
    await eventually(() => c.msgs.find((m) => m.type === 'response.done'), 'response.done');
    const ghost = await insertSession(gw.ts, 'open', '3 minutes');
    const res = await fetch(`${gw.url}/v1/sessions?status=open`, { headers: { authorization: `Bearer ${await gw.key('viewer')}` } });
    expect(res.status).toBe(200);
    const { sessions } = (await res.json()) as { sessions: { id: string; stale: boolean; heartbeat_at: string; utterances: number }[] };
    const live = sessions.find((x) => x.id !== ghost);
    expect(live).toMatchObject({ stale: false, utterances: 1 });
    expect(Date.now() - Date.parse(live!.heartbeat_at)).toBeLessThan(60_000);
    expect(sessions.find((x) => x.id === ghost)).toMatchObject({ stale: true, utterances: 0 });
    c.ws.close(1000);
    await c.closed;
  });
});
