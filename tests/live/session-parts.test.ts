import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EvalgateError } from '../../gateway/errors.js';
import { Conversation } from '../../gateway/live/conversation.js';
import { EventOutbox } from '../../gateway/live/event-outbox.js';
import type { LiveEvent } from '../../gateway/live/live-event.js';
import { createLiveMetrics } from '../../gateway/live/live-metrics.js';
import { doneEvents, failureOf, latencyOf, type LiveResponse } from '../../gateway/live/live-response.js';
import { ResponseQueue } from '../../gateway/live/response-queue.js';
import { SessionStats } from '../../gateway/live/session-stats.js';

const metricValue = async (registry: Registry, name: string): Promise<number> =>
  ((await registry.getSingleMetric(name)!.get()).values as { value: number }[]).reduce((a, v) => a + v.value, 0);

describe('Conversation', () => {
  it('links items in order and assembles the pending turn until a response takes it', () => {
    const c = new Conversation();
    expect(c.addAudioTurn({ audio: new Int16Array(800), itemId: 'u1', startS: 1, endS: 1.05 })).toBeNull();
    expect(c.addUserItem('u2', [{ type: 'text', text: 'and this?' }], new Int16Array(200))).toBe('u1');
    expect(c.add('a1')).toBe('u2');
    expect(c.has('u2')).toBe(true);
    expect(c.has('nope')).toBe(false);
    const turn = c.takeTurn();
    expect(turn.itemIds).toEqual(['u1', 'u2']);
    expect(turn.audioSamples).toBe(1000);
    expect([turn.speechStartS, turn.speechEndS]).toEqual([1, 1.05]);
    expect(turn.endOfSpeechMs).toBeGreaterThan(0);
    expect(turn.parts).toEqual([{ type: 'text', text: 'and this?' }]);
    expect(c.pending.itemIds).toEqual([]);
  });

  it('joins the instructions (or a response override) and system items into the system prompt', () => {
    const c = new Conversation();
    expect(c.systemPrompt()).toBe('');
    c.instructions = 'be brief';
    expect(c.addSystemItem('s1', [{ type: 'text', text: 'answer in French' }])).toBeNull();
    expect(c.systemPrompt()).toBe('be brief\n\nanswer in French');
    expect(c.systemPrompt('be long')).toBe('be long\n\nanswer in French');
    expect(c.pending.itemIds).toEqual([]); // a system item is no user input
  });
});

describe('ResponseQueue', () => {
  it('runs one response at a time, in order, and finds, aborts and waits for them', async () => {
    const order: string[] = [];
    const release: Record<string, () => void> = {};
    const q = new ResponseQueue<{ responseId: string; abort: AbortController }>(async (r) => {
      order.push(`start ${r.responseId}`);
      await new Promise<void>((res) => (release[r.responseId] = res));
      order.push(`end ${r.responseId}`);
    });
    const mk = (id: string) => ({ responseId: id, abort: new AbortController() });
    expect(q.busy).toBe(false);
    q.push(mk('a'));
    q.push(mk('b'));
    expect(q.busy).toBe(true);
    expect(q.active?.responseId).toBe('a');
    expect(q.waiting).toBe(1);
    expect(q.find()?.responseId).toBe('a');
    expect(q.find('b')?.responseId).toBe('b');
    expect(q.find('zzz')).toBeUndefined();
    q.abortAll(new Error('bye'));
    expect(q.find('b')!.abort.signal.aborted).toBe(true);
    release.a!();
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual(['start a', 'end a', 'start b']);
    release.b!();
    await q.idle();
    expect(q.busy).toBe(false);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
  });
});

describe('EventOutbox', () => {
  it('replays what was held while detached, dropping the oldest past the limit, and counts errors', async () => {
    const registry = new Registry();
    const out = new EventOutbox(2, createLiveMetrics(registry));
    out.emit({ type: 'cleared' });
    out.emit({ type: 'committed', itemId: 'i1', previousItemId: null });
    out.emit({ type: 'error', code: 'EVALGATE_ERR_BAD_INPUT', message: 'x' });
    const got: LiveEvent[] = [];
    expect(out.attach((e) => got.push(e))).toBe(1);
    expect(got.map((e) => e.type)).toEqual(['committed', 'error']);
    out.emit({ type: 'cleared' });
    expect(got).toHaveLength(3);
    out.detach();
    out.emit({ type: 'cleared' });
    expect(got).toHaveLength(3);
    expect(await metricValue(registry, 'evalgate_live_errors_total')).toBe(1);
  });
});

