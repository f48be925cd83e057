import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { beforeEach, describe, expect, it } from 'vitest';
import { importHfParquet, splitOfShard } from '../../datasets/importers/import-hf-parquet.js';
import { mediaExtension } from '../../datasets/importers/content-addressed-media.js';
import { ManifestError, parseManifest } from '../../datasets/parse-manifest.js';
import { writeHfShard, type HfColumn } from '../helpers/write-hf-parquet.js';
import { put, toneWav } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eg-hf-'));
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Bytes that are not valid UTF-8 anywhere (lone continuation bytes, 0xff, NUL): a UTF-8 decode cannot give them back. */
function binary(seed: number, n = 300): Uint8Array {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const out = new Uint8Array(n);
  out.set(png);
  for (let i = png.length; i < n; i++) out[i] = ((i * 131 + seed * 7) % 256) | (i % 5 === 0 ? 0x80 : 0);
  out[20] = 0xff;
  out[21] = 0x00;
  out[22] = 0xc3;
  return out;
}

async function rejection(p: Promise<unknown>): Promise<ManifestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ManifestError);
  return err as ManifestError;
}

async function manifestLines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('hf-parquet: the datasets layout', () => {
  it('reads snappy and zstd shards row group by row group, stores embedded bytes exactly, once per content', async () => {
    const images = [binary(1), binary(2), binary(1), binary(3), binary(4)];
    const shardA: HfColumn[] = [
      { name: 'question', kind: 'string', data: ['q0', 'q1', 'q2'] },
      { name: 'answers', kind: 'strings', data: [['a', 'A'], ['b'], ['c']] },
      { name: 'image', kind: 'image', data: images.slice(0, 3).map((b, i) => ({ bytes: b, path: `img${i}.png` })) },
    ];
    const shardB: HfColumn[] = [
      { name: 'question', kind: 'string', data: ['q3', 'q4'] },
      { name: 'answers', kind: 'strings', data: [['d'], ['e']] },
      { name: 'image', kind: 'image', data: images.slice(3).map((b) => ({ bytes: b, path: null })) },
    ];
    writeHfShard(join(dir, 'hf', 'data', 'test-00000-of-00002.parquet'), shardA, { codec: 'SNAPPY', rowGroupSize: 2 });
    writeHfShard(join(dir, 'hf', 'data', 'test-00001-of-00002.parquet'), shardB, { codec: 'ZSTD', rowGroupSize: 1 });
    const codecs = await Promise.all(
      ['test-00000-of-00002', 'test-00001-of-00002'].map(async (n) => {
        const md = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, 'hf', 'data', `${n}.parquet`)));
        return [md.row_groups.length, md.row_groups[0]!.columns[0]!.meta_data!.codec];
      }),
    );
    expect(codecs).toEqual([
      [2, 'SNAPPY'],
      [2, 'ZSTD'],
    ]);

    const progress: [number, number][] = [];
    const out = join(dir, 'set');
    const r = await importHfParquet([join(dir, 'hf')], {
      outDir: out,
      task: 'vqa',
      map: { reference: 'answers' },
      tags: ['src/hf'],
      batchSize: 2,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(r).toMatchObject({ sampleCount: 5, rowsRead: 5, skippedCount: 0, mediaWritten: 4, mediaReused: 1 });
    expect(progress).toEqual([
      [2, 5],
      [3, 5],
      [4, 5],
      [5, 5],
    ]);
    const lines = await manifestLines(r.manifestPath);
    // No id column: ids are the split and the datasets index, counted across the split's shards.
    expect(lines.map((l) => [l.id, l.question, l.reference])).toEqual([
      ['test-0', 'q0', ['a', 'A']],
      ['test-1', 'q1', ['b']],
      ['test-2', 'q2', ['c']],
      ['test-3', 'q3', ['d']],
      ['test-4', 'q4', ['e']],
    ]);
    expect(lines[0]).toMatchObject({ task: 'vqa', tags: ['src/hf'] });
    for (const [i, l] of lines.entries()) {
      expect(l.image).toBe(`media/sha256/${sha(images[i]!).slice(0, 2)}/${sha(images[i]!)}.png`);
      const stored = await readFile(join(out, l.image as string));
      expect(Buffer.compare(stored, Buffer.from(images[i]!))).toBe(0);
    }
    // Rows 0 and 2 embed the same bytes: one file.
    expect(lines[0]!.image).toBe(lines[2]!.image);
    const files = (await readdir(join(out, 'media', 'sha256'), { recursive: true })).filter((f) => f.endsWith('.png'));
    expect(files).toHaveLength(4);
    const manifest = await parseManifest(r.manifestPath);
    expect(manifest.samples).toHaveLength(5);
    expect(existsSync(`${r.manifestPath}.partial`)).toBe(false);

    // A second import of the same shards writes no media: everything is found under its content name.
    const again = await importHfParquet([join(dir, 'hf')], { outDir: out, task: 'vqa', map: { reference: 'answers' } });
    expect([again.mediaWritten, again.mediaReused]).toEqual([0, 5]);
  });

  it('needs utf8: false: hyparquet decodes an unannotated byte column as text by default, which mangles the bytes', async () => {
    const bytes = binary(9);
    const file = join(dir, 'x-00000-of-00001.parquet');
    writeHfShard(file, [{ name: 'image', kind: 'image', data: [{ bytes, path: null }] }]);
    const buf = await asyncBufferFromFile(file);
    const [asText] = await parquetReadObjects({ file: buf, compressors });
    const [asBytes] = await parquetReadObjects({ file: buf, compressors, utf8: false });
    expect(typeof (asText!.image as { bytes: unknown }).bytes).toBe('string');
    expect(Buffer.from((asText!.image as { bytes: string }).bytes, 'utf8').equals(Buffer.from(bytes))).toBe(false);
    expect(Buffer.from((asBytes!.image as { bytes: Uint8Array }).bytes).equals(Buffer.from(bytes))).toBe(true);
  });

  it('maps columns with --map, finds audio by its feature, and honours --limit and --lang', async () => {
    const wav = [toneWav(0.1, 1), toneWav(0.1, 2), toneWav(0.1, 3)];
    writeHfShard(join(dir, 'train-00000-of-00001.parquet'), [
      { name: 'key', kind: 'int64', data: [10, 11, 12] },
      { name: 'sentence', kind: 'string', data: ['one', 'two', 'three'] },
      { name: 'speech', kind: 'audio', data: wav.map((b) => ({ bytes: b, path: 'x.wav' })) },
    ]);
    const r = await importHfParquet([join(dir, 'train-00000-of-00001.parquet')], {
      outDir: join(dir, 'out'),
      task: 'asr',
      map: { id: 'key', reference: 'sentence' },
      lang: 'en',
      limit: 2,
    });
    const lines = await manifestLines(r.manifestPath);
    expect(lines.map((l) => [l.id, l.reference, l.lang])).toEqual([
      ['10', 'one', 'en'],
      ['11', 'two', 'en'],
    ]);
    expect(String(lines[0]!.audio)).toMatch(/^media\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}\.wav$/);
    expect((await readFile(join(dir, 'out', String(lines[1]!.audio)))).equals(wav[1]!)).toBe(true);
  });

  it('names the file and row of every bad row at once, and leaves no manifest', async () => {
    const img = { bytes: binary(1), path: null };
    writeHfShard(join(dir, 'hf', 'test-00000-of-00002.parquet'), [
      { name: 'question', kind: 'string', data: ['ok', 'ok'] },
      { name: 'reference', kind: 'string', data: ['r', null] },
      { name: 'image', kind: 'image', data: [img, img] },
    ]);
    writeHfShard(join(dir, 'hf', 'test-00001-of-00002.parquet'), [
      { name: 'question', kind: 'string', data: ['ok', 'ok', 'ok'] },
      { name: 'reference', kind: 'string', data: [null, 'r', 'r'] },
      { name: 'image', kind: 'image', data: [img, null, img] },
    ]);
    const err = await rejection(importHfParquet([join(dir, 'hf')], { outDir: join(dir, 'out'), task: 'ocr' }));
    expect([err.file, err.line, err.field]).toEqual([join(dir, 'hf', 'test-00000-of-00002.parquet'), 2, 'reference']);
    expect(err.detail).toContain(`${join(dir, 'hf', 'test-00001-of-00002.parquet')}:1: reference:`);
    expect(err.detail).toContain(`${join(dir, 'hf', 'test-00001-of-00002.parquet')}:2: image: required for task ocr`);
    expect(existsSync(join(dir, 'out', 'evalgate-manifest.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'evalgate-manifest.jsonl.partial'))).toBe(false);
  });

  it('refuses an empty shard set, a shard with no rows, a shard without datasets metadata, and a missing task', async () => {
    await mkdir(join(dir, 'empty'));
    expect((await rejection(importHfParquet([join(dir, 'empty')], { task: 'ocr' }))).detail).toBe('no parquet shards found');
    writeHfShard(join(dir, 'z', 'test-00000-of-00001.parquet'), [{ name: 'reference', kind: 'string', data: [] }]);
    const empty = await rejection(importHfParquet([join(dir, 'z')], { task: 'ocr' }));
    expect([empty.file, empty.detail]).toEqual([join(dir, 'z', 'test-00000-of-00001.parquet'), 'the shard has no rows']);
    writeHfShard(join(dir, 'plain.parquet'), [{ name: 'reference', kind: 'string', data: ['x'] }], { huggingface: null });
    expect((await rejection(importHfParquet([join(dir, 'plain.parquet')], { task: 'ocr' }))).detail).toMatch(/no "huggingface" key/);
    writeHfShard(join(dir, 'notask.parquet'), [{ name: 'reference', kind: 'string', data: ['x'] }]);
    expect((await rejection(importHfParquet([join(dir, 'notask.parquet')], {}))).field).toBe('task');
  });

  it('reads the split from datasets shard names', () => {
    expect(splitOfShard('/x/test_mini-00003-of-00010.parquet')).toBe('test_mini');
    expect(splitOfShard('/x/test-00000-of-00001-e5f3b2a1c9d0.parquet')).toBe('test');
    expect(splitOfShard('/x/aus-00000-of-00001.parquet')).toBe('aus');
    expect(splitOfShard('/x/mine.parquet')).toBe('mine');
  });

  it('names media by their magic numbers', () => {
    expect(mediaExtension(binary(1))).toBe('.png');
    expect(mediaExtension(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('.jpg');
    expect(mediaExtension(toneWav(0.01))).toBe('.wav');
    expect(mediaExtension(Buffer.from('fLaC\0\0\0\x22'))).toBe('.flac');
    expect(mediaExtension(Buffer.from('\0\0\0\x20ftypisom'))).toBe('.mp4');
    expect(mediaExtension(Buffer.from('????'), 'a/b.TIFF')).toBe('.tiff');
    expect(mediaExtension(Buffer.from('????'))).toBe('.bin');
  });
});

describe('hf-parquet presets (columns of the published datasets)', () => {
  it('ocrbench: lmms-lab/OCRBench columns; recognition types are ocr, the rest vqa', async () => {
    writeHfShard(join(dir, 'test-00000-of-00001.parquet'), [
      { name: 'dataset', kind: 'string', data: ['IIIT5K', 'docVQA'] },
      { name: 'question', kind: 'string', data: ['what is written in the image?', 'What is the date?'] },
      { name: 'question_type', kind: 'string', data: ['Regular Text Recognition', 'Doc-oriented VQA'] },
      { name: 'answer', kind: 'strings', data: [['CHAIN'], ['1/2/03', '1 Feb 2003']] },
      { name: 'image', kind: 'image', data: [1, 2].map((s) => ({ bytes: binary(s), path: null })) },
    ]);
    const r = await importHfParquet([join(dir, 'test-00000-of-00001.parquet')], { outDir: join(dir, 'o'), preset: 'ocrbench' });
    const lines = await manifestLines(r.manifestPath);
    expect(lines.map((l) => [l.id, l.task, l.reference, l.tags])).toEqual([
      ['test-0', 'ocr', 'CHAIN', ['ocr/regular-text-recognition', 'ocrbench/iiit5k']],
      ['test-1', 'vqa', ['1/2/03', '1 Feb 2003'], ['ocr/doc-oriented-vqa', 'ocrbench/docvqa']],
    ]);
  });

  it('ocrbench-v2: id, type, answers and eval columns', async () => {
    writeHfShard(join(dir, 'test-00000-of-00001.parquet'), [
      { name: 'id', kind: 'int32', data: [7, 8] },
      { name: 'dataset_name', kind: 'string', data: ['hiertext', 'ocrvqa'] },
      { name: 'question', kind: 'string', data: ['Recognize the text', '这是什么?'] },
      { name: 'type', kind: 'string', data: ['text recognition en', 'cognition VQA cn'] },
      { name: 'answers', kind: 'strings', data: [['STOP'], ['书']] },
      { name: 'image', kind: 'image', data: [3, 4].map((s) => ({ bytes: binary(s), path: null })) },
      { name: 'eval', kind: 'string', data: [null, 'multiple choice'] },
      { name: 'content', kind: 'strings', data: [null, null] },
    ]);
    const r = await importHfParquet([join(dir, 'test-00000-of-00001.parquet')], { outDir: join(dir, 'o'), preset: 'ocrbench-v2' });
    const lines = await manifestLines(r.manifestPath);
    expect(lines.map((l) => [l.id, l.task, l.reference, l.lang, l.tags])).toEqual([
      ['7', 'ocr', 'STOP', 'en', ['ocrbench-v2/type/text-recognition-en', 'ocrbench-v2/dataset/hiertext']],
      ['8', 'vqa', '书', 'zh', ['ocrbench-v2/type/cognition-vqa-cn', 'ocrbench-v2/eval/multiple-choice', 'ocrbench-v2/dataset/ocrvqa']],
    ]);
  });

  it('mmau: choices as a JSON string, the answer text becomes its letter; an answer outside the choices is a bad row', async () => {
    const wav = toneWav(0.05, 4);
    const cols = (answer: string): HfColumn[] => [
      { name: 'id', kind: 'string', data: ['mmau-1'] },
      { name: 'audio', kind: 'audio', data: [{ bytes: wav, path: 'a.wav' }] },
      { name: 'question', kind: 'string', data: ['Which instrument plays?'] },
      { name: 'choices', kind: 'string', data: ['["Piano", "Guitar", "Drums"]'] },
      { name: 'answer', kind: 'string', data: [answer] },
      { name: 'dataset', kind: 'string', data: ['MusicCaps'] },
      { name: 'task', kind: 'string', data: ['music'] },
      { name: 'split', kind: 'string', data: ['test-mini'] },
      { name: 'category', kind: 'string', data: ['Instrument Identification'] },
      { name: 'sub-category', kind: 'string', data: ['Information Extraction'] },
      { name: 'difficulty', kind: 'string', data: ['easy'] },
    ];
    writeHfShard(join(dir, 'ok', 'test_mini-00000-of-00001.parquet'), cols('guitar '));
    const r = await importHfParquet([join(dir, 'ok')], { outDir: join(dir, 'o'), preset: 'mmau' });
    const [line] = await manifestLines(r.manifestPath);
    expect(line).toMatchObject({ id: 'mmau-1', task: 'mmau', choices: ['Piano', 'Guitar', 'Drums'], answer: 'B', question: 'Which instrument plays?' });
    expect(line!.tags).toEqual([
      'mmau/task/music',
      'mmau/category/instrument-identification',
      'mmau/sub-category/information-extraction',
      'mmau/difficulty/easy',
    ]);
    writeHfShard(join(dir, 'bad', 'test_mini-00000-of-00001.parquet'), cols('Violin'));
    const err = await rejection(importHfParquet([join(dir, 'bad')], { outDir: join(dir, 'o2'), preset: 'mmau' }));
    expect([err.line, err.field, err.detail]).toEqual([1, 'answer', '"Violin" is none of the choices']);
  });

  it('voicebench-sd-qa and audiobench: spoken questions with a reference answer', async () => {
    writeHfShard(join(dir, 'vb', 'aus-00000-of-00001.parquet'), [
      { name: 'audio', kind: 'audio', data: [{ bytes: toneWav(0.05, 5), path: null }] },
      { name: 'prompt', kind: 'string', data: ['who wrote hamlet'] },
      { name: 'reference', kind: 'string', data: ['Shakespeare'] },
    ]);
    const vb = await manifestLines((await importHfParquet([join(dir, 'vb')], { outDir: join(dir, 'o1'), preset: 'voicebench-sd-qa' })).manifestPath);
    expect(vb[0]).toMatchObject({ id: 'aus-0', task: 'vqa', reference: 'Shakespeare', lang: 'en', tags: ['voicebench/sd-qa/aus'] });
    expect(vb[0]!.question).toBeUndefined();
    writeHfShard(join(dir, 'ab', 'test-00000-of-00001.parquet'), [
      { name: 'context', kind: 'audio', data: [{ bytes: toneWav(0.05, 6), path: null }] },
      { name: 'instruction', kind: 'string', data: ['What did the speaker order?'] },
      { name: 'answer', kind: 'string', data: ['A coffee.'] },
    ]);
    const ab = await manifestLines((await importHfParquet([join(dir, 'ab')], { outDir: join(dir, 'o2'), preset: 'audiobench' })).manifestPath);
    expect(ab[0]).toMatchObject({ id: 'test-0', task: 'vqa', question: 'What did the speaker order?', reference: 'A coffee.', tags: ['audiobench/test'] });
  });

  it('video-mme: the question table joined to --videos by videoID; questions without their video are skipped', async () => {
    await put(join(dir, 'videos', 'data', 'fFjv93ACGo8.mp4'), Buffer.from('\0\0\0\x20ftypisom-not-really-a-video'));
    const n = 3;
    writeHfShard(join(dir, 'videomme', 'test-00000-of-00001.parquet'), [
      { name: 'video_id', kind: 'string', data: ['001', '001', '002'] },
      { name: 'duration', kind: 'string', data: Array(n).fill('short') },
      { name: 'domain', kind: 'string', data: Array(n).fill('Knowledge') },
      { name: 'sub_category', kind: 'string', data: Array(n).fill('Humanity & History') },
      { name: 'url', kind: 'string', data: Array(n).fill('https://www.youtube.com/watch?v=x') },
      { name: 'videoID', kind: 'string', data: ['fFjv93ACGo8', 'fFjv93ACGo8', 'absent'] },
      { name: 'question_id', kind: 'string', data: ['001-1', '001-2', '002-1'] },
      { name: 'task_type', kind: 'string', data: Array(n).fill('Counting Problem') },
      { name: 'question', kind: 'string', data: ['How many?', 'Which colour?', 'Who?'] },
      { name: 'options', kind: 'strings', data: Array(n).fill(['A. 1', 'B. 2', 'C. 3', 'D. 4']) },
      { name: 'answer', kind: 'string', data: ['C', 'A', 'B'] },
    ]);
    const r = await importHfParquet([join(dir, 'videomme')], { preset: 'video-mme', videosDir: join(dir, 'videos') });
    // Default folder: the one holding both the table and the videos, so the videos are referenced where they are.
    expect(r.manifestPath).toBe(join(dir, 'evalgate-manifest.jsonl'));
    expect([r.sampleCount, r.skippedCount, r.mediaWritten]).toEqual([2, 1, 0]);
    const lines = await manifestLines(r.manifestPath);
    expect(lines[0]).toMatchObject({
      id: '001-1',
      task: 'mcq',
      video: 'videos/data/fFjv93ACGo8.mp4',
      choices: ['1', '2', '3', '4'],
      answer: 'C',
      tags: ['video/duration/short', 'video/domain/knowledge', 'video/sub-category/humanity-history', 'video/task/counting-problem'],
    });
    expect(r.skipped[0]!.reason).toMatch(/video absent not found/);
    const needs = await rejection(importHfParquet([join(dir, 'videomme')], { preset: 'video-mme' }));
    expect(needs.field).toBe('--videos');
  });

  it('a preset names the columns a shard lacks', async () => {
    writeHfShard(join(dir, 'test-00000-of-00001.parquet'), [{ name: 'question', kind: 'string', data: ['q'] }]);
    const err = await rejection(importHfParquet([join(dir, 'test-00000-of-00001.parquet')], { preset: 'ocrbench' }));
    expect(err.detail).toMatch(/^missing columns dataset, question_type, answer, image \(preset ocrbench follows lmms-lab\/OCRBench/);
  });
});
