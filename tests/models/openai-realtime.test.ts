/**
 * openai-realtime against a scripted WebSocket upstream, in both dialects.
 * Client events are checked deep-equal against the documented shapes, which
 * are typed here with the official `openai` SDK types (beta and GA), so a
 * field name that drifted from the API would fail to compile.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import type * as Beta from 'openai/resources/beta/realtime/realtime';
import type * as Ga from 'openai/resources/realtime/realtime';
import { createModel, createRealtimeModel } from '../../gateway/models/create-model.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import type { RealtimeUpstreamEvent } from '../../gateway/models/spec/realtime-model-v1.js';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { audioAsPcm16 } from '../../gateway/models/media/media-encoding.js';
import { ScriptedRealtimeServer, type RealtimeScript } from './servers/scripted-realtime-server.js';

const secret = 'sk-rt-secret';
const env = { RT_KEY: secret };
let server: ScriptedRealtimeServer;

beforeAll(async () => {
  server = await ScriptedRealtimeServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.sessions.length = 0;
  server.script = () => undefined;
});

function config(options: Record<string, unknown> = {}): ModelConfig {
  return { id: 'rt', adapter: 'openai-realtime', kind: 'generalist', baseUrl: server.url, model: 'gpt-4o-realtime-preview', apiKeyEnv: 'RT_KEY', options };
}

const samples16k = new Float32Array(16000).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000));
const audioPart = { type: 'audio', data: new Uint8Array(), mimeType: 'audio/pcm', samples: samples16k, sampleRateHz: 16000 } as const;

/** Beta-dialect answer to `response.create`: text deltas, then `response.done`. */
const betaAnswer: RealtimeScript = (ev, send) => {
  if (ev.type !== 'response.create') return;
  const deltas: Beta.ResponseTextDeltaEvent[] = ['Hello', ' world'].map((delta, i) => ({
    type: 'response.text.delta',
    event_id: `event_${i}`,
    response_id: 'resp_001',
    item_id: 'msg_007',
    output_index: 0,
    content_index: 0,
    delta,
  }));
  for (const d of deltas) send(d);
  const done: Beta.ResponseDoneEvent = {
    type: 'response.done',
    event_id: 'event_3',
    response: {
      id: 'resp_001',
      object: 'realtime.response',
      status: 'completed',
      output: [{ id: 'msg_007', object: 'realtime.item', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello world' }] }],
      usage: { total_tokens: 50, input_tokens: 40, output_tokens: 10 },
    },
  };
  send(done);
};

/**
 * A text answer whose `response.done` did not complete: `incomplete` with the
 * reference's `status_details.reason` (max_output_tokens, content_filter…), or
 * `cancelled`.
 */
function unfinishedAnswer(status: 'incomplete' | 'cancelled', reason: string): RealtimeScript {
  return (ev, send) => {
    if (ev.type !== 'response.create') return;
    send({
      type: 'response.text.delta',
      event_id: 'event_1',
      response_id: 'resp_002',
      item_id: 'msg_008',
      output_index: 0,
      content_index: 0,
      delta: 'Hello wo',
    });
    send({
      type: 'response.done',
      event_id: 'event_2',
      response: {
        id: 'resp_002',
        object: 'realtime.response',
        status,
        status_details: { type: status, reason },
        output: [],
        usage: { total_tokens: 45, input_tokens: 40, output_tokens: 5 },
      },
    });
  };
}

/** GA-dialect answer: output audio transcript deltas, input transcription, `response.done` without deltas in it. */
const gaAnswer: RealtimeScript = (ev, send) => {
  if (ev.type !== 'response.create') return;
  const delta: Ga.ResponseAudioTranscriptDeltaEvent = {
    type: 'response.output_audio_transcript.delta',
    event_id: 'event_1',
    response_id: 'resp_1',
    item_id: 'item_1',
    output_index: 0,
    content_index: 0,
    delta: 'ask not',
  };
  send(delta);
  const transcript: Ga.ConversationItemInputAudioTranscriptionCompletedEvent = {
    type: 'conversation.item.input_audio_transcription.completed',
    event_id: 'event_2',
    item_id: 'item_0',
    content_index: 0,
    transcript: 'and so my fellow americans',
    usage: { type: 'duration', seconds: 1 },
  };
  send(transcript);
  const done: Ga.ResponseDoneEvent = {
    type: 'response.done',
    event_id: 'event_3',
    response: { id: 'resp_1', object: 'realtime.response', status: 'completed' },
  };
  send(done);
};

describe('openai-realtime: session and handshake', () => {
  it('GA: Bearer auth, no beta header, documented session.update, model in the query', async () => {
    const model = await createRealtimeModel(config({ api: 'ga', instructions: 'Transcribe the user.', transcriptionModel: 'whisper-1' }), { env });
    expect(model.inputSampleRateHz).toBe(24000);
    const next = server.nextSession();
    const conn = await model.connect({});
    const session = await next;
    await expect.poll(() => session.received.length).toBe(1);
    expect(session.url).toBe('/v1/realtime?model=gpt-4o-realtime-preview');
    expect(session.headers.authorization).toBe(`Bearer ${secret}`);
    expect(session.headers['openai-beta']).toBeUndefined();
    const expected = {
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        instructions: 'Transcribe the user.',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: 'whisper-1' }, turn_detection: null } },
      },
    } satisfies Ga.SessionUpdateEvent;
    expect(session.received[0]).toEqual(expected);
    await conn.close();
    await expect(session.closed).resolves.toBe(1000);
  });

  it('beta: OpenAI-Beta header and the beta session.update', async () => {
    const model = await createRealtimeModel(config({ api: 'beta', turnDetection: 'server_vad' }), { env });
    const next = server.nextSession();
    const conn = await model.connect({});
    const session = await next;
    await expect.poll(() => session.received.length).toBe(1);
    expect(session.headers['openai-beta']).toBe('realtime=v1');
    const expected = {
      type: 'session.update',
      session: { modalities: ['text'], input_audio_format: 'pcm16', turn_detection: { type: 'server_vad' } },
    } satisfies Beta.SessionUpdateEvent;
    expect(session.received[0]).toEqual(expected);
    await conn.close();
  });

  it('maps a refused handshake: 401 not retryable, 429 retryable with Retry-After', async () => {
    const model = await createRealtimeModel(config(), { env });
    server.refuse = { status: 401 };
    await expect(model.connect({})).rejects.toMatchObject({ statusCode: 401, retryable: false });
    server.refuse = { status: 429, headers: { 'retry-after': '3' } };
    await expect(model.connect({})).rejects.toMatchObject({ statusCode: 429, retryable: true, retryAfterMs: 3000 });
  });

  it('fails without the secret before connecting', async () => {
    const model = await createRealtimeModel(config(), { env: {} });
    await expect(model.connect({})).rejects.toMatchObject({ code: 'EVALGATE_ERR_MISSING_SECRET' });
    expect(server.sessions).toHaveLength(0);
  });
});

