// The Realtime API's event sequence, item ids and session options, as reference clients
// (openai-realtime-api-beta, the agents SDKs) rely on them: every response announces its
// assistant item and content part before the deltas and closes them after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../gateway/models/spec/model-v1.js';
import { startScriptedRealtimeUpstream } from './servers/scripted-realtime-upstream.js';
import {
  b64,
  chunksOf,
  eventually,
  hasRealdata,
  rawClient,
  scriptedModel,
  startGateway,
  useScriptedAdapter,
  wavPcm16,
  type Msg,
  type TestGateway,
} from './live-kit.js';

/** What the scripted model answers: enough to see what reached it. */
function describeRequest(req: ModelRequest): string {
  const text = req.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('|');
  if (text.includes('please fail')) throw new Error('scripted failure');
  const audio = req.parts.find((p) => p.type === 'audio') as { durationS?: number } | undefined;
  return `system=${JSON.stringify(req.system ?? '')} parts=${req.parts.map((p) => p.type).join(',')} text=${text} audio=${audio?.durationS?.toFixed(2) ?? '-'}`;
}

const after = (msgs: Msg[], from: number): Msg[] => msgs.slice(from);
const typesOf = (msgs: Msg[]): string[] => msgs.map((m) => m.type).filter((t, i, a) => !(t.endsWith('.delta') && a[i - 1] === t));
const pcm = (seconds: number, rate: number): Int16Array =>
  Int16Array.from({ length: Math.round(seconds * rate) }, (_, i) => Math.round(3000 * Math.sin(i / 9)));

