import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { configWithModel } from './runner-fixtures.js';
import { sampleMarker, startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

/** Deterministic "random" bytes (xorshift32), so the test is the same on every run. */
function seededBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// Issue 13 #16 and #18: media an API model would get as raw bytes is
// decode-checked first; a sample whose file is no media fails with code
// `input`, the model never sees it, and the stored message names the file by
// its dataset-relative path, never the server's absolute one.
describe('media decode check before API model calls (openai-chat, PGlite)', () => {
  let dir: string;
  let ts: TestStore;
  let server: ScriptedServer;
  const answers = { good: 'a tone', empty: 'x', random: 'x', badpng: 'x' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-decode-check-'));
    const { ffmpegPath } = await resolveFfmpeg();
    // Valid at import (the importer probes media); they are spoilt after the run is prepared.
    for (const name of ['good', 'empty', 'random']) {
      execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1:sample_rate=16000', join(dir, `${name}.wav`)]);
    }
    execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=white:s=32x32', '-frames:v', '1', join(dir, 'bad.png')]);
    const lines = [
      { id: 'good', task: 'asr', audio: 'good.wav', reference: 'a tone', question: sampleMarker('good') },
      { id: 'empty', task: 'asr', audio: 'empty.wav', reference: 'a tone', question: sampleMarker('empty') },
      { id: 'random', task: 'asr', audio: 'random.wav', reference: 'a tone', question: sampleMarker('random') },
    ];
    await writeFile(join(dir, 'asr.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await writeFile(
      join(dir, 'ocr.jsonl'),
      JSON.stringify({ id: 'badpng', task: 'ocr', image: 'bad.png', reference: 'x', question: sampleMarker('badpng') }) + '\n',
    );
    server = await startScriptedServer({ answers, latencyMs: 1 });
    ts = await createPgliteTestStore();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function run(manifest: string, template: string, spoil: () => Promise<void>) {
    const prepared = await prepareRun(
      ts.store.db,
      configWithModel(server.baseUrl),
      { dataset: join(dir, manifest), modelId: 'scripted', promptTemplate: template },
      (m) => createModel(m),
    );
    // The files change on disk after import and after the pre-run check (which only stats them).
    await spoil();
    await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 10_000 });
    return ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key as key', 'p.status', 'p.error', 'p.attempts'])
      .where('p.run_id', '=', prepared.run.id)
      .orderBy('s.sample_key')
      .execute();
  }

  it('fails zero-byte and random-byte .wav files with code input, without calling the model, naming them by relative path', async () => {
    const rows = await run('asr.jsonl', 'Transcribe. {question}', async () => {
      await writeFile(join(dir, 'empty.wav'), Buffer.alloc(0));
      await writeFile(join(dir, 'random.wav'), seededBytes(48_000, 13));
    });
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey.good).toMatchObject({ status: 'ok' });
    for (const key of ['empty', 'random']) {
      expect(byKey[key], key).toMatchObject({ status: 'failed', attempts: 0, error: expect.objectContaining({ code: 'input', retryable: false }) });
      const message = (byKey[key]?.error as { message: string } | undefined)?.message;
      expect(message).toContain(`${key}.wav`);
      expect(message).not.toContain(dir);
      expect(message).not.toMatch(/\/tmp\//);
      expect(server.requests.get(key) ?? 0, key).toBe(0);
    }
    expect(server.requests.get('good')).toBe(1);
  }, 60_000);

  it('fails an image whose bytes only start like a PNG, without calling the model', async () => {
    const rows = await run('ocr.jsonl', 'Read. {question}', async () => {
      // PNG magic followed by noise: typed as PNG by its first bytes, yet no image.
      await writeFile(join(dir, 'bad.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), seededBytes(4000, 7)]));
    });
    expect(rows).toEqual([expect.objectContaining({ key: 'badpng', status: 'failed', attempts: 0, error: expect.objectContaining({ code: 'input' }) })]);
    expect((rows[0]?.error as { message: string } | undefined)?.message).not.toContain(dir);
    expect(server.requests.get('badpng') ?? 0).toBe(0);
  }, 60_000);
});
