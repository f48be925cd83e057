import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { AdapterOptions, runnerOptionKeys } from '../../gateway/models/adapter-support.js';
import { createModel } from '../../gateway/models/create-model.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import type { ModelRequest } from '../../gateway/models/spec/model-v1.js';
import { AdaptiveConcurrency } from '../../gateway/runner/adaptive-concurrency.js';
import { defaultPromptTemplates, renderPrompt } from '../../gateway/models/prompt-templates.js';
import { wavDurationS } from '../../gateway/runner/build-request.js';
import { redactModelConfig, runConfigHash, type ResolvedRunConfig } from '../../gateway/runner/prepare-run.js';
import { requestCacheKey, ResponseCache } from '../../gateway/runner/response-cache.js';
import { backoffDelayMs, classifyError, defaultRetryPolicy } from '../../gateway/runner/retry-policy.js';
import { latencyStats } from '../../gateway/runner/score-run.js';

const noCtx = { timedOut: false, cancelled: false };

describe('classifyError', () => {
  it('retries connection errors, timeouts, 408, 429 and 5xx; not 400/401/404', () => {
    expect(classifyError(new ModelCallError('x', { statusCode: 500 }), noCtx)).toMatchObject({ retryable: true, code: 'http', statusCode: 500 });
    expect(classifyError(new ModelCallError('x', { statusCode: 503 }), noCtx).retryable).toBe(true);
    expect(classifyError(new ModelCallError('x', { statusCode: 408 }), noCtx).retryable).toBe(true);
    expect(classifyError(new ModelCallError('x', { statusCode: 429, retryAfterMs: 2000 }), noCtx)).toMatchObject({
      retryable: true,
      rateLimited: true,
      retryAfterMs: 2000,
    });
    for (const status of [400, 401, 403, 404, 422]) expect(classifyError(new ModelCallError('x', { statusCode: status }), noCtx).retryable).toBe(false);
    expect(classifyError(new ModelCallError('connection refused', {}), noCtx)).toMatchObject({ retryable: true, code: 'connection' });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    expect(classifyError(reset, noCtx)).toMatchObject({ retryable: true, code: 'connection' });
    expect(classifyError(new Error('whatever'), { timedOut: true, cancelled: false, timeoutMs: 5 })).toMatchObject({ retryable: true, code: 'timeout' });
    expect(classifyError(new Error('whatever'), { timedOut: true, cancelled: true })).toMatchObject({ retryable: false, code: 'cancelled' });
    expect(classifyError(new RangeError('bug'), noCtx)).toMatchObject({ retryable: false, code: 'adapter' });
  });
});

describe('backoffDelayMs', () => {
  const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
  it('is full-jitter exponential, capped', () => {
    expect(backoffDelayMs(1, policy, undefined, () => 0.999)).toBeLessThan(100);
    expect(backoffDelayMs(3, policy, undefined, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, policy, undefined, () => 1)).toBe(1000);
    expect(backoffDelayMs(2, policy, undefined, () => 0)).toBe(0);
  });
  it('never waits less than Retry-After (capped at maxRetryAfterMs)', () => {
    for (const r of [0, 0.3, 0.99]) {
      const d = backoffDelayMs(1, policy, 3000, () => r);
      expect(d).toBeGreaterThanOrEqual(3000);
      expect(d).toBeLessThanOrEqual(3100);
    }
    expect(backoffDelayMs(1, policy, 60_000, () => 0)).toBe(5000);
  });
});

describe('AdaptiveConcurrency', () => {
  it('halves on 429 once per cooldown, then adds one slot per window of successes', () => {
    let now = 0;
    const c = new AdaptiveConcurrency({ max: 16, decreaseCooldownMs: 1000, now: () => now });
    c.onRateLimited();
    expect(c.limit).toBe(8);
    c.onRateLimited(); // same burst
    expect(c.limit).toBe(8);
    now = 2000;
    c.onRateLimited();
    expect(c.limit).toBe(4);
    for (let i = 0; i < 4; i++) c.onSuccess();
    expect(c.limit).toBe(5);
    for (let i = 0; i < 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 100; i++) c.onSuccess();
    expect(c.limit).toBe(16);
    expect(c.decreases).toBe(2);
  });

  it('never lets more than `limit` holders in, and wakes waiters in order', async () => {
    const c = new AdaptiveConcurrency({ max: 2 });
    await c.acquire();
    await c.acquire();
    const order: number[] = [];
    const w1 = c.acquire().then(() => order.push(1));
    const w2 = c.acquire().then(() => order.push(2));
    expect(c.inFlight).toBe(2);
    c.release();
    await w1;
    expect(order).toEqual([1]);
    c.release();
    await w2;
    expect(order).toEqual([1, 2]);
    const ac = new AbortController();
    const w3 = c.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await expect(w3).rejects.toThrow('stop');
  });
});

