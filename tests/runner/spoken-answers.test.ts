// Spoken answers end to end (issue 17): an OpenAI-compatible chat server that
// answers in audio (`modalities: ["text", "audio"]`, `message.audio.data` plus
// `transcript`, and the streamed `delta.audio` chunks), a local ASR expert (the
// tiny ONNX CTC model the ASR tests build, which hears "HELLO WORLD" in audio
// spelled for it), PGlite, real ffmpeg. The model's own transcript differs
// from what it says: the score follows the audio.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { decodeAudioFile } from '../../gateway/media/decode-audio.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { formatRunReport } from '../../gateway/runner/format-report.js';
import { textSpeechWer } from '../../gateway/runner/hear-spoken-answer.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { HELLO_WORLD, spell, waveformCtcDir } from '../asr/tiny-ctc-model.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { ScriptedHttpServer, sseData } from '../models/servers/scripted-http-server.js';

const SELF = 'goodbye moon';
// What the model says, as 16 kHz WAV: the expert hears "HELLO WORLD".
const spoken = spell(HELLO_WORLD);
const spokenWav = Buffer.from(encodeWav16(spoken, 16_000));

function audioReply(over: { audio?: unknown; content?: string | null } = {}): { kind: 'json'; status: number; body: unknown } {
  return {
    kind: 'json',
    status: 200,
    body: {
      id: 'chatcmpl-1',
      model: 'gpt-4o-audio-preview',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: {
            role: 'assistant',
            content: over.content ?? null,
            audio: 'audio' in over ? over.audio : { id: 'audio_1', expires_at: 1_900_000_000, data: spokenWav.toString('base64'), transcript: SELF },
          },
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 20 },
    },
  };
}

