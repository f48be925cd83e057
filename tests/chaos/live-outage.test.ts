import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { shutdownLiveSessions } from '../../gateway/live/live-gateway.js';
import { createApp } from '../../gateway/server/create-app.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { eventually, scriptedModel, useScriptedAdapter } from '../live/live-kit.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

// Finding 9: a PostgreSQL outage in the middle of live sessions must not lose
// a single result. Every final a client received is in the database exactly
// once, in order, and the journal backlog shown in /metrics returns to 0.

type Msg = { type: string; [k: string]: unknown };

/** A native-protocol client that runs manual turns one after another until told to stop. */
async function nativeSession(wsUrl: string): Promise<{ sessionId: string; finals: { seq: number; text: string; status: string }[]; stop(): Promise<void> }> {
  const ws = new WebSocket(`${wsUrl}/v1/stream?model=m`);
  const msgs: Msg[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
  const closed = new Promise<number>((r) => ws.on('close', (c) => r(c)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const ready = await eventually(() => msgs.find((m) => m.type === 'session.ready'), 'session.ready');
  ws.send(JSON.stringify({ type: 'configure', format: { encoding: 'pcm16', sampleRateHz: 16000 }, turnDetection: 'manual' }));
  await eventually(() => msgs.find((m) => m.type === 'configured'), 'configured');
  const finals: { seq: number; text: string; status: string }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const n = finals.length;
      ws.send(Buffer.from(new Int16Array(1600).buffer)); // 0.1 s at 16 kHz
      ws.send(JSON.stringify({ type: 'commit' }));
      const f = await eventually(() => msgs.filter((m) => m.type === 'response.final')[n], `final ${n + 1}`);
      finals.push({ seq: f.seq as number, text: f.text as string, status: f.status as string });
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  return {
    sessionId: ready.sessionId as string,
    finals,
    stop: async () => {
      running = false;
      await loop;
      ws.send(JSON.stringify({ type: 'end' }));
      expect(await closed).toBe(1000);
    },
  };
}

async function backlog(app: FastifyInstance): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  const m = /^evalgate_live_journal_backlog (\d+)/m.exec(res.body);
  if (!m) throw new Error('evalgate_live_journal_backlog is not in /metrics');
  return Number(m[1]);
}

describe('live results survive a PostgreSQL outage', () => {
  let db: PrivatePostgres;
  let store: Store;
  let app: FastifyInstance;
  let journalDir: string;
  let scripted: ReturnType<typeof useScriptedAdapter>;
  beforeAll(async () => {
    db = await startPrivatePostgres();
    store = await openStore({ url: db.url });
    journalDir = await mkdtemp(join(tmpdir(), 'evalgate-journal-'));
    // Each session numbers its answers, so the database rows can be matched to what the client saw.
    scripted = useScriptedAdapter(() => {
      let n = 0;
      return scriptedModel({ latencyMs: 15, reply: () => `answer ${++n}` });
    });
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, auth: false },
      logLevel: 'silent',
      models: [{ id: 'm', adapter: scripted.adapter, kind: 'specialist', options: {} }],
      live: { journalDir },
    });
    app = await createApp({ config, store });
    await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    if (app) {
      await shutdownLiveSessions(app);
      await app.close();
    }
    await store?.close();
    await db?.dispose();
    scripted?.dispose();
    if (journalDir) await rm(journalDir, { recursive: true, force: true });
  });

  it('journals the finals while the database is down and replays them in order, exactly once', async () => {
    const address = app.server.address() as { port: number };
    const wsUrl = `ws://127.0.0.1:${address.port}`;
    const sessions = await Promise.all([nativeSession(wsUrl), nativeSession(wsUrl), nativeSession(wsUrl)]);
    await eventually(() => sessions.every((s) => s.finals.length >= 3) || undefined, 'three turns each before the outage');

    await db.stop();
    const atStop = sessions.map((s) => ({ s, n: s.finals.length }));
    // The sessions go on answering while the database is away; their rows go to the journal.
    await eventually(() => atStop.every(({ s, n }) => s.finals.length >= n + 6) || undefined, 'six turns each during the outage');
    expect(await backlog(app)).toBeGreaterThan(0);
    expect((await readdir(journalDir)).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    await db.start();

    const atStart = sessions.map((s) => ({ s, n: s.finals.length }));
    await eventually(() => atStart.every(({ s, n }) => s.finals.length >= n + 3) || undefined, 'three turns each after the outage');
    await Promise.all(sessions.map((s) => s.stop()));
    await eventually(async () => ((await backlog(app)) === 0 ? true : undefined), 'the backlog to drain', 20_000);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const s of sessions) {
        const { rows } = await client.query<{ seq: number; status: string; transcript: string }>(
          'select seq, status, transcript from utterances where session_id = $1 order by created_at, seq',
          [s.sessionId],
        );
        expect(s.finals.length).toBeGreaterThanOrEqual(12);
        // Every final the client received, once, in the order it was made.
        expect(rows.map((r) => [r.seq, r.status, r.transcript])).toEqual(s.finals.map((f) => [f.seq, 'ok', f.text]));
        expect(s.finals.map((f) => f.seq)).toEqual(s.finals.map((_, i) => i + 1));
        expect(s.finals.every((f) => f.status === 'completed')).toBe(true);
        const session = await client.query<{ status: string }>('select status from stream_sessions where id = $1', [s.sessionId]);
        expect(session.rows[0]?.status).toBe('closed');
      }
    } finally {
      await client.end();
    }
  });
});
