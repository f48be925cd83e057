import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import register from '../../gateway/cli/commands/datasets.js';
import { runCommandInProcess, type CliResult } from '../helpers/run-cli.js';
import { writeHfShard } from '../helpers/write-hf-parquet.js';
import { put, toneWav } from './fixtures.js';

function runCli(args: string[]): Promise<CliResult> {
  return runCommandInProcess(register, args);
}

async function configIn(dir: string): Promise<string> {
  const path = join(dir, 'evalgate.config.json');
  await writeFile(path, JSON.stringify({ database: { pgliteDir: join(dir, 'db') } }));
  return path;
}

const unique = (): string => Math.random().toString(36).slice(2, 8);

/** A small real PNG (sharp encodes it), different for each seed. */
function png(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 8, channels: 3, background: { r: seed * 40, g: 100, b: 200 - seed * 30 } } })
    .png()
    .toBuffer();
}

describe('evalgate datasets import hf-parquet | lhotse', () => {
  afterEach(() => vi.restoreAllMocks());

  it('hf-parquet --preset ocrbench records the dataset; a bad row and a bad preset are reported with their codes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-cli-hf-'));
    const cfg = await configIn(dir);
    const images = [await png(1), await png(2), await png(1)];
    writeHfShard(join(dir, 'OCRBench', 'data', 'test-00000-of-00002.parquet'), [
      { name: 'dataset', kind: 'string', data: ['IIIT5K', 'IIIT5K'] },
      { name: 'question', kind: 'string', data: ['what is written in the image?', 'what is written in the image?'] },
      { name: 'question_type', kind: 'string', data: ['Regular Text Recognition', 'Regular Text Recognition'] },
      { name: 'answer', kind: 'strings', data: [['CHAIN'], ['STORE']] },
      { name: 'image', kind: 'image', data: images.slice(0, 2).map((b) => ({ bytes: b, path: null })) },
    ]);
    writeHfShard(
      join(dir, 'OCRBench', 'data', 'test-00001-of-00002.parquet'),
      [
        { name: 'dataset', kind: 'string', data: ['docVQA'] },
        { name: 'question', kind: 'string', data: ['What is the total?'] },
        { name: 'question_type', kind: 'string', data: ['Doc-oriented VQA'] },
        { name: 'answer', kind: 'strings', data: [['26.58']] },
        { name: 'image', kind: 'image', data: [{ bytes: images[2]!, path: null }] },
      ],
      { codec: 'ZSTD' },
    );
    const name = `hf-${unique()}`;
    const r = await runCli([
      '-c',
      cfg,
      'datasets',
      'import',
      'hf-parquet',
      join(dir, 'OCRBench'),
      '--preset',
      'ocrbench',
      '--name',
      name,
      '--out',
      join(dir, 'set'),
      '--tag',
      'src/hf',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBeUndefined();
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      format: 'hf-parquet',
      name,
      samples: 3,
      preset: 'ocrbench',
      shards: 2,
      mediaWritten: 2,
      mediaReused: 1,
      tasks: { ocr: 2, vqa: 1 },
      manifestPath: join(dir, 'set', 'evalgate-manifest.jsonl'),
    });
    const show = JSON.parse((await runCli(['-c', cfg, 'datasets', 'show', name, '--json'])).stdout) as Record<string, unknown>;
    expect(show).toMatchObject({ sampleCount: 3, mediaFiles: 2, tags: { 'src/hf': 3, 'ocr/regular-text-recognition': 2 } });
    const ok = await runCli(['-c', cfg, 'datasets', 'verify', name]);
    expect([ok.exitCode, ok.stdout]).toEqual([undefined, `${name}: OK (3 samples checked)\n`]);

    writeHfShard(join(dir, 'bad', 'test-00000-of-00001.parquet'), [
      { name: 'dataset', kind: 'string', data: ['x', 'x'] },
      { name: 'question', kind: 'string', data: ['q', 'q'] },
      { name: 'question_type', kind: 'string', data: [null, 'Doc-oriented VQA'] },
      { name: 'answer', kind: 'strings', data: [['a'], null] },
      {
        name: 'image',
        kind: 'image',
        data: [
          { bytes: images[0]!, path: null },
          { bytes: images[1]!, path: null },
        ],
      },
    ]);
    const bad = await runCli(['-c', cfg, 'datasets', 'import', 'hf-parquet', join(dir, 'bad'), '--preset', 'ocrbench', '--name', `bad-${unique()}`, '--no-db']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain(
      `${join(dir, 'bad', 'test-00000-of-00001.parquet')}:1: question_type: missing; also row 2: answer: expected a non-empty list of strings`,
    );
    expect(bad.stderr).toContain('EVALGATE_ERR_MANIFEST_INVALID');
    const preset = await runCli(['-c', cfg, 'datasets', 'import', 'hf-parquet', join(dir, 'bad'), '--preset', 'nope', '--name', 'x', '--json']);
    expect(preset.exitCode).toBe(1);
    expect(JSON.parse(preset.stderr)).toMatchObject({ error: { code: 'EVALGATE_ERR_BAD_INPUT' } });
  }, 300_000);

  it('lhotse RECORDINGS SUPERVISIONS copies the audio into --out, with segments, and records it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-cli-lhotse-'));
    const corpus = await mkdtemp(join(tmpdir(), 'eg-cli-lhotse-corpus-'));
    const cfg = await configIn(dir);
    await put(join(corpus, 'long.wav'), toneWav(3, 1));
    await put(
      join(dir, 'm', 'recordings.jsonl.gz'),
      gzipSync(
        `${JSON.stringify({ id: 'long', sources: [{ type: 'file', channels: [0], source: join(corpus, 'long.wav') }], sampling_rate: 16000, num_samples: 48000, duration: 3 })}\n`,
      ),
    );
    await put(
      join(dir, 'm', 'supervisions.jsonl.gz'),
      gzipSync(
        [
          { id: 'u1', recording_id: 'long', start: 0, duration: 1.5, channel: 0, text: 'FIRST HALF', language: 'English', speaker: 'a' },
          { id: 'u2', recording_id: 'long', start: 1.5, duration: 1.5, channel: 0, text: 'SECOND HALF', language: 'English', speaker: 'a' },
        ]
          .map((s) => JSON.stringify(s))
          .join('\n'),
      ),
    );
    const name = `lh-${unique()}`;
    const r = await runCli([
      '-c',
      cfg,
      'datasets',
      'import',
      'lhotse',
      join(dir, 'm', 'recordings.jsonl.gz'),
      join(dir, 'm', 'supervisions.jsonl.gz'),
      '--name',
      name,
      '--out',
      join(dir, 'set'),
      '--json',
    ]);
    expect(r.exitCode).toBeUndefined();
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'lhotse', name, samples: 2, copiedFiles: 1, tasks: { asr: 2 } });
    const lines = (await readFile(join(dir, 'set', 'evalgate-manifest.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.id, l.start_s, l.end_s, l.lang])).toEqual([
      ['u1', 0, 1.5, 'en'],
      ['u2', 1.5, 3, 'en'],
    ]);
    const show = JSON.parse((await runCli(['-c', cfg, 'datasets', 'show', name, '--json'])).stdout) as { audioDurationS: number; mediaFiles: number };
    expect(show.mediaFiles).toBe(1);
    expect(show.audioDurationS).toBeCloseTo(3, 3);
  }, 300_000);
});