describe('Realtime event sequence and items', () => {
  let gw: TestGateway;
  let key: string;
  let scripted: ReturnType<typeof useScriptedAdapter>;
  let hanging: ReturnType<typeof useScriptedAdapter>;
  beforeAll(async () => {
    scripted = useScriptedAdapter(() => scriptedModel({ latencyMs: 20, deltas: 3, reply: describeRequest }));
    hanging = useScriptedAdapter(() => scriptedModel({ hang: true }));
    gw = await startGateway({
      tls: false,
      models: [
        { id: 'm', adapter: scripted.adapter, kind: 'specialist', options: {} },
        { id: 'slow', adapter: hanging.adapter, kind: 'specialist', options: {} },
      ],
    });
    key = await gw.key('submitter');
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    scripted?.dispose();
    hanging?.dispose();
  });

  it('beta: committed audio → user item; response → output item, content part, deltas, then done events, with one assistant item id', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=m', key, { 'OpenAI-Beta': 'realtime=v1' });
    c.send({
      type: 'session.update',
      session: { input_audio_format: 'pcm16', turn_detection: null, instructions: 'Transcribe.', evalgate: { sample_rate_hz: 16000 } },
    });
    await eventually(() => c.msgs.find((m) => m.type === 'session.updated'), 'session.updated');
    // Re-sending the format without the rate extension keeps 16 kHz.
    const n0 = c.msgs.length;
    c.send({ type: 'session.update', session: { input_audio_format: 'pcm16' } });
    const updated = await eventually(() => after(c.msgs, n0).find((m) => m.type === 'session.updated'), 'second session.updated');
    expect(updated.session as { evalgate: { sample_rate_hz: number }; instructions: string }).toMatchObject({
      evalgate: { sample_rate_hz: 16000 },
      instructions: 'Transcribe.',
    });

    const start = c.msgs.length;
    c.send({ type: 'input_audio_buffer.append', audio: b64(pcm(0.5, 16000)) });
    c.send({ type: 'input_audio_buffer.commit' });
    c.send({ type: 'response.create' });
    await eventually(() => after(c.msgs, start).find((m) => m.type === 'response.done'), 'response.done');
    const turn = after(c.msgs, start);
    expect(typesOf(turn)).toEqual([
      'input_audio_buffer.committed',
      'conversation.item.created',
      'response.created',
      'response.output_item.added',
      'conversation.item.created',
      'response.content_part.added',
      'response.text.delta',
      'response.text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.done',
    ]);
    const userItem = turn[0]?.item_id as string;
    expect(turn[0]?.previous_item_id).toBeNull();
    const added = turn.find((m) => m.type === 'response.output_item.added')!;
    const assistantId = (added.item as { id: string; role: string }).id;
    expect(added.item).toMatchObject({ role: 'assistant', status: 'in_progress', type: 'message' });
    const assistantCreated = turn.filter((m) => m.type === 'conversation.item.created')[1];
    expect(assistantCreated).toMatchObject({ previous_item_id: userItem, item: { id: assistantId, role: 'assistant' } });
    const responseId = (turn.find((m) => m.type === 'response.created')!.response as { id: string }).id;
    for (const m of turn.filter((x) => x.type.startsWith('response.') && x.type !== 'response.created' && x.type !== 'response.done')) {
      expect(m.response_id, m.type).toBe(responseId);
      if (m.type !== 'response.output_item.added' && m.type !== 'response.output_item.done') expect(m.item_id, m.type).toBe(assistantId);
    }
    const deltas = turn
      .filter((m) => m.type === 'response.text.delta')
      .map((m) => m.delta as string)
      .join('');
    expect(deltas).toBe('system="Transcribe." parts=audio text= audio=0.50');
    const done = turn.at(-1)!.response as {
      status: string;
      status_details: unknown;
      output: { id: string; status: string; content: { type: string; text: string }[] }[];
    };
    expect(done).toMatchObject({ status: 'completed', status_details: null });
    expect(done.output).toEqual([expect.objectContaining({ id: assistantId, status: 'completed', content: [{ type: 'text', text: deltas }] })]);

    // A client-chosen id is kept; previous_item_id follows the conversation across turns.
    const mark = c.msgs.length;
    c.send({ type: 'conversation.item.create', item: { id: 'my_item_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
    c.send({ type: 'conversation.item.create', item: { id: 'my_item_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'again' }] } });
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }] } });
    c.send({ type: 'response.create' });
    await eventually(() => after(c.msgs, mark).find((m) => m.type === 'response.done'), 'second response.done');
    const second = after(c.msgs, mark);
    const items = second.filter((m) => m.type === 'conversation.item.created');
    expect(items[0]).toMatchObject({ previous_item_id: assistantId, item: { id: 'my_item_1', role: 'user' } });
    expect(items[1]).toMatchObject({ previous_item_id: 'my_item_1', item: { role: 'system' } });
    expect(second.find((m) => m.type === 'error')?.error).toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT', param: 'item.id' });
    const text = second
      .filter((m) => m.type === 'response.text.delta')
      .map((m) => m.delta as string)
      .join('');
    expect(text).toBe('system="Transcribe.\\n\\nBe brief." parts=text text=hello audio=-');
    c.ws.close(1000);
    await c.closed;
  });

  it('GA: user and assistant items are added and done; input_audio content parts reach the model as audio', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=m', key);
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } } } });
    await eventually(() => c.msgs.find((m) => m.type === 'session.updated'), 'session.updated');
    const start = c.msgs.length;
    c.send({
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_audio', audio: b64(pcm(0.25, 24000)) },
          { type: 'input_text', text: 'what was said?' },
        ],
      },
    });
    c.send({ type: 'response.create' });
    await eventually(() => after(c.msgs, start).find((m) => m.type === 'response.done'), 'response.done');
    const turn = after(c.msgs, start);
    expect(typesOf(turn)).toEqual([
      'conversation.item.added',
      'conversation.item.done',
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const userId = (turn[0]?.item as { id: string }).id;
    const assistantDone = turn.filter((m) => m.type === 'conversation.item.done')[1];
    expect(assistantDone).toMatchObject({ previous_item_id: userId, item: { role: 'assistant', status: 'completed' } });
    const done = turn.at(-1)!.response as { output: { content: { type: string; text: string }[] }[] };
    expect(done.output[0]?.content[0]).toEqual({ type: 'output_text', text: 'system="" parts=audio,text text=what was said? audio=0.25' });
    c.ws.close(1000);
    await c.closed;
  });

  it('response.instructions replaces the session instructions for that response only', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=m', key);
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be terse.' } });
    const answers: (string | undefined)[] = [];
    for (const response of [{ instructions: 'Answer in French.' }, {}]) {
      const mark = c.msgs.length;
      c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } });
      c.send({ type: 'response.create', response });
      const done = await eventually(() => after(c.msgs, mark).find((m) => m.type === 'response.done'), 'response.done');
      answers.push((done.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text);
    }
    expect(answers).toEqual(['system="Answer in French." parts=text text=hi audio=-', 'system="Be terse." parts=text text=hi audio=-']);
    c.ws.close(1000);
    await c.closed;
  });

  it('a cancelled response ends incomplete with status_details.reason; a failed one carries its error in response.done only', async () => {
    const slow = await rawClient(gw, '/v1/realtime?model=slow', key);
    slow.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    slow.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } });
    slow.send({ type: 'response.create' });
    await eventually(() => slow.msgs.find((m) => m.type === 'response.content_part.added'), 'response started');
    slow.send({ type: 'response.cancel' });
    const cancelled = await eventually(() => slow.msgs.find((m) => m.type === 'response.done'), 'cancelled response.done');
    expect(cancelled.response).toMatchObject({
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'client_cancelled' },
      output: [{ status: 'incomplete' }],
    });
    expect(slow.msgs.find((m) => m.type === 'response.output_item.done')?.item).toMatchObject({ status: 'incomplete' });
    slow.ws.close(1000);
    await slow.closed;

    const c = await rawClient(gw, '/v1/realtime?model=m', key);
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'please fail' }] } });
    c.send({ type: 'response.create' });
    const failed = await eventually(() => c.msgs.find((m) => m.type === 'response.done'), 'failed response.done');
    expect(failed.response).toMatchObject({
      status: 'failed',
      status_details: { type: 'failed', error: { code: 'EVALGATE_ERR_MODEL_CALL_FAILED' } },
      output: [{ status: 'incomplete' }],
    });
    expect(c.msgs.filter((m) => m.type === 'error')).toEqual([]);
    c.ws.close(1000);
    await c.closed;
  });

  it.skipIf(!hasRealdata)('semantic_vad is accepted; create_response: false leaves the response to the client', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=m', key);
    c.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 24000 },
            turn_detection: { type: 'semantic_vad', eagerness: 'high', create_response: false, interrupt_response: true },
          },
        },
      },
    });
    const updated = await eventually(() => c.msgs.find((m) => m.type === 'session.updated'), 'session.updated');
    expect((updated.session as { audio: { input: { turn_detection: unknown } } }).audio.input.turn_detection).toEqual({
      type: 'semantic_vad',
      eagerness: 'high',
      create_response: false,
      interrupt_response: true,
    });
    const speech = await wavPcm16('jfk.wav', 24000);
    for (const chunk of [...chunksOf(speech.subarray(0, 24000 * 3), 24000, 100), ...chunksOf(new Int16Array(24000), 24000, 100)]) {
      c.send({ type: 'input_audio_buffer.append', audio: b64(chunk) });
    }
    await eventually(() => c.msgs.find((m) => m.type === 'input_audio_buffer.committed'), 'a VAD turn', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(c.msgs.some((m) => m.type === 'response.created')).toBe(false);
    c.send({ type: 'response.create' });
    const done = await eventually(() => c.msgs.find((m) => m.type === 'response.done'), 'response.done');
    expect((done.response as { status: string }).status).toBe('completed');
    c.ws.close(1000);
    await c.closed;
  });

  it.skipIf(!hasRealdata)('interrupt_response: true cancels the running response when speech starts again (reason turn_detected)', async () => {
    const c = await rawClient(gw, '/v1/realtime?model=slow', key);
    c.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: {
          input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad', silence_duration_ms: 200, interrupt_response: true } },
        },
      },
    });
    await eventually(() => c.msgs.find((m) => m.type === 'session.updated'), 'session.updated');
    const speech = await wavPcm16('jfk.wav', 24000);
    for (const chunk of chunksOf(speech, 24000, 100)) c.send({ type: 'input_audio_buffer.append', audio: b64(chunk) });
    const done = await eventually(() => c.msgs.find((m) => m.type === 'response.done'), 'an interrupted response', 30_000);
    expect(done.response).toMatchObject({ status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } });
    const doneAt = c.msgs.indexOf(done);
    const lastStart = c.msgs
      .slice(0, doneAt)
      .map((m) => m.type)
      .lastIndexOf('input_audio_buffer.speech_started');
    expect(lastStart).toBeGreaterThan(c.msgs.findIndex((m) => m.type === 'response.created'));
    c.ws.close(1000);
    await c.closed;
  });
});

