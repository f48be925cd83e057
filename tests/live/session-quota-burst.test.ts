import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLiveModelProvider, type LiveModel } from '../../gateway/live/live-model.js';
import { eventually, rawClient, scriptedModel, startGateway, type Msg, type TestGateway } from './live-kit.js';

const quota = 8;
const burst = 100;

describe('per-key session quota under a burst of concurrent connects', () => {
  let gw: TestGateway;
  let unregister: () => void;
  beforeAll(async () => {
    // Opening a session takes a while, as connecting to a realtime upstream does: the window
    // in which sessions being opened were not counted against the key.
    const adapter = `slow-open-${process.pid}`;
    unregister = registerLiveModelProvider(adapter, async (): Promise<LiveModel> => {
      await new Promise((r) => setTimeout(r, 150));
      return { kind: 'batch', model: scriptedModel({ latencyMs: 5 }) };
    });
    gw = await startGateway({ tls: false, models: [{ id: 'm', adapter, kind: 'specialist', options: {} }], live: { maxSessionsPerKey: quota } });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    unregister?.();
  });

  it.each(['/v1/stream?model=m', '/v1/realtime?model=m'])(`%s: ${burst} simultaneous connects with one key get exactly ${quota} sessions`, async (path) => {
    const key = await gw.key('submitter');
    const clients = Array.from({ length: burst }, () => {
      const ws = new WebSocket(`${gw.wsUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
      const msgs: Msg[] = [];
      ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
      ws.on('error', () => undefined);
      let code: number | undefined;
      ws.on('close', (c) => (code = c));
      return { ws, msgs, code: () => code };
    });
    const greeted = (c: (typeof clients)[number]): boolean => c.msgs.some((m) => m.type === 'session.ready' || m.type === 'session.created');
    // Every connect ends one of two ways: a greeting (held open) or a refusal that closes the socket.
    await eventually(() => clients.every((c) => greeted(c) || c.code() !== undefined) || undefined, 'every connect answered', 30_000);
    const accepted = clients.filter(greeted);
    const refused = clients.filter((c) => !greeted(c));
    expect(accepted).toHaveLength(quota);
    expect(accepted.every((c) => c.code() === undefined)).toBe(true);
    for (const c of refused) {
      expect(c.code()).toBe(1013);
      expect(c.msgs.map((m) => m.error?.code ?? m.code)).toEqual(['EVALGATE_ERR_SESSION_LIMIT']);
    }
    // The quota is per key: another key still gets a session while this one is full.
    const other = await rawClient(gw, path, await gw.key('submitter'));
    other.ws.close(1000);
    await other.closed;
    for (const c of accepted) c.ws.close(1000);
    await Promise.all(accepted.map((c) => new Promise((r) => (c.code() !== undefined ? r(undefined) : c.ws.once('close', r)))));
    // Sessions ended cleanly free their places (bounded by the drain).
    await eventually(async () => {
      const again = await rawClient(gw, path, key);
      again.ws.close(1000);
      return (await again.closed) === 1000 || undefined;
    }, 'the key can connect again');
  });
});
