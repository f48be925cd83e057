import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';
import { OpenAIRealtimeWS as BetaRealtimeWS } from 'openai/beta/realtime/ws';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterNames } from '../../gateway/models/create-model.js';
import { startScriptedChatUpstream } from './servers/scripted-chat-upstream.js';
import { startScriptedRealtimeUpstream } from './servers/scripted-realtime-upstream.js';
import { b64, chunksOf, eventually, hasRealdata, insertAsrSample, JFK_TEXT, startGateway, wavPcm16, type TestGateway } from './live-kit.js';
import { defined } from '../helpers/defined.js';

type AnyEvent = { type: string; [k: string]: unknown };

/** Collects every server event of an SDK client. */
function collect(rt: { on(ev: 'event', cb: (e: AnyEvent) => void): unknown; on(ev: 'error', cb: (e: Error) => void): unknown }): AnyEvent[] {
  const events: AnyEvent[] = [];
  rt.on('event', (e) => events.push(e));
  rt.on('error', () => undefined);
  return events;
}

const opened = (socket: { once(ev: 'open', cb: () => void): unknown; once(ev: 'error', cb: (e: Error) => void): unknown }): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });

describe.skipIf(!hasRealdata)('OpenAI SDK realtime clients through the gateway (realdata)', () => {
  let gw: TestGateway;
  let rtUp: Awaited<ReturnType<typeof startScriptedRealtimeUpstream>>;
  let chatUp: Awaited<ReturnType<typeof startScriptedChatUpstream>>;
  // The scripted realtime upstream "transcribes" JFK with one word dropped, so WER is exactly 1/22.
  const jfkHeard = JFK_TEXT.replace('And so my', 'And my');

  beforeAll(async () => {
    rtUp = await startScriptedRealtimeUpstream({ reply: (_t, s) => (s > 10 ? jfkHeard : 'it was the first great sorrow of his life'), latencyMs: 30 });
    chatUp = await startScriptedChatUpstream({ reply: (i, s) => `turn ${i} lasted ${s.toFixed(2)} seconds`, latencyMs: 30 });
    gw = await startGateway({
      models: [
        { id: 'rt', adapter: 'openai-realtime', kind: 'generalist', model: 'gpt-realtime', baseUrl: rtUp.url, options: {} },
        { id: 'chat', adapter: 'openai-chat', kind: 'generalist', model: 'gpt-4o-audio-preview', baseUrl: chatUp.url, options: {} },
        ...(adapterNames.includes('pocketsphinx') ? [{ id: 'sphinx', adapter: 'pocketsphinx', kind: 'specialist' as const, options: {} }] : []),
      ],
    });
    await insertAsrSample(gw, { name: 'realdata', sample: 'jfk', reference: JFK_TEXT });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await rtUp?.close();
    await chatUp?.close();
  });

  it('GA client → scripted realtime upstream: explicit commit, scored against the bound sample, persisted', async () => {
    const key = await gw.key('evaluator');
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'rt', options: { ca: gw.cert } }, client);
    const events = collect(rt);
    await opened(rt.socket);
    rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } } } });
    const pcm = await wavPcm16('jfk.wav', 24000);
    for (const c of chunksOf(pcm, 24000, 100)) rt.send({ type: 'input_audio_buffer.append', audio: b64(c) });
    rt.send({ type: 'input_audio_buffer.commit' });
    rt.send({ type: 'response.create', response: { evalgate: { dataset: 'realdata', sample: 'jfk' } } as never });
    const done = await eventually(() => events.find((e) => e.type === 'response.done'), 'response.done');
    rt.close();

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('session.created');
    expect(types).toContain('session.updated');
    expect(types).toContain('input_audio_buffer.committed');
    expect(types).toContain('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.text.delta');
    expect(types).not.toContain('error');
    const response = done.response as {
      status: string;
      output: { content: { text: string }[] }[];
      evalgate: { latency: { final_ms: number; first_token_ms: number; audio_seconds: number }; scores: { wer: number } };
    };
    expect(response.status).toBe('completed');
    expect(response.output[0]?.content[0]?.text).toBe(jfkHeard);
    expect(response.evalgate.scores.wer).toBeCloseTo(1 / 22, 10);
    expect(response.evalgate.latency.audio_seconds).toBeCloseTo(11, 1);
    expect(response.evalgate.latency.final_ms).toBeGreaterThanOrEqual(response.evalgate.latency.first_token_ms);
    // The stored reference ("And so my…") never reaches the client; only the model's own words do.
    expect(JSON.stringify(events)).not.toContain('And so my');
    expect(rtUp.turns.at(-1)!.audioSeconds).toBeCloseTo(11, 1);

    const db = gw.ts.store.db;
    const session = await eventually(async () => {
      const s = await db.selectFrom('stream_sessions').selectAll().where('model_id', '=', 'rt').executeTakeFirst();
      return s?.status === 'closed' ? s : undefined;
    }, 'session closed');
    expect(session.protocol).toBe('realtime');
    expect(session.audio_seconds).toBeCloseTo(11, 1);
    const u = await db.selectFrom('utterances').selectAll().where('session_id', '=', session.id).executeTakeFirstOrThrow();
    expect(u.status).toBe('ok');
    expect(u.transcript).toBe(jfkHeard);
    expect(u.scores?.wer).toBeCloseTo(1 / 22, 10);
    expect(u.sample_id).not.toBeNull();
    expect(u.latency_final_ms).toBeGreaterThan(0);
    expect(u.real_time_factor).toBeGreaterThan(0);
  });

  it('beta client gets beta event names; a viewer-less submitter key sees no scores', async () => {
    const key = await gw.key('submitter');
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1` });
    const rt = new BetaRealtimeWS({ model: 'rt', options: { ca: gw.cert } }, client);
    const events = collect(rt);
    await opened(rt.socket);
    rt.send({ type: 'session.update', session: { input_audio_format: 'pcm16', turn_detection: null as never } });
    const pcm = await wavPcm16('librispeech-1995-1837-0001.wav', 24000);
    for (const c of chunksOf(pcm, 24000, 200)) rt.send({ type: 'input_audio_buffer.append', audio: b64(c) });
    rt.send({ type: 'input_audio_buffer.commit' });
    rt.send({ type: 'response.create', response: { evalgate: { dataset: 'realdata', sample: 'jfk' } } as never });
    const done = await eventually(() => events.find((e) => e.type === 'response.done'), 'response.done');
    rt.close();
    const types = events.map((e) => e.type);
    expect(types).toContain('response.text.delta');
    expect(types).toContain('conversation.item.created');
    expect(types).not.toContain('response.output_text.delta');
    const r = done.response as { status: string; evalgate: Record<string, unknown> };
    expect(r.status).toBe('completed');
    expect(r.evalgate.scores).toBeUndefined();
  });

  it('GA client → scripted OpenAI-chat upstream with server_vad turns: one request per detected utterance', async () => {
    const key = await gw.key('submitter');
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'chat', options: { ca: gw.cert } }, client);
    const events = collect(rt);
    await opened(rt.socket);
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } },
      },
    });
    const before = chatUp.requests.length;
    const pcm = await wavPcm16('jfk.wav', 24000);
    const silence = new Int16Array(24000 * 1.5);
    for (const c of [...chunksOf(pcm, 24000, 100), ...chunksOf(silence, 24000, 100)]) rt.send({ type: 'input_audio_buffer.append', audio: b64(c) });
    await eventually(() => events.find((e) => e.type === 'response.done'), 'first VAD response');
    rt.close();

    const db = gw.ts.store.db;
    const session = await eventually(async () => {
      const s = await db.selectFrom('stream_sessions').selectAll().where('model_id', '=', 'chat').executeTakeFirst();
      return s?.status === 'closed' ? s : undefined;
    }, 'chat session closed');
    const rows = await db.selectFrom('utterances').selectAll().where('session_id', '=', session.id).orderBy('seq').execute();
    const reqs = chatUp.requests.slice(before);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(reqs.length).toBe(rows.length);
    let lastEnd = 0;
    let speech = 0;
    rows.forEach((r, i) => {
      expect(r.status).toBe('ok');
      const req = defined(reqs[i], `request ${i}`);
      expect(r.transcript).toBe(`turn ${before + i} lasted ${req.audioSeconds.toFixed(2)} seconds`);
      expect(req.sampleRateHz).toBe(24000);
      expect(r.audio_seconds).toBeCloseTo(req.audioSeconds, 2);
      expect(r.speech_start_s!).toBeGreaterThanOrEqual(lastEnd);
      expect(r.speech_end_s!).toBeGreaterThan(r.speech_start_s!);
      expect(r.speech_end_s!).toBeLessThanOrEqual(12.6);
      lastEnd = r.speech_end_s!;
      speech += r.audio_seconds!;
    });
    // JFK is about 11 s with short pauses: the turns cover most of it.
    expect(speech).toBeGreaterThan(6);
    expect(events.filter((e) => e.type === 'input_audio_buffer.speech_started').length).toBeGreaterThanOrEqual(1);
  });

  const sphinx =
    adapterNames.includes('pocketsphinx') &&
    (() => {
      try {
        execFileSync('which', ['pocketsphinx_continuous'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
  it.skipIf(!sphinx)(
    'GA client → pocketsphinx specialist (skips unless the pocketsphinx adapter and Debian pocketsphinx are installed)',
    async () => {
      const key = await gw.key('evaluator');
      const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1` });
      const rt = new OpenAIRealtimeWS({ model: 'sphinx', options: { ca: gw.cert } }, client);
      const events = collect(rt);
      await opened(rt.socket);
      rt.send({
        type: 'session.update',
        session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 as 24000 }, turn_detection: null } } },
      });
      const pcm = await wavPcm16('jfk.wav', 16000);
      for (const c of chunksOf(pcm, 16000, 100)) rt.send({ type: 'input_audio_buffer.append', audio: b64(c) });
      rt.send({ type: 'input_audio_buffer.commit' });
      rt.send({ type: 'response.create', response: { evalgate: { dataset: 'realdata', sample: 'jfk' } } as never });
      const done = await eventually(() => events.find((e) => e.type === 'response.done'), 'pocketsphinx response', 150_000);
      rt.close();
      const r = done.response as { status: string; output: { content: { text: string }[] }[]; evalgate: { scores: { wer: number } } };
      expect(r.status).toBe('completed');
      expect(r.output[0]?.content[0]?.text.toLowerCase()).toContain('country');
      expect(r.evalgate.scores.wer).toBeLessThan(1);
    },
    // A real pocketsphinx decode of 11 s: about 14 s alone, several times that on a loaded CI machine.
    180_000,
  );
});