type Client = Awaited<ReturnType<typeof rawClient>>;
type Upstream = Awaited<ReturnType<typeof startScriptedRealtimeUpstream>>;

/** A gateway in front of a scripted realtime upstream, and one GA client with explicit commits. */
async function withRealtimeUpstream(
  upstream: Parameters<typeof startScriptedRealtimeUpstream>[0],
  live: Parameters<typeof startGateway>[0]['live'],
  body: (c: Client, up: Upstream) => Promise<void>,
): Promise<void> {
  const up = await startScriptedRealtimeUpstream(upstream);
  const gw = await startGateway({
    tls: false,
    models: [{ id: 'rt', adapter: 'openai-realtime', kind: 'generalist', model: 'gpt-realtime', baseUrl: up.url, options: {} }],
    live,
  });
  try {
    const c = await rawClient(gw, '/v1/realtime?model=rt', await gw.key('submitter'));
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } } } });
    await eventually(() => c.msgs.find((m) => m.type === 'session.updated'), 'session.updated');
    await body(c, up);
    c.ws.close(1000);
    await c.closed;
  } finally {
    await gw.close();
    await up.close();
  }
}

/** Half a second of audio, committed, and a response asked for; resolves with that turn's response.done. */
async function turn(c: Client, what: string): Promise<Msg> {
  const mark = c.msgs.length;
  c.send({ type: 'input_audio_buffer.append', audio: b64(pcm(0.5, 24000)) });
  c.send({ type: 'input_audio_buffer.commit' });
  c.send({ type: 'response.create' });
  return eventually(() => after(c.msgs, mark).find((m) => m.type === 'response.done'), what);
}

