import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { SileroVadSegmenter, VadEvent } from '../../experts/vad/silero-vad-segmenter.js';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import type { LiveEvent } from '../../gateway/live/live-event.js';
import { defaultLiveLimits, type LiveLimits } from '../../gateway/live/live-limits.js';
import { createLiveMetrics } from '../../gateway/live/live-metrics.js';
import type { LiveModel } from '../../gateway/live/live-model.js';
import { LiveSession } from '../../gateway/live/live-session.js';
import type { SessionWriter } from '../../gateway/live/session-writer.js';
import type { ModelRequest, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import type { RealtimeConnection, RealtimeUpstreamEvent } from '../../gateway/models/spec/realtime-model-v1.js';
import type { Database } from '../../gateway/store/database.js';

// The session as an orchestrator, with no socket, database or ONNX: a scripted
// batch model, a recording writer and a scripted VAD.

/** A batch model that answers each request with `reply`, after `gate` (if any) opens. */
function batchModel(reply: (req: ModelRequest) => string, gate?: () => Promise<void>): ModelV1 & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    requests,
    specificationVersion: 'v1',
    adapter: 'test',
    adapterVersion: '0',
    modelName: 'm',
    capabilities: { streaming: false },
    doGenerate: async (req: ModelRequest) => {
      requests.push(req);
      await Promise.race([
        gate ? gate() : Promise.resolve(),
        new Promise((_, rej) => req.signal?.addEventListener('abort', () => rej(req.signal!.reason as Error), { once: true })),
      ]);
      return { text: reply(req), finishReason: 'stop' };
    },
  } as unknown as ModelV1 & { requests: ModelRequest[] };
}

function session(model: LiveModel, opts: { limits?: Partial<LiveLimits>; vad?: VadEvent[][]; upstream?: RealtimeConnection } = {}) {
  const writes: [string, unknown][] = [];
  const writer = {
    updateSession: (p: unknown) => writes.push(['session', p]),
    startUtterance: (u: unknown) => writes.push(['start', u]),
    finishUtterance: (seq: number, o: unknown) => writes.push([`finish ${seq}`, o]),
    flush: async () => void writes.push(['flush', null]),
  } as unknown as SessionWriter;
  const script = opts.vad ?? [];
  const vad = { push: async () => script.shift() ?? [], reset: () => undefined } as unknown as SileroVadSegmenter;
  const s = new LiveSession({
    id: 'sess-1',
    protocol: 'native',
    modelConfig: { id: 'm', adapter: 'test', kind: 'generalist', options: {} } as ModelConfig,
    model,
    ...(opts.upstream ? { upstream: opts.upstream } : {}),
    apiKeyId: null,
    canSeeScores: () => true,
    db: {} as Kysely<Database>,
    writer,
    metrics: createLiveMetrics(new Registry()),
    limits: { ...defaultLiveLimits, ...opts.limits },
    createVad: async () => vad,
  });
  const events: LiveEvent[] = [];
  s.attach((e) => events.push(e));
  return { s, events, writes };
}

