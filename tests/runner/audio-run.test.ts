import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { scoreTask } from '../../scorers/score-task.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { configWithModel } from './runner-fixtures.js';
import { sampleMarker, startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

// FLAC and Ogg audio reach an OpenAI-compatible model as input_audio WAV:
// the runner decodes them (the adapter can only pass WAV/MP3 bytes through).
describe('an ASR run over FLAC and Ogg audio with openai-chat (PGlite)', () => {
  let dir: string;
  let ts: TestStore;
  let server: ScriptedServer;
  const answers = { flac1: 'a tone', ogg1: 'a quiet tone' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-audio-run-'));
    const { ffmpegPath } = await resolveFfmpeg();
    for (const name of ['tone.flac', 'tone.ogg']) {
      execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1:sample_rate=44100', join(dir, name)]);
    }
    const lines = [
      { id: 'flac1', task: 'asr', audio: 'tone.flac', reference: 'a tone', question: sampleMarker('flac1') },
      { id: 'ogg1', task: 'asr', audio: 'tone.ogg', reference: 'a tone', question: sampleMarker('ogg1') },
    ];
    await writeFile(join(dir, 'asr.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    server = await startScriptedServer({ answers, latencyMs: 1 });
    ts = await createPgliteTestStore();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends each as 16 kHz PCM WAV and scores the answers', async () => {
    const prepared = await prepareRun(
      ts.store.db,
      configWithModel(server.baseUrl),
      { dataset: join(dir, 'asr.jsonl'), modelId: 'scripted', promptTemplate: 'Transcribe. {question}' },
      (m) => createModel(m),
    );
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 10_000 });
    expect(result.report.counts).toMatchObject({ ok: 2, failed: 0, skipped: 0 });

    const audios = server.bodies.flatMap((b) =>
      (
        (b as { messages: { content: unknown }[] }).messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])) as {
          type: string;
          input_audio?: { data: string; format: string };
        }[]
      ).filter((p) => p.type === 'input_audio'),
    );
    expect(audios).toHaveLength(2);
    for (const a of audios) {
      expect(a.input_audio!.format).toBe('wav');
      const wav = Buffer.from(a.input_audio!.data, 'base64');
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(24)).toBe(16_000); // sample rate in the fmt chunk
      expect(Math.abs(wav.length - 44 - 32_000)).toBeLessThan(800); // 1 s of 16-bit mono
    }
    const direct = scoreTask(
      Object.entries(answers).map(([id, prediction]) => ({ id, reference: 'a tone', prediction })),
      { task: 'asr' },
    );
    expect(result.report.metrics).toEqual(direct.metrics);
  }, 60_000);
});
