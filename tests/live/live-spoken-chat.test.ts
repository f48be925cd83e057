// A batch model answering in speech behind a live session (issue 17): an
// OpenAI-compatible chat server streams `delta.audio` PCM16 chunks that the
// tiny ONNX CTC expert hears as "HELLO WORLD", with its own transcript
// "goodbye moon". Through the native protocol (/v1/stream), each committed
// utterance is one request; the reply is stored as FLAC with the session, the
// expert's transcript is the answer, and the speech measures are recorded.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { configSchema } from '../../gateway/config/config-schema.js';
import { shutdownLiveSessions } from '../../gateway/live/live-gateway.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { HELLO_WORLD, VOCAB, waveformCtcDir } from '../asr/tiny-ctc-model.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { ScriptedHttpServer, sseData } from '../models/servers/scripted-http-server.js';
import { eventually, type Msg } from './live-kit.js';

const SELF = 'goodbye moon';
/** The reply: PCM16 at 24 kHz spelling "HELLO WORLD" in 20-ms frames (one expert frame each after resampling to 16 kHz). */
const pcm = (() => {
  const out = new Int16Array(HELLO_WORLD.length * 480);
  HELLO_WORLD.forEach((c, i) => out.fill(Math.round(0.05 * VOCAB.indexOf(c) * 32767), i * 480, (i + 1) * 480));
  return Buffer.from(out.buffer);
})();
const CLIP_S = pcm.length / 2 / 24_000;

function chunk(delta: Record<string, unknown>, finish: string | null = null): unknown {
  return { id: 'c', model: 'gpt-4o-audio-preview', choices: [{ index: 0, delta, finish_reason: finish }] };
}

describe('a live session over a chat model that answers in speech (native protocol)', () => {
  let dir: string;
  let ts: TestStore;
  let chat: ScriptedHttpServer;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-live-chat-spoken-'));
    chat = await ScriptedHttpServer.start();
    ts = await createPgliteTestStore();
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, auth: true },
      logLevel: 'silent',
      cacheDir: join(dir, 'cache'),
      live: { journalDir: join(dir, 'journal') },
      models: [
        {
          id: 'talker',
          adapter: 'openai-chat',
          kind: 'generalist',
          baseUrl: chat.url,
          model: 'gpt-4o-audio-preview',
          options: { outputAudio: { voice: 'alloy' } },
        },
        { id: 'ctc', adapter: 'onnx-ctc', kind: 'specialist', options: { modelDir: waveformCtcDir() } },
      ],
    });
    app = await createApp({ config, store: ts.store });
    await app.listen({ host: '127.0.0.1', port: 0 });
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
    await chat.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('hears the streamed reply: the answer, the score and the FLAC follow the audio; the self transcript is only compared', async () => {
    const third = Math.floor(pcm.length / 6) * 2;
    chat.script({
      kind: 'sse',
      chunks: sseData([
        chunk({ role: 'assistant', audio: { id: 'a', transcript: 'goodbye ' } }),
        chunk({ audio: { data: pcm.subarray(0, third).toString('base64') } }),
        chunk({ audio: { data: pcm.subarray(third, 2 * third).toString('base64'), transcript: 'moon' } }),
        chunk({ audio: { data: pcm.subarray(2 * third).toString('base64') } }),
        chunk({}, 'stop'),
      ]),
    });
    const key = (await createApiKey(ts.store.db, { scopes: ['submitter'] })).key;
    const port = (app.server.address() as { port: number }).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream?model=talker&asr_model=ctc`, { headers: { authorization: `Bearer ${key}` } });
    const msgs: Msg[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const ready = await eventually(() => msgs.find((m) => m.type === 'session.ready'), 'session.ready');
    const sessionId = ready.sessionId as string;

    ws.send(JSON.stringify({ type: 'configure', format: { encoding: 'pcm16', sampleRateHz: 16_000 } }));
    await eventually(() => msgs.find((m) => m.type === 'configured'), 'configured');
    ws.send(Buffer.from(new Int16Array(8_000).buffer), { binary: true }); // half a second at 16 kHz
    ws.send(JSON.stringify({ type: 'commit', sample: { dataset: 'spoken', sample: 's1' } }));
    const final = await eventually(() => msgs.find((m) => m.type === 'response.final'), 'response.final', 30_000);
    expect(final.status).toBe('completed');
    expect(final.text).toBe('HELLO WORLD');
    const speech = final.speech as { firstAudioMs: number; audioSeconds: number; realTimeFactor: number; textSpeechWer: number; selfTranscript: string };
    expect(speech.selfTranscript).toBe(SELF);
    expect(speech.textSpeechWer).toBe(1);
    expect(speech.firstAudioMs).toBeGreaterThanOrEqual(0);
    expect(speech.audioSeconds).toBeCloseTo(CLIP_S, 2);
    expect(speech.realTimeFactor).toBeGreaterThanOrEqual(speech.firstAudioMs / 1000 / CLIP_S);
    // The model was asked for audio.
    expect((chat.requests[0]!.body as { modalities: string[] }).modalities).toEqual(['text', 'audio']);
    expect(JSON.stringify(msgs)).not.toContain(dir);

    ws.close(1000);
    await closed;
    const row = await eventually(
      async () =>
        (await ts.store.db.selectFrom('utterances').selectAll().where('session_id', '=', sessionId).where('status', '!=', 'open').executeTakeFirst()) ??
        undefined,
      'finished utterance row',
    );
    expect(row.transcript).toBe('HELLO WORLD');
    const scores = row.scores as Record<string, number>;
    expect(scores).toMatchObject({ wer: 0, text_speech_wer: 1, speech_first_audio_ms: speech.firstAudioMs, speech_rtf: speech.realTimeFactor });
    expect(scores.speech_audio_s).toBeCloseTo(CLIP_S, 2);
    const folder = join(dir, 'cache', 'spoken-answers', 'sessions', sessionId);
    expect((await readdir(folder)).filter((f) => f.endsWith('.flac'))).toHaveLength(1);
  }, 60_000);
});
