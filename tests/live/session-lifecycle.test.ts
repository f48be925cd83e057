import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, type StreamServerMessage } from '../../gateway/client/stream-client.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { serveGateway } from '../../gateway/server/serve-gateway.js';
import { openStore } from '../../gateway/store/open-store.js';
import { eventually, scriptedModel, startGateway, useScriptedAdapter, type TestGateway } from './live-kit.js';

describe('live session lifecycle', () => {
  let gw: TestGateway;
  let key: string;
  const adapters: ReturnType<typeof useScriptedAdapter>[] = [];
  beforeAll(async () => {
    process.env.EVALGATE_LIVE_OUTBOUND_SOFT_BYTES = String(64 * 1024);
    process.env.EVALGATE_LIVE_OUTBOUND_HARD_BYTES = String(256 * 1024 * 1024);
    const fast = useScriptedAdapter(() => scriptedModel({ latencyMs: 20 }));
    const slow = useScriptedAdapter(() => scriptedModel({ latencyMs: 400 }));
    // 16 MB of output in 4,000 deltas, to overrun a client that stops reading.
    const chatty = useScriptedAdapter(() => scriptedModel({ latencyMs: 5, reply: () => 'x'.repeat(16 * 1024 * 1024), deltas: 4000 }));
    adapters.push(fast, slow, chatty);
    gw = await startGateway({
      tls: false,
      models: [
        { id: 'fast', adapter: fast.adapter, kind: 'specialist', options: {} },
        { id: 'slow', adapter: slow.adapter, kind: 'specialist', options: {} },
        { id: 'chatty', adapter: chatty.adapter, kind: 'specialist', options: {} },
      ],
    });
    delete process.env.EVALGATE_LIVE_OUTBOUND_SOFT_BYTES;
    delete process.env.EVALGATE_LIVE_OUTBOUND_HARD_BYTES;
    key = await gw.key('submitter');
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    for (const a of adapters) a.dispose();
  });

  it('concurrent sessions each get their own answers', async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => StreamClient.connect({ url: gw.url, model: 'fast', apiKey: key })));
    await Promise.all(clients.map((c) => c.configure({ sampleRateHz: 16000 })));
    const finals = await Promise.all(
      clients.map(async (c, i) => {
        await c.sendAudio(new Int16Array(1600 * (i + 1)));
        c.commit();
        await c.sendAudio(new Int16Array(800));
        c.commit();
        return [await c.nextFinal(), await c.nextFinal()];
      }),
    );
    finals.forEach(([a, b], i) => {
      expect(a!.text).toBe(`heard ${((i + 1) / 10).toFixed(2)} s`);
      expect(a!.seq).toBe(1);
      expect(b!.text).toBe('heard 0.05 s');
      expect(b!.seq).toBe(2);
    });
    const ids = new Set(clients.map((c) => c.sessionId));
    expect(ids.size).toBe(5);
    const summaries = await Promise.all(clients.map((c) => c.end()));
    for (const s of summaries) expect(s.utterances).toBe(2);
  });

  it('a dropped client resumes its session and gets the result produced while it was away', async () => {
    const c = await StreamClient.connect({ url: gw.url, model: 'slow', apiKey: key });
    await c.configure({ sampleRateHz: 16000 });
    await c.sendAudio(new Int16Array(3200));
    c.commit();
    const db = gw.ts.store.db;
    // The server has taken the commit (its utterance row exists) before the client drops.
    await eventually(
      async () => (await db.selectFrom('utterances').select('seq').where('session_id', '=', c.sessionId).executeTakeFirst()) ?? undefined,
      'the committed utterance',
    );
    c.drop();
    await eventually(
      async () =>
        (await db.selectFrom('stream_sessions').select('status').where('id', '=', c.sessionId).executeTakeFirst())?.status === 'disconnected' || undefined,
      'disconnected',
    );
    const again = await StreamClient.connect({ url: gw.url, model: 'slow', apiKey: key, resumeSessionId: c.sessionId });
    expect(again.sessionId).toBe(c.sessionId);
    const f = await again.nextFinal();
    expect(f.text).toBe('heard 0.20 s');
    expect(f.status).toBe('completed');
    await again.sendAudio(new Int16Array(1600));
    again.commit();
    expect((await again.nextFinal()).seq).toBe(2);
    const summary = await again.end();
    expect(summary.utterances).toBe(2);
    const rows = await db.selectFrom('utterances').select(['seq', 'status']).where('session_id', '=', c.sessionId).orderBy('seq').execute();
    expect(rows).toEqual([
      { seq: 1, status: 'ok' },
      { seq: 2, status: 'ok' },
    ]);
    // Another key cannot take the session over.
    const other = await gw.key('submitter');
    await expect(StreamClient.connect({ url: gw.url, model: 'slow', apiKey: other, resumeSessionId: c.sessionId })).rejects.toThrow(
      /EVALGATE_ERR_NOT_FOUND|closed/,
    );
  });

  it('a client that stops reading gets deltas dropped (bounded) but the full final text', async () => {
    const ws = new WebSocket(`${gw.wsUrl}/v1/stream?model=chatty`, { headers: { authorization: `Bearer ${key}` } });
    const msgs: StreamServerMessage[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as StreamServerMessage));
    await new Promise((r) => ws.once('open', r));
    await eventually(() => msgs.find((m) => m.type === 'session.ready'), 'ready');
    ws.send(JSON.stringify({ type: 'configure' }));
    await eventually(() => msgs.find((m) => m.type === 'configured'), 'configured');
    ws.send(Buffer.from(new Int16Array(1600).buffer), { binary: true });
    ws.send(JSON.stringify({ type: 'commit' }));
    ws.pause();
    const dropped = async (): Promise<number> => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      return Number(/^evalgate_live_dropped_events_total (\d+)/m.exec(text)?.[1] ?? 0);
    };
    await eventually(async () => ((await dropped()) > 0 ? true : undefined), 'deltas dropped while paused', 30_000);
    ws.resume();
    const final = await eventually(() => msgs.find((m) => m.type === 'response.final'), 'final', 30_000);
    expect(final.type === 'response.final' && final.text.length).toBe(16 * 1024 * 1024);
    const deltas = msgs.filter((m) => m.type === 'response.delta').length;
    expect(deltas).toBeLessThan(4000);
    ws.close(1000);
  });
});

