// Spoken answers in live sessions (issue 17): a scripted OpenAI Realtime (GA)
// upstream answers in audio that the tiny ONNX CTC expert hears as
// "HELLO WORLD", while its own transcript says "goodbye moon". A real gateway
// (PGlite, real ffmpeg, real sockets) must forward the audio to the client,
// store it as FLAC with the session, score the turn on what the expert heard,
// and record the turn's speech measures; without an expert the session is refused.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Ga from 'openai/resources/realtime/realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../gateway/config/config-schema.js';
import { shutdownLiveSessions } from '../../gateway/live/live-gateway.js';
import { resolveLiveModel } from '../../gateway/live/live-model.js';
import { decodeAudioFile } from '../../gateway/media/decode-audio.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { HELLO_WORLD, VOCAB, waveformCtcDir } from '../asr/tiny-ctc-model.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { ScriptedRealtimeServer } from '../models/servers/scripted-realtime-server.js';
import { b64, eventually, type Msg } from './live-kit.js';
import WebSocket from 'ws';

const SELF = 'goodbye moon';
const OUT_RATE = 24_000;
/** 20 ms at 24 kHz: after resampling to 16 kHz each class fills one of the expert's 320-sample frames. */
const FRAME_24K = 480;
/** What the model says: PCM16 at 24 kHz spelling "HELLO WORLD" for the expert. */
const spoken = (() => {
  const pcm = new Int16Array(HELLO_WORLD.length * FRAME_24K);
  HELLO_WORLD.forEach((c, i) => pcm.fill(Math.round(0.05 * VOCAB.indexOf(c) * 32767), i * FRAME_24K, (i + 1) * FRAME_24K));
  return pcm;
})();
const spokenBytes = Buffer.from(spoken.buffer, spoken.byteOffset, spoken.byteLength);
const CLIP_S = spoken.length / OUT_RATE;
/** The upstream waits this long after response.create before its first audio chunk. */
const LATENCY_MS = 60;

/** How the scripted upstream answers the next response: with speech, or with its transcript alone. */
let mode: 'speak' | 'silent' = 'speak';

/** A GA realtime upstream answering every response.create in audio (4 chunks, 10 ms apart) plus its own, different transcript. */
function speakingScript(ev: Record<string, unknown>, send: (ev: unknown) => void): void {
  if (ev.type === 'session.update') return send({ type: 'session.updated', event_id: 'su', session: ev.session });
  if (ev.type !== 'response.create') return;
  const id = `resp_${Math.random().toString(36).slice(2, 8)}`;
  const at = { response_id: id, item_id: `item_${id}`, output_index: 0, content_index: 0 };
  const created: Ga.ResponseCreatedEvent = {
    type: 'response.created',
    event_id: `rc_${id}`,
    response: { id, object: 'realtime.response', status: 'in_progress' },
  };
  const pieces = mode === 'speak' ? 4 : 0;
  const size = Math.ceil(spokenBytes.length / 4 / 2) * 2;
  setTimeout(() => {
    send(created);
    for (let i = 0; i < pieces; i++) {
      setTimeout(() => {
        const delta: Ga.ResponseAudioDeltaEvent = {
          type: 'response.output_audio.delta',
          event_id: `ad_${id}_${i}`,
          ...at,
          delta: spokenBytes.subarray(i * size, (i + 1) * size).toString('base64'),
        };
        send(delta);
      }, i * 10);
    }
    setTimeout(
      () => {
        const transcript: Ga.ResponseAudioTranscriptDeltaEvent = { type: 'response.output_audio_transcript.delta', event_id: `td_${id}`, ...at, delta: SELF };
        send(transcript);
        const done: Ga.ResponseDoneEvent = { type: 'response.done', event_id: `rd_${id}`, response: { id, object: 'realtime.response', status: 'completed' } };
        send(done);
      },
      pieces * 10 + 10,
    );
  }, LATENCY_MS);
}