describe('a run whose model answers in speech (openai-chat audio output, PGlite)', () => {
  let dir: string;
  let ts: TestStore;
  let server: ScriptedHttpServer;
  let config: EvalgateConfig;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-spoken-'));
    const lines = ['s1', 's2', 's3'].map((id) => ({ id, task: 'asr', audio: 'q.wav', reference: 'HELLO WORLD', question: id }));
    await writeFile(join(dir, 'q.wav'), encodeWav16(new Float32Array(1600), 16_000));
    await writeFile(join(dir, 'set.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    server = await ScriptedHttpServer.start();
    ts = await createPgliteTestStore();
    config = configSchema.parse({
      cacheDir: join(dir, 'cache'),
      models: [
        {
          id: 'talker',
          adapter: 'openai-chat',
          kind: 'generalist',
          baseUrl: server.url,
          model: 'gpt-4o-audio-preview',
          options: { outputAudio: { voice: 'alloy' } },
        },
        { id: 'texter', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.url, model: 'gpt-4o' },
        { id: 'ctc', adapter: 'onnx-ctc', kind: 'specialist', options: { modelDir: waveformCtcDir() } },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('asks for audio, scores the expert’s transcript of it, stores it as FLAC, and keeps the self transcript only for consistency', async () => {
    // One reply speaks, one answers in text only (no audio), one sends audio that is not audio. The runner's loops
    // may call for the samples in either order, so the rows are told apart by what they got, not by key.
    server.script(
      audioReply(),
      audioReply({ audio: null, content: 'hello world' }),
      audioReply({ audio: { data: Buffer.from('not audio at all').toString('base64'), transcript: 'x' } }),
    );
    const prepared = await prepareRun(ts.store.db, config, { dataset: join(dir, 'set.jsonl'), modelId: 'talker', asrModel: 'ctc' }, (m) => createModel(m));
    expect(prepared.config.speech?.asrModelId).toBe('ctc');
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 1, timeoutMs: 20_000 });

    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body.modalities).toEqual(['text', 'audio']);
    expect(body.audio).toEqual({ voice: 'alloy', format: 'wav' });

    expect(result.report.counts).toMatchObject({ ok: 1, failed: 2 });
    const rows = await ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key', 'p.status', 'p.output_text', 'p.error', 'p.raw_response', 'p.id', 'p.latency_first_token_ms'])
      .where('p.run_id', '=', prepared.run.id)
      .orderBy('s.sample_key')
      .execute();
    const s1 = rows.find((r) => r.status === 'ok');
    const s2 = rows.find((r) => (r.error as { code?: string } | null)?.code === 'no-speech');
    const s3 = rows.find((r) => (r.error as { code?: string } | null)?.code === 'transcribe');
    expect([s1, s2, s3].every(Boolean)).toBe(true);
    // The answer is what the expert heard, never the model's "goodbye moon".
    expect(s1!.status).toBe('ok');
    expect(s1!.output_text).toBe('HELLO WORLD');
    const speech = (s1!.raw_response as { speech: Record<string, unknown> }).speech;
    expect(speech).toMatchObject({ transcript: 'HELLO WORLD', selfTranscript: SELF, textSpeechWer: 1 });
    // The arrival of each chunk is kept: one WAV reply is one chunk at byte 0.
    expect(speech.chunks).toEqual([[0, expect.any(Number)]]);
    expect(JSON.stringify(s1!.raw_response)).not.toContain(spokenWav.toString('base64').slice(0, 64));
    const flac = speech.mediaPath as string;
    expect(existsSync(flac)).toBe(true);
    expect((await readFile(flac)).toString('ascii', 0, 4)).toBe('fLaC');
    const back = await decodeAudioFile(flac);
    expect(back.durationS).toBeCloseTo(spoken.length / 16_000, 2);
    expect(s1!.latency_first_token_ms).toBeGreaterThanOrEqual(0);

    const scores = await ts.store.db.selectFrom('scores').select(['metric', 'value']).where('prediction_id', '=', s1!.id).execute();
    const byMetric = Object.fromEntries(scores.map((s) => [s.metric, s.value]));
    expect(byMetric.wer).toBe(0);
    expect(byMetric.text_speech_wer).toBe(1);
    expect(byMetric.speech_audio_s).toBeCloseTo(spoken.length / 16_000, 2);
    expect(byMetric.speech_first_audio_ms).toBeGreaterThanOrEqual(0);
    expect(byMetric.speech_rtf).toBeGreaterThanOrEqual(0);

    // A text-only reply is no spoken answer, and undecodable audio is no answer: both failed, never scored.
    expect(s2).toMatchObject({ status: 'failed', output_text: null });
    expect((s2!.error as { code: string }).code).toBe('no-speech');
    expect(s3).toMatchObject({ status: 'failed', output_text: null });
    expect((s3!.error as { code: string; message: string }).code).toBe('transcribe');
    // The run's WER is over the one answer heard: 0, not the self transcript's 1.
    expect(result.report.metrics).toMatchObject({ wer: 0 });
    // The run report summarises the speech measures of the answers heard (the one ok sample).
    const sp = result.report.speech!;
    expect(sp.firstAudioMs).toMatchObject({ n: 1 });
    expect(sp.audioSeconds!.mean).toBeCloseTo(spoken.length / 16_000, 2);
    expect(sp.realTimeFactor).toMatchObject({ n: 1 });
    expect(sp.textSpeechWer).toBe(1);
    const text = formatRunReport(result.report);
    expect(text).toMatch(/spoken answers \(heard by the ASR expert\):\n\s+first audio\s+p50 \d+/);
    expect(text).toContain('text–speech WER 1.0000');
  }, 60_000);

  it('streams: pcm16 audio deltas are gathered with their arrival times and heard the same way', async () => {
    // 24 kHz PCM16 of the same spelled audio, in three chunks, transcript in pieces.
    const at24k = new Float32Array(Math.round((spoken.length * 3) / 2));
    for (let i = 0; i < at24k.length; i++) at24k[i] = spoken[Math.floor((i * 2) / 3)]!;
    const pcm = Buffer.from(encodeWav16(at24k, 24_000).subarray(44));
    const third = Math.floor(pcm.length / 6) * 2;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): unknown => ({
      id: 'c',
      model: 'gpt-4o-audio-preview',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    server.requests.length = 0;
    server.script({
      kind: 'sse',
      chunks: sseData([
        chunk({ role: 'assistant', audio: { id: 'a', transcript: 'goodbye ' } }),
        chunk({ audio: { data: pcm.subarray(0, third).toString('base64') } }),
        chunk({ audio: { data: pcm.subarray(third, 2 * third).toString('base64'), transcript: 'moon' } }),
        chunk({ audio: { data: pcm.subarray(2 * third).toString('base64') } }),
        chunk({}, 'stop'),
      ]),
    });
    const prepared = await prepareRun(
      ts.store.db,
      config,
      { dataset: join(dir, 'set.jsonl'), modelId: 'talker', asrModel: 'ctc', limit: 1, forceNew: true },
      (m) => createModel(m),
    );
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 1, timeoutMs: 20_000, stream: true });
    expect((server.requests[0]!.body as { audio: unknown }).audio).toEqual({ voice: 'alloy', format: 'pcm16' });
    expect(result.report.counts).toMatchObject({ ok: 1, failed: 0 });
    const row = await ts.store.db
      .selectFrom('predictions')
      .select(['output_text', 'raw_response'])
      .where('run_id', '=', prepared.run.id)
      .executeTakeFirstOrThrow();
    expect(row.output_text).toBe('HELLO WORLD');
    const speech = (row.raw_response as { speech: Record<string, number | string> }).speech;
    expect(speech.selfTranscript).toBe(SELF);
    expect(speech.audioSeconds).toBeCloseTo(spoken.length / 16_000, 2);
    expect(speech.lastAudioMs).toBeGreaterThanOrEqual(speech.firstAudioMs as number);
  }, 60_000);

  it('refuses a speaking model without an expert, an expert for a text model, and a non-ASR expert, before any call', async () => {
    server.requests.length = 0;
    const run = (modelId: string, asrModel?: string) =>
      prepareRun(ts.store.db, config, { dataset: join(dir, 'set.jsonl'), modelId, ...(asrModel ? { asrModel } : {}) }, (m) => createModel(m));
    await expect(run('talker')).rejects.toThrow(/answers in speech: pass --asr-model/);
    await expect(run('texter', 'ctc')).rejects.toThrow(/--asr-model is for models that answer in speech/);
    await expect(run('talker', 'texter')).rejects.toThrow(/not a local ASR expert/);
    expect(server.requests).toHaveLength(0);
  });

  it('a continued run keeps its expert: changed expert settings are refused before anything runs', async () => {
    const run = await ts.store.db.selectFrom('runs').select('id').where('model_id', '=', 'talker').orderBy('created_at').executeTakeFirstOrThrow();
    const moved = configSchema.parse({
      ...config,
      models: config.models.map((m) => (m.id === 'ctc' ? { ...m, options: { modelDir: waveformCtcDir() } } : m)),
    });
    server.requests.length = 0;
    await expect(prepareRun(ts.store.db, moved, { resume: run.id }, (m) => createModel(m))).rejects.toThrow(/its settings have changed since/);
    expect(server.requests).toHaveLength(0);
  });

  it('text–speech WER compares normalised words and is undefined without the model’s own text', () => {
    expect(textSpeechWer('Hello, world!', 'hello world')).toBe(0);
    expect(textSpeechWer('hello world', 'hello')).toBe(0.5);
    expect(textSpeechWer(null, 'hello')).toBeNull();
    expect(textSpeechWer('  ', 'hello')).toBeNull();
  });
});