describe('SessionStats', () => {
  it('summarises completed utterances with numpy-style (linear) percentiles and counts failures', async () => {
    const registry = new Registry();
    const stats = new SessionStats(createLiveMetrics(registry));
    stats.addAudio(1.5);
    stats.addAudio(0.5);
    // Final latencies 15, 20, 35, 40, 50 ms: np.percentile → p50 35, p90 46, p99 49.6 (nearest rank said 35, 50, 50).
    for (const ms of [50, 15, 40, 20, 35]) stats.addUtterance('completed', { firstTokenMs: ms / 5, finalMs: ms, audioSeconds: 1, realTimeFactor: null });
    stats.addUtterance('failed', { firstTokenMs: null, finalMs: null, audioSeconds: 1, realTimeFactor: null });
    stats.addUtterance('cancelled', { firstTokenMs: null, finalMs: null, audioSeconds: 1, realTimeFactor: null });
    const s = stats.summary();
    expect(s.utterances).toBe(6);
    expect(s.failed).toBe(1);
    expect(s.audioSeconds).toBe(2);
    expect(s.finalMs!.p50).toBe(35);
    expect(s.finalMs!.p90).toBeCloseTo(46, 9);
    expect(s.finalMs!.p99).toBeCloseTo(49.6, 9);
    // First tokens 3, 4, 7, 8, 10: p90 = 8 + 0.6 · 2 = 9.2.
    expect(s.firstTokenMs!.p90).toBeCloseTo(9.2, 9);
    expect(await metricValue(registry, 'evalgate_live_audio_seconds_received_total')).toBe(2);
    expect(await metricValue(registry, 'evalgate_live_utterances_total')).toBe(7);
  });

  it('has no percentiles before the first completed utterance', () => {
    expect(new SessionStats(createLiveMetrics(new Registry())).summary()).toEqual({
      utterances: 0,
      failed: 0,
      audioSeconds: 0,
      firstTokenMs: null,
      finalMs: null,
    });
  });
});

describe('live-response', () => {
  it('times a completed response from the end of speech, and nothing else', () => {
    const done = { status: 'completed', text: 'x', firstMs: 1_150 } as const;
    expect(latencyOf(done, 1_000, 2, 1_400)).toEqual({ firstTokenMs: 150, finalMs: 400, audioSeconds: 2, realTimeFactor: 0.2 });
    // No delta before the answer: the first token is the final.
    expect(latencyOf({ ...done, firstMs: null }, 1_000, 0, 1_012.345)).toEqual({ firstTokenMs: 12.35, finalMs: 12.35, audioSeconds: 0, realTimeFactor: null });
    expect(latencyOf({ status: 'cancelled', text: '', firstMs: 1_100 }, 1_000, 1, 1_400)).toEqual({
      firstTokenMs: null,
      finalMs: null,
      audioSeconds: 1,
      realTimeFactor: null,
    });
  });

  it('maps failures: its own registry error, a timeout, or MODEL_CALL_FAILED', () => {
    const own = new EvalgateError('EVALGATE_ERR_BUFFER_FULL', { detail: 'd' });
    expect(failureOf(own, true, 'm', 5)).toBe(own);
    expect(failureOf(new Error('x'), true, 'm', 5).code).toBe('EVALGATE_ERR_MODEL_TIMEOUT');
    const e = failureOf(new Error('boom'), false, 'm', 5);
    expect(e.code).toBe('EVALGATE_ERR_MODEL_CALL_FAILED');
    expect(e.message).toContain('boom');
  });

  it('ends a failed response with its error, then response_done carrying it; a cancel names who asked', () => {
    const r = { seq: 3, responseId: 'resp_1', itemId: 'u', outputItemId: 'a', previousItemId: 'u', abort: new AbortController() } as LiveResponse;
    const latency = { firstTokenMs: null, finalMs: null, audioSeconds: 1, realTimeFactor: null };
    const error = new EvalgateError('EVALGATE_ERR_MODEL_CALL_FAILED', { model: 'm', detail: 'boom' });
    const [err, done] = doneEvents(r, { status: 'failed', text: '', firstMs: null, error }, latency, undefined);
    expect(err).toMatchObject({ type: 'error', code: 'EVALGATE_ERR_MODEL_CALL_FAILED', responseId: 'resp_1' });
    expect(done).toMatchObject({ type: 'response_done', status: 'failed', seq: 3, error: { code: 'EVALGATE_ERR_MODEL_CALL_FAILED' } });
    expect(doneEvents({ ...r, cancelReason: 'turn_detected' }, { status: 'cancelled', text: 'par', firstMs: null }, latency, undefined)).toEqual([
      {
        type: 'response_done',
        responseId: 'resp_1',
        itemId: 'u',
        outputItemId: 'a',
        previousItemId: 'u',
        cancelReason: 'turn_detected',
        seq: 3,
        status: 'cancelled',
        text: 'par',
        latency,
      },
    ]);
  });
});
