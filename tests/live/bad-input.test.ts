import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, eventually, rawClient, scriptedModel, startGateway, useScriptedAdapter, type Msg, type TestGateway } from './live-kit.js';

const errorCodes = (msgs: Msg[]): string[] => msgs.filter((m) => m.type === 'error').map((m) => m.error?.code ?? m.code ?? '');

describe('bad input on live sockets', () => {
  let gw: TestGateway;
  let key: string;
  let scripted: ReturnType<typeof useScriptedAdapter>;
  beforeAll(async () => {
    scripted = useScriptedAdapter(() => scriptedModel({ latencyMs: 20 }));
    // Limits from the config file's live section (the 1009 and 1013 cases below depend on them).
    gw = await startGateway({
      tls: false,
      models: [{ id: 'm', adapter: scripted.adapter, kind: 'specialist', options: {} }],
      live: { maxFrameBytes: 64 * 1024, maxSessionsPerKey: 4 },
    });
    key = await gw.key('submitter');
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    scripted?.dispose();
  });

  it('answers recoverable mistakes with error events and keeps the session usable', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=m', key);
    c.send('{not json');
    c.send({ type: 'no.such.event', event_id: 'evt_1' });
    c.send({ type: 'session.update', session: { input_audio_format: 'g711_ulaw' } });
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 44100 } } } } });
    c.send({ type: 'input_audio_buffer.append', audio: '***not base64***' });
    c.send({ type: 'input_audio_buffer.append', audio: 'AAE=AAE=' });
    c.send({ type: 'input_audio_buffer.commit' });
    c.send({ type: 'response.cancel' });
    c.send({ type: 'response.create' });
    await eventually(() => errorCodes(c.msgs).length >= 9 || undefined, 'nine errors');
    expect(errorCodes(c.msgs)).toEqual([
      'EVALGATE_ERR_WS_MALFORMED_JSON',
      'EVALGATE_ERR_WS_UNKNOWN_EVENT',
      'EVALGATE_ERR_WS_BAD_AUDIO',
      'EVALGATE_ERR_WS_BAD_AUDIO',
      'EVALGATE_ERR_WS_BAD_AUDIO',
      'EVALGATE_ERR_WS_BAD_AUDIO',
      'EVALGATE_ERR_WS_OUT_OF_ORDER',
      'EVALGATE_ERR_WS_OUT_OF_ORDER',
      'EVALGATE_ERR_WS_OUT_OF_ORDER',
    ]);
    const unknown = c.msgs.find((m) => m.error?.code === 'EVALGATE_ERR_WS_UNKNOWN_EVENT')!;
    expect(unknown.error).toMatchObject({ type: 'invalid_request_error', event_id: 'evt_1' });
    // Still usable: a real turn works after all that.
    c.send({ type: 'session.update', session: { turn_detection: null } });
    c.send({ type: 'input_audio_buffer.append', audio: b64(new Int16Array(2400)) });
    c.send({ type: 'input_audio_buffer.commit' });
    c.send({ type: 'response.create' });
    const done = await eventually(() => c.msgs.find((m) => m.type === 'response.done'), 'response.done');
    expect((done.response as { status: string }).status).toBe('completed');
    c.ws.close(1000);
    expect(await c.closed).toBe(1000);
  });

  it('closes with 1003 on a binary frame, 1009 on an oversized frame, 1008 after a run of errors; others are untouched', async () => {
    const healthy = await rawClient(gw, '/v1/realtime?model=m', key);
    healthy.send({ type: 'session.update', session: { turn_detection: null } });

    const bin = await rawClient(gw, '/v1/realtime?model=m', key);
    bin.ws.send(Buffer.from([1, 2, 3, 4]), { binary: true });
    expect(await bin.closed).toBe(1003);
    expect(errorCodes(bin.msgs)).toContain('EVALGATE_ERR_WS_UNSUPPORTED_DATA');

    const big = await rawClient(gw, '/v1/realtime?model=m', key);
    big.send({ type: 'input_audio_buffer.append', audio: 'A'.repeat(100 * 1024) });
    expect(await big.closed).toBe(1009);

    const noisy = await rawClient(gw, '/v1/realtime?model=m', key);
    for (let i = 0; i < 25; i++) noisy.send({ type: 'bogus' });
    expect(await noisy.closed).toBe(1008);

    healthy.send({ type: 'input_audio_buffer.append', audio: b64(new Int16Array(4800)) });
    healthy.send({ type: 'input_audio_buffer.commit' });
    healthy.send({ type: 'response.create' });
    const done = await eventually(() => healthy.msgs.find((m) => m.type === 'response.done'), 'healthy response');
    expect((done.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text).toBe('heard 0.20 s');
    expect(errorCodes(healthy.msgs)).toEqual([]);
    healthy.ws.close(1000);
  });

  it('native protocol: malformed JSON and corrupt audio close with 1007; audio before configure is out of order', async () => {
    const a = await rawClient(gw, '/v1/stream?model=m', key);
    a.ws.send(Buffer.from(new Int16Array(160).buffer), { binary: true });
    await eventually(() => errorCodes(a.msgs).includes('EVALGATE_ERR_WS_OUT_OF_ORDER') || undefined, 'out of order');
    a.send('{"type":');
    expect(await a.closed).toBe(1007);

    const b = await rawClient(gw, '/v1/stream?model=m', key);
    b.send({ type: 'configure', format: { encoding: 'pcm16', sampleRateHz: 16000 } });
    await eventually(() => b.msgs.find((m) => m.type === 'configured'), 'configured');
    b.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await b.closed).toBe(1007);
    expect(errorCodes(b.msgs)).toContain('EVALGATE_ERR_WS_BAD_AUDIO');
  });

  it('refuses missing keys (401) and weak scopes (403) before the upgrade; enforces sessions per key (1013)', async () => {
    const status = (headers: Record<string, string>): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`${gw.wsUrl}/v1/realtime?model=m`, { headers });
        ws.on('unexpected-response', (req, res) => {
          resolve(res.statusCode ?? 0);
          res.destroy();
          req.destroy();
          ws.terminate();
        });
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
    expect(await status({})).toBe(401);
    expect(await status({ authorization: `Bearer ${await gw.key('viewer')}` })).toBe(403);

    const k = await gw.key('submitter');
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await rawClient(gw, '/v1/realtime?model=m', k));
    const ws = new WebSocket(`${gw.wsUrl}/v1/realtime?model=m`, { headers: { authorization: `Bearer ${k}` } });
    const msgs: Msg[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    expect(code).toBe(1013);
    expect(errorCodes(msgs)).toEqual(['EVALGATE_ERR_SESSION_LIMIT']);
    for (const h of held) h.ws.close(1000);
  });
});