describe('openai-realtime: live connection', () => {
  it('sends append/commit/clear/cancel events and normalises both dialects’ server events', async () => {
    const model = await createRealtimeModel(config(), { env });
    const next = server.nextSession();
    const conn = await model.connect({});
    const session = await next;
    const pcm = new Int16Array([0, 1, -1, 32767, -32768]);
    conn.appendAudio(pcm);
    conn.commit();
    conn.clear();
    conn.cancel();
    await expect.poll(() => session.received.length).toBe(6);
    expect(session.received.slice(1)).toEqual([
      { type: 'input_audio_buffer.append', audio: Buffer.from(pcm.buffer).toString('base64') },
      { type: 'input_audio_buffer.commit' },
      { type: 'response.create' },
      { type: 'input_audio_buffer.clear' },
      { type: 'response.cancel' },
    ] satisfies Ga.RealtimeClientEvent[]);
    const send = (ev: unknown): void => session.socket.send(JSON.stringify(ev));
    send({ type: 'input_audio_buffer.speech_started', event_id: 'e1', audio_start_ms: 1000, item_id: 'i' });
    send({ type: 'input_audio_buffer.speech_stopped', event_id: 'e2', audio_end_ms: 2000, item_id: 'i' });
    send({ type: 'response.audio_transcript.delta', delta: 'a' });
    send({ type: 'response.output_audio_transcript.delta', delta: 'b' });
    send({ type: 'response.text.delta', delta: 'c' });
    send({ type: 'response.output_text.delta', delta: 'd' });
    send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'i', transcript: 'heard' });
    send({ type: 'error', event_id: 'e9', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'bad', param: null } });
    send({ type: 'response.done', response: { status: 'completed', output: [] } });
    session.socket.close(1000);
    const events: RealtimeUpstreamEvent[] = [];
    for await (const ev of conn.events()) events.push(ev);
    expect(events).toEqual([
      { type: 'speech-started', audioStartMs: 1000 },
      { type: 'speech-stopped', audioEndMs: 2000 },
      { type: 'transcript-delta', delta: 'a' },
      { type: 'transcript-delta', delta: 'b' },
      { type: 'text-delta', delta: 'c' },
      { type: 'text-delta', delta: 'd' },
      { type: 'input-transcript', text: 'heard', itemId: 'i' },
      { type: 'error', message: 'bad', code: 'invalid_value' },
      { type: 'response-done', text: 'cd', raw: { type: 'response.done', response: { status: 'completed', output: [] } } },
    ]);
  });

  it('delivers every event in order when the consumer is slower than the upstream (bounded queue, no drops)', async () => {
    const model = await createRealtimeModel(config(), { env });
    const next = server.nextSession();
    const conn = await model.connect({});
    const session = await next;
    const n = 2000;
    for (let i = 0; i < n; i++) session.socket.send(JSON.stringify({ type: 'response.text.delta', delta: `${i},` }));
    session.socket.close(1000);
    let text = '';
    let count = 0;
    for await (const ev of conn.events()) {
      if (ev.type !== 'text-delta') continue;
      text += ev.delta;
      if (++count % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(count).toBe(n);
    expect(text).toBe(Array.from({ length: n }, (_, i) => `${i},`).join(''));
  });

  it('reports an unexpected upstream close as an error event, then ends', async () => {
    const model = await createRealtimeModel(config(), { env });
    const next = server.nextSession();
    const conn = await model.connect({});
    (await next).socket.close(1011, 'boom');
    const events: RealtimeUpstreamEvent[] = [];
    for await (const ev of conn.events()) events.push(ev);
    expect(events).toEqual([{ type: 'error', message: expect.stringContaining('1011 boom'), code: 'upstream_closed' }]);
  });
});

