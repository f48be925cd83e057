/**
 * The conformance suite: every remote HTTP adapter, against a real scripted
 * server on port 0 speaking that provider's wire format. Every check is
 * awaited (`await expect(...).rejects`, `for await`), so a check that never
 * ran fails the test instead of passing silently.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import type { ModelStreamEvent, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { EvalgateError } from '../../gateway/errors.js';
import { ScriptedHttpServer } from './servers/scripted-http-server.js';
import { providerScripts, testApiKeyEnv } from './servers/all-provider-scripts.js';

const secret = 'sk-test-secret-do-not-log';
const env = { [testApiKeyEnv]: secret };
const request = { parts: [{ type: 'text', text: 'Say hello.' }] } as const;

async function collect(model: ModelV1, signal?: AbortSignal): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const ev of model.doStream!({ ...request, signal })) events.push(ev);
  return events;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe.each(providerScripts)('conformance: $adapter', (script) => {
  let server: ScriptedHttpServer;
  let model: ModelV1;

  beforeAll(async () => {
    server = await ScriptedHttpServer.start();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    server.requests.length = 0;
    model = await createModel(script.config(server.url), { env });
  });

  it('declares the v1 contract and streaming', () => {
    expect(model.specificationVersion).toBe('v1');
    expect(model.adapter).toBe(script.adapter);
    expect(model.capabilities.streaming).toBe(true);
    expect(typeof model.doStream).toBe('function');
  });

  it('generates: right path, key in the right header, text and usage back', async () => {
    server.script(script.ok('Hello there.'));
    const result = await model.doGenerate(request);
    expect(result.text).toBe('Hello there.');
    expect(result.finishReason).toBe('stop');
    expect(result.warnings).toEqual([]);
    expect(result.usage?.inputTokens).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe(script.paths.generate);
    const [name, value] = script.authHeader(secret);
    expect(req!.headers[name]).toBe(value);
    expect(req!.headers['content-type']).toBe('application/json');
  });

  it('streams deltas in order, then one finish event with the whole text', async () => {
    server.script(script.stream(['Hel', 'lo', ' there', '.']));
    const events = await collect(model);
    expect(events.filter((e) => e.type === 'text-delta').map((e) => e.delta)).toEqual(['Hel', 'lo', ' there', '.']);
    const last = events.at(-1)!;
    expect(last.type).toBe('finish');
    expect(last.type === 'finish' && last.result.text).toBe('Hello there.');
    expect(last.type === 'finish' && last.result.finishReason).toBe('stop');
    expect(events.filter((e) => e.type === 'finish')).toHaveLength(1);
    expect(server.requests[0]?.url).toBe(script.paths.stream);
  });

  it.each(['length', 'filter'] as const)('reports a %s stop as finishReason, keeping the text and adding no warning (generate and stream)', async (kind) => {
    const reason = script.stopReasons[kind];
    server.script(script.ok('Hello the', reason));
    const result = await model.doGenerate(request);
    expect(result).toMatchObject({ text: 'Hello the', finishReason: kind, warnings: [] });
    server.script(script.stream(['Hel', 'lo the'], reason));
    const last = (await collect(model)).at(-1)!;
    expect(last).toMatchObject({ type: 'finish', result: { text: 'Hello the', finishReason: kind, warnings: [] } });
  });

  it('maps 400 to a non-retryable error with the provider message and body', async () => {
    server.script(script.error(400, 'Invalid image data'));
    const err = await rejection(model.doGenerate(request));
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ statusCode: 400, retryable: false });
    expect((err as ModelCallError).message).toContain('Invalid image data');
    expect((err as ModelCallError).responseBody).toContain('Invalid image data');
  });

  it('maps 429 to retryable with Retry-After in ms', async () => {
    server.script(script.error(429, 'Rate limit reached', { 'retry-after': '7' }));
    await expect(model.doGenerate(request)).rejects.toMatchObject({ statusCode: 429, retryable: true, retryAfterMs: 7000 });
  });

  it('maps 500 and 503 to retryable', async () => {
    server.script(script.error(500, 'internal'), script.error(503, 'overloaded'));
    await expect(model.doGenerate(request)).rejects.toMatchObject({ statusCode: 500, retryable: true });
    await expect(collect(model)).rejects.toMatchObject({ statusCode: 503, retryable: true });
  });

  it('maps a dropped connection to retryable, without a status', async () => {
    server.script({ kind: 'drop' });
    const err = await rejection(model.doGenerate(request));
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: true, statusCode: undefined });
  });

  it('maps a stream cut off mid-answer to retryable, after the deltas that arrived', async () => {
    server.script(script.streamDropped(['Hel', 'lo']));
    const seen: string[] = [];
    const err = await rejection(
      (async () => {
        for await (const ev of model.doStream!(request)) if (ev.type === 'text-delta') seen.push(ev.delta);
      })(),
    );
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: true });
    expect(seen.join('')).toBe('Hello');
  });

  it('treats a stream that ends without the provider`s end marker as a retryable failure, not an answer', async () => {
    server.script(script.streamEndsEarly(['Hel', 'lo']));
    const events: ModelStreamEvent[] = [];
    const err = await rejection(
      (async () => {
        for await (const ev of model.doStream!(request)) events.push(ev);
      })(),
    );
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: true });
    expect(events.some((e) => e.type === 'finish')).toBe(false);
  });

  it('aborts through the AbortSignal (the runner`s timeout) and closes the connection', async () => {
    server.script({ kind: 'hang' });
    const controller = new AbortController();
    const received = server.nextRequestReceived();
    const closed = server.clientClosed();
    const call = rejection(model.doGenerate({ ...request, signal: controller.signal }));
    await received;
    controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    const err = await call;
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toContain('TimeoutError');
    await closed;
  });

  it('aborts a stream in progress', async () => {
    server.script({ kind: 'hang' });
    const controller = new AbortController();
    const received = server.nextRequestReceived();
    const call = rejection(collect(model, controller.signal));
    await received;
    controller.abort();
    await expect(call).resolves.toBeInstanceOf(ModelCallError);
  });

  it('reads the key only at call time and fails clearly without it, sending nothing', async () => {
    const keyless = await createModel(script.config(server.url), { env: {} });
    const err = await rejection(keyless.doGenerate(request));
    expect(err).toBeInstanceOf(EvalgateError);
    expect(err).toMatchObject({ code: 'EVALGATE_ERR_MISSING_SECRET' });
    expect((err as Error).message).toContain(testApiKeyEnv);
    expect(server.requests).toHaveLength(0);
  });

  it('never puts the key into an error', async () => {
    server.script(script.error(401, 'Incorrect API key provided'));
    const err = (await rejection(model.doGenerate(request))) as ModelCallError;
    expect(err).toMatchObject({ statusCode: 401, retryable: false });
    expect(`${err.message} ${err.responseBody ?? ''} ${JSON.stringify(err)}`).not.toContain(secret);
  });

  it('reports unknown options and providerOptions as warnings, not errors', async () => {
    const m = await createModel(script.config(server.url, { noSuchOption: 1 }), { env });
    server.script(script.ok('ok'));
    const result = await m.doGenerate({ ...request, providerOptions: { sampleId: 's1', topK: 3 } });
    expect(result.text).toBe('ok');
    expect(result.warnings).toEqual([expect.stringContaining('noSuchOption'), expect.stringContaining('topK')]);
  });
});
