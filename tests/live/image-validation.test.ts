import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rawClient, startGateway, type Msg, type TestGateway } from './live-kit.js';
import { startScriptedChatUpstream } from './servers/scripted-chat-upstream.js';

// A 1×1 PNG: the control that shows a valid image does reach the model.
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const errorCodes = (msgs: Msg[]): string[] => msgs.filter((m) => m.type === 'error').map((m) => m.error?.code ?? m.code ?? '');

describe('live image messages are checked before the model sees them', () => {
  let gw: TestGateway;
  let key: string;
  let up: Awaited<ReturnType<typeof startScriptedChatUpstream>>;
  beforeAll(async () => {
    up = await startScriptedChatUpstream({ reply: (i) => `answer ${i}`, latencyMs: 5 });
    gw = await startGateway({ tls: false, models: [{ id: 'vlm', adapter: 'openai-chat', kind: 'generalist', model: 'gpt-4o', baseUrl: up.url, options: {} }] });
    key = await gw.key('submitter');
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  async function nativeImage(data: string): Promise<{ code: number; msgs: Msg[] }> {
    const c = await rawClient(gw, '/v1/stream?model=vlm', key);
    c.send({ type: 'configure', turnDetection: 'manual' });
    c.send({ type: 'image', mimeType: 'image/png', data });
    c.send({ type: 'text', text: 'What is in the picture?' });
    c.send({ type: 'respond' });
    // A valid image gets an answer; the client then ends cleanly.
    const final = await eventually(() => c.msgs.find((m) => m.type === 'response.final') ?? (c.ws.readyState !== c.ws.OPEN || undefined), 'a final or a close');
    if (final !== true) c.ws.close(1000);
    return { code: await c.closed, msgs: c.msgs };
  }

  it.each([
    ['invalid base64', '***not base64***'],
    ['URL-safe base64', 'iVBORw0KGgo-_AAANSUhEUg=='],
    ['empty data', ''],
    ['valid base64 of bytes that are no image', Buffer.from('definitely not an image, just text').toString('base64')],
  ])('native: %s closes with 1007 EVALGATE_ERR_WS_BAD_IMAGE and the model is never called', async (_what, data) => {
    const before = up.requests.length;
    const { code, msgs } = await nativeImage(data);
    expect(code).toBe(1007);
    expect(errorCodes(msgs)).toEqual(['EVALGATE_ERR_WS_BAD_IMAGE']);
    expect(msgs.some((m) => m.type === 'response.final' || m.type === 'response.started')).toBe(false);
    expect(up.requests.length).toBe(before);
  });

  it('native: a valid PNG reaches the model (the control)', async () => {
    const before = up.requests.length;
    const { code, msgs } = await nativeImage(PNG_1X1);
    expect(code).toBe(1000);
    expect(msgs.find((m) => m.type === 'response.final')).toMatchObject({ status: 'completed' });
    expect(up.requests.slice(before)).toEqual([expect.objectContaining({ images: 1 })]);
  });

  it('realtime: an input_image that is not an image is refused with an error event; the next response carries no image', async () => {
    const before = up.requests.length;
    const c = await rawClient(gw, '/v1/realtime?model=vlm', key);
    const item = (url: string) => ({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_image', image_url: url }] },
    });
    c.send(item(`data:image/png;base64,${Buffer.from('GIF? no. text.').toString('base64')}`));
    c.send(item('data:image/jpeg;base64,'));
    await eventually(() => errorCodes(c.msgs).length >= 2 || undefined, 'two errors');
    expect(errorCodes(c.msgs)).toEqual(['EVALGATE_ERR_WS_BAD_IMAGE', 'EVALGATE_ERR_WS_BAD_IMAGE']);
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
    c.send({ type: 'response.create' });
    await eventually(() => c.msgs.find((m) => m.type === 'response.done'), 'response.done');
    expect(up.requests.slice(before)).toEqual([expect.objectContaining({ images: 0 })]);
    c.ws.close(1000);
    expect(await c.closed).toBe(1000);
  });
});