describe('openai-realtime: batch doGenerate', () => {
  it('beta: appends the whole audio as PCM16 at 24 kHz, commits, and returns the response text', async () => {
    server.script = betaAnswer;
    const model = await createModel(config({ api: 'beta' }), { env });
    expect(model.capabilities.realtime).toBe(true);
    const result = await model.doGenerate({ system: 'Repeat after me.', parts: [{ type: 'text', text: 'Please transcribe.' }, audioPart] });
    expect(result.text).toBe('Hello world');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 40, outputTokens: 10 });
    const session = defined(server.sessions[0], 'a realtime session');
    const received = session.received;
    expect(received.map((e) => e.type)).toEqual([
      'session.update',
      'conversation.item.create',
      'input_audio_buffer.append',
      'input_audio_buffer.commit',
      'response.create',
    ]);
    expect((received[0]?.session as { instructions?: string } | undefined)?.instructions).toBe('Repeat after me.');
    expect(received[1]).toEqual({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Please transcribe.' }] },
    } satisfies Beta.ConversationItemCreateEvent);
    const sent = Buffer.from(defined(received[2], 'the appended audio').audio as string, 'base64');
    const pcm = new Int16Array(sent.buffer, sent.byteOffset, sent.byteLength / 2);
    expect(pcm.length).toBe(24000);
    expect(Array.from(pcm)).toEqual(Array.from(audioAsPcm16(audioPart, 24000)));
    await expect(session.closed).resolves.toBe(1000);
  });

  it('maps response.done status: incomplete max_output_tokens is length, content_filter is filter, turn_detected and cancelled are error', async () => {
    const model = await createModel(config({ api: 'beta' }), { env });
    const cases = [
      ['incomplete', 'max_output_tokens', 'length'],
      ['incomplete', 'content_filter', 'filter'],
      ['incomplete', 'turn_detected', 'error'],
      ['cancelled', 'client_cancelled', 'error'],
    ] as const;
    for (const [status, reason, expected] of cases) {
      server.script = unfinishedAnswer(status, reason);
      const result = await model.doGenerate({ parts: [audioPart] });
      expect(result.text).toBe('Hello wo');
      expect(result.finishReason, `${status} ${reason}`).toBe(expected);
      expect(result.warnings).toEqual([]);
    }
  });

  it('GA: takes the input transcription when resultSource is input-transcription', async () => {
    server.script = gaAnswer;
    const model = await createModel(config({ transcriptionModel: 'gpt-4o-transcribe', resultSource: 'input-transcription' }), { env });
    const result = await model.doGenerate({ parts: [audioPart] });
    expect(result.text).toBe('and so my fellow americans');
    const responseOnly = await createModel(config(), { env });
    await expect(responseOnly.doGenerate({ parts: [audioPart] })).resolves.toMatchObject({ text: 'ask not' });
  });

  it('maps upstream error events: invalid request not retryable, rate limit retryable', async () => {
    let code = 'invalid_value';
    server.script = (ev, send) => {
      if (ev.type === 'response.create') send({ type: 'error', event_id: 'e', error: { type: 'invalid_request_error', code, message: 'nope', param: null } });
    };
    const model = await createModel(config(), { env });
    await expect(model.doGenerate({ parts: [audioPart] })).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('nope') });
    code = 'rate_limit_exceeded';
    await expect(model.doGenerate({ parts: [audioPart] })).rejects.toMatchObject({ retryable: true });
  });

  it('maps an upstream that drops mid-response to retryable', async () => {
    server.script = (ev, send, s) => {
      if (ev.type !== 'response.create') return;
      send({ type: 'response.text.delta', delta: 'half' });
      s.socket.terminate();
    };
    const model = await createModel(config(), { env });
    const err = await model.doGenerate({ parts: [audioPart] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: true });
  });

  it('aborts through the signal and closes the upstream', async () => {
    const controller = new AbortController();
    server.script = (ev) => {
      if (ev.type === 'response.create') controller.abort(new DOMException('timed out', 'TimeoutError'));
    };
    const model = await createModel(config(), { env });
    const err = await model.doGenerate({ parts: [audioPart], signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelCallError);
    expect(err).toMatchObject({ retryable: true });
    await defined(server.sessions[0], 'a realtime session').closed;
  });

  it('warns about temperature instead of failing', async () => {
    server.script = betaAnswer;
    const model = await createModel(config({ api: 'beta' }), { env });
    const result = await model.doGenerate({ parts: [audioPart], temperature: 0 });
    expect(result.warnings).toEqual([expect.stringContaining('temperature')]);
  });
});