/** A turn cancelled as soon as the gateway has created its response. */
async function cancelledTurn(c: Client): Promise<void> {
  const mark = c.msgs.length;
  c.send({ type: 'input_audio_buffer.append', audio: b64(pcm(0.5, 24000)) });
  c.send({ type: 'input_audio_buffer.commit' });
  c.send({ type: 'response.create' });
  await eventually(() => after(c.msgs, mark).find((m) => m.type === 'response.created'), 'response.created');
  c.send({ type: 'response.cancel' });
  const done = await eventually(() => after(c.msgs, mark).find((m) => m.type === 'response.done'), 'cancelled response');
  expect((done.response as { status: string }).status).toBe('cancelled');
}

describe('a realtime upstream behind the session', () => {
  it('drops the late answer of a cancelled response instead of giving it to the next utterance', async () => {
    await withRealtimeUpstream({ reply: (t) => `answer ${t}`, latencyMs: 300, cancelNotActive: true }, undefined, async (c, up) => {
      await cancelledTurn(c);
      const mark = c.msgs.length;
      const second = await turn(c, 'second response.done');
      expect(second.response).toMatchObject({ status: 'completed', output: [{ content: [{ text: 'answer 1' }] }] });
      expect(
        after(c.msgs, mark)
          .filter((m) => m.type.endsWith('text.delta'))
          .map((m) => m.delta)
          .join(''),
      ).toBe('answer 1');
      // The upstream was asked to cancel; its "no active response" reply did not fail anything.
      expect(up.cancels).toBeGreaterThanOrEqual(1);
      expect(c.msgs.filter((m) => m.type === 'error')).toEqual([]);
    });
  });

  it('a cancel well before the next turn does not make later turns wait for answers that were dropped', async () => {
    await withRealtimeUpstream({ reply: (t) => `answer ${t}`, latencyMs: 200, cancelNotActive: true }, undefined, async (c) => {
      await cancelledTurn(c);
      // Long enough for the upstream to answer the cancelled request while nothing waits.
      await new Promise((r) => setTimeout(r, 800));
      for (const n of [1, 2])
        expect((await turn(c, `turn ${n}`)).response).toMatchObject({ status: 'completed', output: [{ content: [{ text: `answer ${n}` }] }] });
    });
  });

  it('passes on an answer the upstream cut short as incomplete, with its reason and partial text', async () => {
    await withRealtimeUpstream({ reply: () => 'the first part of', latencyMs: 20, incompleteReason: 'max_output_tokens' }, undefined, async (c) => {
      const done = await turn(c, 'incomplete response.done');
      expect(done.response).toMatchObject({
        status: 'incomplete',
        status_details: { type: 'incomplete', reason: 'max_output_tokens' },
        output: [{ status: 'incomplete', content: [{ type: 'output_text', text: 'the first part of' }] }],
      });
    });
  });

  it('refuses input_audio items for a realtime model, whose audio goes through the input buffer', async () => {
    await withRealtimeUpstream({ reply: () => 'ok', latencyMs: 20 }, undefined, async (c) => {
      c.send({
        type: 'conversation.item.create',
        event_id: 'evt_item',
        item: { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: b64(pcm(0.1, 24000)) }] },
      });
      const err = await eventually(() => c.msgs.find((m) => m.type === 'error'), 'error');
      expect(err.error).toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT', param: 'item.content', event_id: 'evt_item' });
      expect(c.msgs.some((m) => m.type === 'conversation.item.added')).toBe(false);
    });
  });

  // A short model timeout: an abort listener left behind would fire within the test and throw there.
  it('an upstream that went away fails the utterance cleanly (no crash when its cancel cannot be sent)', async () => {
    await withRealtimeUpstream({ reply: () => 'never', latencyMs: 20 }, { modelTimeoutMs: 1000 }, async (c, up) => {
      await up.close();
      await new Promise((r) => setTimeout(r, 200));
      const done = await turn(c, 'failed response.done');
      expect(done.response).toMatchObject({ status: 'failed', status_details: { type: 'failed', error: { code: 'EVALGATE_ERR_MODEL_CALL_FAILED' } } });
      await new Promise((r) => setTimeout(r, 1500));
    });
  });
});