describe('response cache', () => {
  const model = { adapter: 'openai-chat', adapterVersion: '1', modelName: 'm' };
  const req = (over: Partial<ModelRequest> = {}): ModelRequest => ({ parts: [{ type: 'text', text: 'hi' }], temperature: 0, ...over });
  it('keys only temperature-0 requests, by every input byte', () => {
    expect(requestCacheKey(model, req({ temperature: 0.7 }))).toBeUndefined();
    expect(requestCacheKey(model, req({ temperature: undefined }))).toBeUndefined();
    const a = requestCacheKey(model, req());
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(requestCacheKey(model, req())).toBe(a);
    expect(requestCacheKey({ ...model, modelName: 'n' }, req())).not.toBe(a);
    const img = (b: number) => req({ parts: [{ type: 'image', data: new Uint8Array([1, 2, b]), mimeType: 'image/png' }] });
    expect(requestCacheKey(model, img(3))).not.toBe(requestCacheKey(model, img(4)));
  });
  it('stores and replays answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'));
    try {
      const cache = new ResponseCache(dir);
      const key = requestCacheKey(model, req())!;
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, { text: 'answer', warnings: [] });
      expect(await cache.get(key)).toEqual({ text: 'answer', warnings: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('prompts, media and run identity', () => {
  it('renders the Video-MME multiple-choice prompt', () => {
    const text = renderPrompt(defaultPromptTemplates.mcq, { question: 'What colour is the sky?', choices: ['Red', 'Blue'], lang: null });
    expect(text).toBe(
      'Select the best answer to the following multiple-choice question based on the video. Respond with only the letter (A, B, C, or D) of the correct option.\n' +
        'What colour is the sky?\nA. Red\nB. Blue\nThe best answer is:',
    );
    expect(renderPrompt('{options}', { question: null, choices: ['A. Red', 'B. Blue'], lang: null })).toBe('A. Red\nB. Blue');
  });

  it('uses the one copy of the prompt templates (gateway/models/prompt-templates.ts), not a duplicate', async () => {
    const runner = await import('../../gateway/runner/build-request.js');
    expect(runner.renderPrompt).toBe(renderPrompt);
    expect(runner.defaultPromptTemplates).toBe(defaultPromptTemplates);
    const { buildRequest } = runner;
    const { request } = await buildRequest(
      { id: 'x', key: 'k', task: 'vqa', reference: null, question: 'Q?', choices: null, answer: null, lang: null, media: [], durationS: null },
      { rootDir: '.', promptTemplate: defaultPromptTemplates.vqa, temperature: 0, video: { mode: 'frames', strategy: 'uniform', count: 1 } },
    );
    expect(request.parts).toEqual([{ type: 'text', text: 'Q?\nAnswer the question using a single word or phrase.' }]);
  });

  it('reads the duration of a PCM WAV header', () => {
    const dataBytes = 32_000; // 1 s of 16 kHz 16-bit mono
    const buf = Buffer.alloc(44 + dataBytes);
    buf.write('RIFF', 0);
    buf.writeUInt32LE(36 + dataBytes, 4);
    buf.write('WAVE', 8);
    buf.write('fmt ', 12);
    buf.writeUInt32LE(16, 16);
    buf.writeUInt16LE(1, 20);
    buf.writeUInt16LE(1, 22);
    buf.writeUInt32LE(16_000, 24);
    buf.writeUInt32LE(32_000, 28);
    buf.writeUInt16LE(2, 32);
    buf.writeUInt16LE(16, 34);
    buf.write('data', 36);
    buf.writeUInt32LE(dataBytes, 40);
    expect(wavDurationS(new Uint8Array(buf))).toBe(1);
    expect(wavDurationS(new Uint8Array(10))).toBeUndefined();
  });

  it('hashes what changes answers, not operational choices, and never stores secrets', () => {
    const cfg: ResolvedRunConfig = {
      modelId: 'm',
      model: redactModelConfig({
        id: 'm',
        adapter: 'openai-chat',
        kind: 'generalist',
        options: { apiKey: 'sk-123', headers: { Authorization: 'Bearer x' }, maxTokensField: 'max_tokens' },
      }),
      task: 'mcq',
      dataset: { id: 'a', name: 'n', manifestDigest: 'd', merkleRoot: 'r' },
      promptTemplate: 'p',
      temperature: 0,
      video: { mode: 'frames', strategy: 'uniform', count: 8 },
      scorer: {},
      failedAsWrong: false,
    };
    expect(JSON.stringify(cfg)).not.toContain('sk-123');
    expect(JSON.stringify(cfg)).not.toContain('Bearer');
    expect(cfg.model.options.maxTokensField).toBe('max_tokens');
    const h = runConfigHash(cfg);
    expect(runConfigHash({ ...cfg, limit: 5, failedAsWrong: true, scorer: { normalizer: 'whisper-en' }, dataset: { ...cfg.dataset, id: 'b' } })).toBe(h);
    expect(runConfigHash({ ...cfg, promptTemplate: 'q' })).not.toBe(h);
    expect(runConfigHash({ ...cfg, dataset: { ...cfg.dataset, merkleRoot: 's' } })).not.toBe(h);
    expect(runConfigHash({ ...cfg, temperature: 0.2 })).not.toBe(h);
  });

  it('computes latency percentiles with linear interpolation', () => {
    expect(latencyStats([])).toBeNull();
    expect(latencyStats([10, 20, 30, 40])).toMatchObject({ n: 4, p50: 25, max: 40, mean: 25 });
  });
});

describe('runner-read model options', () => {
  it('lists every option key the runner reads from a model config', async () => {
    const dir = resolve(import.meta.dirname, '../../gateway/runner');
    const read = new Set<string>();
    for (const f of ['prepare-run.ts', 'build-request.ts', 'execute-run.ts', 'run-batch.ts', 'distributed/run-worker.ts']) {
      const src = await readFile(join(dir, f), 'utf8');
      for (const m of src.matchAll(/\b(?:modelConfig|model|config)\.options\.(\w+)/g)) read.add(defined(m[1], `an option name in ${f}`));
    }
    expect(read.size).toBeGreaterThan(0);
    expect([...read].filter((k) => !runnerOptionKeys.includes(k))).toEqual([]);
  });

  it('never reports them as unknown options, for any adapter', async () => {
    const options = { prompts: { mcq: '{question}' }, system: 'Be brief.', providerOptions: {}, videoTransport: 'frames' };
    const bare = defined(configSchema.parse({ models: [{ id: 'm', adapter: 'anthropic', kind: 'generalist', options }] }).models[0], 'the parsed model');
    expect(new AdapterOptions(bare).unknownKeyWarnings('anthropic')).toEqual([]);
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-opts-'));
    try {
      const preds = join(dir, 'p.jsonl');
      await writeFile(preds, '{"id":"a","prediction":"x"}\n');
      const cfg = defined(
        configSchema.parse({ models: [{ id: 'r', adapter: 'predictions', kind: 'generalist', options: { ...options, path: preds } }] }).models[0],
        'the parsed model',
      );
      const result = await (await createModel(cfg)).doGenerate({ parts: [], providerOptions: { sampleId: 'a' } });
      expect(result.warnings).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('formatRunReport', () => {
  it('prints counts, metrics, RTFx, latency and the failed-sample note', async () => {
    const { formatRunReport } = await import('../../gateway/runner/format-report.js');
    const text = formatRunReport({
      runId: 'r1',
      status: 'completed',
      modelId: 'm',
      task: 'asr',
      counts: { ok: 8, failed: 2, skipped: 0, pending: 0, total: 10 },
      metrics: { wer: 0.125, hits: 7 },
      failedAsWrong: false,
      latencyMs: { request: latencyStats([10, 20, 30]), firstToken: null, total: latencyStats([12, 22, 32]) },
      rtfx: 150.504,
      audioSeconds: 40,
      warnings: ['x'],
    });
    expect(text).toContain('samples: ok 8  failed 2  skipped 0  (of 10)');
    expect(text).toContain('wer                  0.1250');
    // Two decimals, as compare and the report print it (formatRtfx).
    expect(text).toContain('RTFx: 150.50 (40.0 s of audio)');
    expect(text).toContain('request      p50 20');
    expect(text).toContain('2 failed sample(s) are excluded from the metrics');
  });
});