describe('graceful shutdown', () => {
  it('lets the open utterance finish, persists it, then closes sockets with 1001', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-live-shutdown-'));
    const slow = useScriptedAdapter(() => scriptedModel({ latencyMs: 500 }));
    try {
      const config = configSchema.parse({
        database: { pgliteDir: dir },
        server: { host: '127.0.0.1', port: 0, auth: false },
        logLevel: 'silent',
        models: [{ id: 'slow', adapter: slow.adapter, kind: 'specialist' }],
      });
      const server = await serveGateway({ config });
      const c = await StreamClient.connect({ url: server.url, model: 'slow' });
      await c.configure({ sampleRateHz: 16000 });
      await c.sendAudio(new Int16Array(1600));
      const started = new Promise((r) => c.on('message', (m) => m.type === 'response.started' && r(m)));
      c.commit();
      await started;
      const closed = new Promise<number>((r) => c.once('close', (code) => r(code)));
      const finalP = c.nextFinal();
      await server.close();
      const f = await finalP;
      expect(f.status).toBe('completed');
      expect(await closed).toBe(1001);
      const store = await openStore({ pgliteDir: dir });
      try {
        const s = await store.db.selectFrom('stream_sessions').selectAll().executeTakeFirstOrThrow();
        expect(s.status).toBe('closed');
        const u = await store.db.selectFrom('utterances').selectAll().where('session_id', '=', s.id).executeTakeFirstOrThrow();
        expect(u.status).toBe('ok');
        expect(u.transcript).toBe('heard 0.10 s');
      } finally {
        await store.close();
      }
    } finally {
      slow.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