// Generous waits: a loaded CI machine can stall the event loop for 100–500 ms; nothing here takes that long when well.
const until = async (check: () => boolean): Promise<void> => {
  for (const deadline = Date.now() + 10_000; !check() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('LiveSession (no sockets)', () => {
  it('commit + response: the turn audio reaches the model as WAV, the answer comes back timed and is persisted', async () => {
    const model = batchModel((req) => `heard ${(req.parts[0] as { durationS: number }).durationS} s`);
    const { s, events, writes } = session({ kind: 'batch', model });
    await s.configure({ format: { encoding: 'pcm16', sampleRateHz: 16000 }, instructions: 'transcribe' });
    s.appendAudio(new Int16Array(8000));
    s.commit();
    const responseId = s.createResponse({});
    await s.drain(10_000);
    expect(events.map((e) => e.type)).toEqual(['committed', 'response_created', 'delta', 'response_done']);
    const done = events.at(-1) as Extract<LiveEvent, { type: 'response_done' }>;
    expect(done).toMatchObject({ responseId, seq: 1, status: 'completed', text: 'heard 0.5 s' });
    expect(done.latency.audioSeconds).toBe(0.5);
    expect(done.latency.finalMs).toBeGreaterThanOrEqual(0);
    expect(model.requests[0]?.system).toBe('transcribe');
    expect(writes.find(([k]) => k === 'start')![1]).toMatchObject({ seq: 1, audioSeconds: 0.5, speechStartS: 0, speechEndS: 0.5 });
    expect(writes.find(([k]) => k === 'finish 1')![1]).toMatchObject({ status: 'ok', transcript: 'heard 0.5 s' });
    expect(s.summary()).toMatchObject({ utterances: 1, failed: 0, audioSeconds: 0.5 });
    expect(s.audioSeconds).toBe(0.5);
  });

  it('refuses a response with nothing new, and a cancel with nothing running', () => {
    const { s } = session({ kind: 'batch', model: batchModel(() => '') });
    expect(() => s.createResponse({})).toThrow(expect.objectContaining({ code: 'EVALGATE_ERR_WS_OUT_OF_ORDER' }));
    expect(() => s.cancel()).toThrow(expect.objectContaining({ code: 'EVALGATE_ERR_WS_OUT_OF_ORDER' }));
  });

  it('bounds the responses waiting for the model: past the limit a new one fails with BUFFER_FULL', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { s, events } = session(
      {
        kind: 'batch',
        model: batchModel(
          () => 'ok',
          () => gate,
        ),
      },
      { limits: { maxPendingUtterances: 1 } },
    );
    for (let i = 0; i < 3; i++) {
      s.addParts([{ type: 'text', text: `q${i}` }]);
      s.createResponse({});
    }
    // First runs, second waits, third is refused at once.
    const failed = events.filter((e) => e.type === 'response_done');
    expect(failed).toEqual([expect.objectContaining({ seq: 3, status: 'failed', error: expect.objectContaining({ code: 'EVALGATE_ERR_BUFFER_FULL' }) })]);
    open();
    await s.drain(10_000);
    expect(events.filter((e) => e.type === 'response_done').map((e) => [(e as { seq: number }).seq, (e as { status: string }).status])).toEqual([
      [3, 'failed'],
      [1, 'completed'],
      [2, 'completed'],
    ]);
    expect(s.summary()).toMatchObject({ utterances: 3, failed: 1 });
  });

  it('cancels the running response for the client, keeping what it said so far', async () => {
    const { s, events } = session({
      kind: 'batch',
      model: batchModel(
        () => 'never',
        () => new Promise(() => undefined),
      ),
    });
    s.addParts([{ type: 'text', text: 'q' }]);
    s.createResponse({});
    await until(() => s.busy);
    s.cancel();
    await s.drain(10_000);
    expect(events.at(-1)).toMatchObject({ type: 'response_done', status: 'cancelled', cancelReason: 'client_cancelled' });
  });

  it('with server VAD, a detected turn is committed and answered, and new speech interrupts when asked to', async () => {
    const ev = (type: VadEvent['type'], sampleIndex: number): VadEvent => ({ type, sampleIndex, timeS: sampleIndex / 16000 });
    const { s, events } = session(
      {
        kind: 'batch',
        model: batchModel(
          () => 'slow',
          () => new Promise((r) => setTimeout(r, 10_000)),
        ),
      },
      { vad: [[ev('speech_start', 0)], [ev('speech_end', 3200)], [ev('speech_start', 4800)]] },
    );
    await s.configure({
      format: { encoding: 'pcm16', sampleRateHz: 16000 },
      turnDetection: { type: 'server_vad', threshold: 0.5, silenceDurationMs: 200, prefixPaddingMs: 0, createResponse: true, interruptResponse: true },
    });
    for (let i = 0; i < 3; i++) s.appendAudio(new Int16Array(3200));
    await until(() => events.some((e) => e.type === 'response_done'));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['speech_started', 'speech_stopped', 'committed', 'response_created']);
    const started = events[0] as Extract<LiveEvent, { type: 'speech_started' }>;
    expect(events[2]).toMatchObject({ type: 'committed', itemId: started.itemId });
    expect(events.find((e) => e.type === 'response_done')).toMatchObject({ status: 'cancelled', cancelReason: 'turn_detected' });
    expect(types.filter((t) => t === 'speech_started')).toHaveLength(2);
    await s.close('closed');
  });

  it('keeps events for a detached client and replays them on attach', async () => {
    const { s } = session({ kind: 'batch', model: batchModel(() => 'answer') });
    s.detach();
    s.addParts([{ type: 'text', text: 'q' }]);
    s.createResponse({});
    await s.drain(10_000);
    const replayed: LiveEvent[] = [];
    expect(s.attach((e) => replayed.push(e))).toBe(0);
    expect(replayed.map((e) => e.type)).toEqual(['response_created', 'delta', 'response_done']);
  });

  it('a realtime model takes audio as it arrives, refuses audio items and text parts, and is closed with the session', async () => {
    const appended: number[] = [];
    let closed = false;
    const upstream: RealtimeConnection = {
      appendAudio: (pcm) => void appended.push(pcm.length),
      commit: () => undefined,
      clear: () => undefined,
      cancel: () => undefined,
      close: async () => void (closed = true),
      // An upstream that stays silent until it is closed.
      events: async function* (): AsyncIterable<RealtimeUpstreamEvent> {
        while (!closed) {
          await new Promise((r) => setTimeout(r, 5));
          yield* [];
        }
      },
    };
    const rt: LiveModel = {
      kind: 'realtime',
      model: { specificationVersion: 'v1', adapter: 'rt', adapterVersion: '0', inputSampleRateHz: 24000, connect: async () => upstream },
    };
    const { s, writes } = session(rt, { upstream });
    s.appendAudio(new Int16Array(2400));
    expect(appended).toEqual([2400]);
    expect(() => s.addParts([], { audio: new Int16Array(10) })).toThrow(expect.objectContaining({ code: 'EVALGATE_ERR_BAD_INPUT' }));
    s.addParts([{ type: 'text', text: 'hi' }]);
    expect(() => s.createResponse({})).toThrow(/realtime audio model/);
    await s.close('closed');
    expect(closed).toBe(true);
    expect(writes.slice(-2)).toEqual([
      ['session', { status: 'closed', audioSeconds: 0.1, ended: true }],
      ['flush', null],
    ]);
  });
});