describe('live sessions whose model answers in speech', () => {
  let dir: string;
  let ts: TestStore;
  let up: ScriptedRealtimeServer;
  let app: FastifyInstance;
  let wsUrl: string;
  let key: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-live-spoken-'));
    up = await ScriptedRealtimeServer.start();
    up.script = speakingScript;
    ts = await createPgliteTestStore();
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, auth: true },
      logLevel: 'silent',
      cacheDir: join(dir, 'cache'),
      live: { journalDir: join(dir, 'journal') },
      models: [
        { id: 'talker', adapter: 'openai-realtime', kind: 'generalist', model: 'gpt-realtime', baseUrl: up.url, options: { outputModality: 'audio' } },
        { id: 'texter', adapter: 'openai-realtime', kind: 'generalist', model: 'gpt-realtime', baseUrl: up.url, options: {} },
        { id: 'ctc', adapter: 'onnx-ctc', kind: 'specialist', options: { modelDir: waveformCtcDir() } },
      ],
    });
    app = await createApp({ config, store: ts.store });
    wsUrl = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/^http/, 'ws');
    key = (await createApiKey(ts.store.db, { scopes: ['submitter'] })).key;
    const ds = await ts.store.db
      .insertInto('datasets')
      .values({ name: 'spoken', manifest_digest: 'd', merkle_root: 'm', root_dir: dir })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ts.store.db
      .insertInto('samples')
      .values({ dataset_id: ds.id, sample_key: 's1', task: 'asr', reference: JSON.stringify('HELLO WORLD'), lang: 'en', sample_digest: 's' })
      .execute();
  }, 60_000);

  afterAll(async () => {
    await shutdownLiveSessions(app);
    await app.close();
    await ts.dispose();
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A raw GA client; resolves once the session is open, or with the error that refused it. */
  async function connect(query: string): Promise<{ ws: WebSocket; msgs: Msg[]; closed: Promise<number>; send(m: unknown): void }> {
    const ws = new WebSocket(`${wsUrl}/v1/realtime?${query}`, { headers: { authorization: `Bearer ${key}` } });
    const msgs: Msg[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await eventually(() => msgs.find((m) => m.type === 'session.created' || m.type === 'error'), 'greeting or refusal');
    return { ws, msgs, closed, send: (m) => ws.send(JSON.stringify(m)) };
  }

  /** Half a second of (silent) user audio, committed, answered; resolves with that turn's messages up to response.done. */
  async function turn(c: Awaited<ReturnType<typeof connect>>): Promise<Msg[]> {
    const mark = c.msgs.length;
    c.send({ type: 'input_audio_buffer.append', audio: b64(new Int16Array(12_000)) });
    c.send({ type: 'input_audio_buffer.commit' });
    c.send({ type: 'response.create' });
    await eventually(() => c.msgs.slice(mark).find((m) => m.type === 'response.done'), 'response.done', 30_000);
    return c.msgs.slice(mark);
  }

  async function openSession(): Promise<{ c: Awaited<ReturnType<typeof connect>>; sessionId: string }> {
    const c = await connect('model=talker&asr_model=ctc');
    const sessionId = (c.msgs.find((m) => m.type === 'session.created')!.session as { id: string }).id;
    c.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } },
        evalgate: { dataset: 'spoken', sample: 's1' },
      },
    });
    await eventually(() => c.msgs.find((m) => m.type === 'session.updated'), 'session.updated');
    return { c, sessionId };
  }

  it('refuses a spoken model without an expert, naming the asr_model parameter; and an expert for a text model or a non-ASR expert', async () => {
    const cfg = { id: 'rt', adapter: 'openai-realtime', kind: 'generalist' as const, model: 'gpt-realtime', options: { outputModality: 'audio' } };
    await expect(resolveLiveModel(cfg)).rejects.toMatchObject({
      code: 'EVALGATE_ERR_BAD_INPUT',
      message: expect.stringMatching(/answers in speech.*\?asr_model=/),
    });
    expect((await resolveLiveModel(cfg, { heard: true })).kind).toBe('realtime');

    for (const [query, pattern] of [
      ['model=talker', /talker answers in speech: connect with \?asr_model=<id>/],
      ['model=texter&asr_model=ctc', /asr_model is for models that answer in speech; texter answers in text/],
      ['model=talker&asr_model=texter', /asr_model=texter \(adapter openai-realtime\) is not a local ASR expert/],
    ] as const) {
      const c = await connect(query);
      const err = c.msgs.find((m) => m.type === 'error');
      expect(err?.error?.code, query).toBe('EVALGATE_ERR_BAD_INPUT');
      expect(err?.error?.message, query).toMatch(pattern);
      expect(await c.closed).toBe(1008);
    }
  });

  it('scores the turn on what the expert heard, forwards and stores the audio, and records the speech measures', async () => {
    mode = 'speak';
    const { c, sessionId } = await openSession();
    const msgs = await turn(c);

    // The client hears the reply as the Realtime API streams it.
    const audio = msgs.filter((m) => m.type === 'response.output_audio.delta');
    expect(audio.length).toBe(4);
    expect(Buffer.concat(audio.map((m) => Buffer.from(m.delta as string, 'base64')))).toEqual(spokenBytes);
    // The text deltas are the model's own words; the answer is the expert's.
    expect(msgs.filter((m) => m.type === 'response.output_text.delta').map((m) => m.delta)).toEqual([SELF]);
    const done = msgs.find((m) => m.type === 'response.done')!.response as {
      status: string;
      output: { content: { text: string }[] }[];
      evalgate: { speech: { first_audio_ms: number; audio_seconds: number; real_time_factor: number; text_speech_wer: number; self_transcript: string } };
    };
    expect(done.status).toBe('completed');
    expect(done.output[0]!.content[0]!.text).toBe('HELLO WORLD');
    const speech = done.evalgate.speech;
    expect(speech.self_transcript).toBe(SELF);
    expect(speech.text_speech_wer).toBe(1);
    expect(speech.first_audio_ms).toBeGreaterThanOrEqual(LATENCY_MS - 5);
    expect(speech.audio_seconds).toBeCloseTo(CLIP_S, 2);
    // The factor is the last chunk's arrival over the clip's length. The chunks are sent 10 ms apart, but a busy
    // event loop may read them together, so only "the last chunk came no earlier than the first" is certain.
    expect(speech.real_time_factor * CLIP_S * 1000).toBeGreaterThanOrEqual(speech.first_audio_ms - 0.1);
    // Prometheus counts the spoken reply.
    const metrics = await (await fetch(`${wsUrl.replace(/^ws/, 'http')}/metrics`)).text();
    expect(metrics).toMatch(/^evalgate_live_speech_first_audio_seconds_count 1$/m);
    expect(metrics).toMatch(/^evalgate_live_speech_real_time_factor_count 1$/m);
    // Nothing sent to the client names a server path.
    expect(JSON.stringify(c.msgs)).not.toContain(dir);

    c.ws.close(1000);
    await c.closed;
    await eventually(async () => {
      const s = await ts.store.db.selectFrom('stream_sessions').select(['status', 'config']).where('id', '=', sessionId).executeTakeFirst();
      return s?.status === 'closed' ? s : undefined;
    }, 'closed session row');
    const session = await ts.store.db.selectFrom('stream_sessions').select('config').where('id', '=', sessionId).executeTakeFirstOrThrow();
    expect((session.config as Record<string, unknown>).asr_model).toBe('ctc');
    const rows = await ts.store.db.selectFrom('utterances').selectAll().where('session_id', '=', sessionId).execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.status).toBe('ok');
    expect(row.transcript).toBe('HELLO WORLD');
    const scores = row.scores as Record<string, number>;
    // The score follows the audio: "HELLO WORLD" against the reference, not "goodbye moon".
    expect(scores.wer).toBe(0);
    expect(scores.text_speech_wer).toBe(1);
    expect(scores.speech_first_audio_ms).toBe(speech.first_audio_ms);
    expect(scores.speech_audio_s).toBeCloseTo(CLIP_S, 2);
    expect(scores.speech_rtf).toBe(speech.real_time_factor);

    // The reply is stored as FLAC with the session, and holds the clip.
    const folder = join(dir, 'cache', 'spoken-answers', 'sessions', sessionId);
    const files = (await readdir(folder)).filter((f) => f.endsWith('.flac'));
    expect(files).toHaveLength(1);
    const flac = await decodeAudioFile(join(folder, files[0]!), { sampleRateHz: 16_000 });
    expect(flac.durationS).toBeCloseTo(CLIP_S, 2);
    // The utterance names its stored audio and keeps the model's own words beside it (never the answer).
    expect(row.speech).toEqual({ mediaPath: join(folder, files[0]!), selfTranscript: 'goodbye moon' });
    // Over REST the stored audio's server path reaches admin keys only, whatever the other scope.
    for (const scope of ['viewer', 'submitter', 'evaluator', 'admin'] as const) {
      const k = (await createApiKey(ts.store.db, { scopes: [scope] })).key;
      const res = await app.inject({ url: `/v1/stream/sessions/${sessionId}`, headers: { authorization: `Bearer ${k}` } });
      expect(res.statusCode, scope).toBe(200);
      const speech = (res.json() as { utterances: { speech: unknown }[] }).utterances[0]!.speech;
      if (scope === 'admin') expect(speech).toEqual({ mediaPath: join(folder, files[0]!), selfTranscript: 'goodbye moon' });
      else {
        expect(speech, scope).toEqual({ selfTranscript: 'goodbye moon' });
        expect(res.body, scope).not.toContain(folder);
      }
    }
    expect((await app.inject({ url: `/v1/stream/sessions/${sessionId}` })).statusCode).toBe(401);
  }, 60_000);

  it('fails a reply that comes without audio (no-speech) and never scores its transcript', async () => {
    mode = 'silent';
    const { c, sessionId } = await openSession();
    const msgs = await turn(c);
    const done = msgs.find((m) => m.type === 'response.done')!.response as { status: string; status_details: { error: { message: string } } };
    expect(done.status).toBe('failed');
    expect(done.status_details.error.message).toMatch(/no-speech: asked to answer in speech, the model answered without audio/);
    c.ws.close(1000);
    await c.closed;
    const row = await eventually(
      async () =>
        (await ts.store.db.selectFrom('utterances').selectAll().where('session_id', '=', sessionId).where('status', '!=', 'open').executeTakeFirst()) ??
        undefined,
      'finished utterance row',
    );
    expect(row.status).toBe('failed');
    expect(row.transcript).toBeNull();
    expect(row.scores).toBeNull();
    expect((row.error as { code: string }).code).toBe('no-speech');
    expect(existsSync(join(dir, 'cache', 'spoken-answers', 'sessions', sessionId))).toBe(false);
  }, 60_000);
});
