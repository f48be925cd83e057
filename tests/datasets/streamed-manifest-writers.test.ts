import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGenericJsonl, writeGenericJsonlManifest } from '../../datasets/importers/import-generic-jsonl.js';
import { importKaldiDataDir, writeKaldiManifest } from '../../datasets/importers/import-kaldi-data-dir.js';
import { writeImportedManifest } from '../../datasets/importers/write-manifest.js';
import { ManifestError } from '../../datasets/parse-manifest.js';
import { put, toneWav } from './fixtures.js';

const rows = [
  { uid: 7, wav: 'clips/a.wav', text: 'hello', meta: { spk: 's1' } },
  { uid: 'b', wav: '../elsewhere/b.wav', text: 'world', tags: 'x,y' },
  { wav: 'clips/a.wav', text: ['one', 'uno'], lang: 'en' },
];

describe('writeGenericJsonlManifest (streamed generic JSONL import)', () => {
  it('writes byte for byte the manifest of importGenericJsonl + writeImportedManifest, media outside the folder absolute', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eg-gj-'));
    await put(join(root, 'src', 'clips', 'a.wav'), toneWav(0.2, 1));
    await put(join(root, 'elsewhere', 'b.wav'), toneWav(0.2, 2));
    const src = join(root, 'src', 'export.jsonl');
    await writeFile(src, `\uFEFF${rows.map((r) => JSON.stringify(r)).join('\r\n')}\n\n`);
    const opts = { task: 'asr' as const, map: { id: 'uid', audio: 'wav', reference: 'text' }, tags: ['extra'] };
    const old = await writeImportedManifest(await importGenericJsonl(src, opts), { fileName: 'old.jsonl' });
    const streamed = await writeGenericJsonlManifest(src, opts, { fileName: 'new.jsonl' });
    expect(streamed?.sampleCount).toBe(3);
    const text = await readFile(streamed!.manifestPath, 'utf8');
    expect(text).toBe(await readFile(old.manifestPath, 'utf8'));
    expect(text).toContain('"audio":"clips/a.wav"');
    expect(text).toContain(`"audio":"${join(root, 'elsewhere', 'b.wav')}"`);
    const limited = await writeGenericJsonlManifest(src, { ...opts, limit: 2 }, { fileName: 'two.jsonl' });
    expect((await readFile(limited!.manifestPath, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('reports every bad line at once with the source file and line', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eg-gj-'));
    const src = join(root, 'bad.jsonl');
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `s${i}`, audio: 'a.wav', text: 'x' }));
    lines[1] = '{oops';
    await writeFile(src, `${lines.join('\n')}\n`);
    const err = await writeGenericJsonlManifest(src, { map: { reference: 'text' } }, { fileName: 'm.jsonl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    const m = err as ManifestError;
    expect([m.file, m.line, m.field]).toEqual([src, 1, 'task']);
    expect(m.detail).toContain('(map it or pass --task)');
    expect(m.detail).toContain('line 2: (line): not valid JSON');
    expect(m.detail).toContain('10 more not shown');
  });

  it('leaves a JSON array to the in-memory importer', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eg-gj-'));
    const src = join(root, 'arr.json');
    await writeFile(src, `  [${JSON.stringify({ id: 'a', task: 'asr', audio: 'a.wav', reference: 'x' })}]`);
    expect(await writeGenericJsonlManifest(src, {})).toBeUndefined();
  });
});

describe('writeKaldiManifest (streamed Kaldi import)', () => {
  it('writes byte for byte the manifest of importKaldiDataDir + writeImportedManifest, with segments and audio outside the folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'eg-kaldi-'));
    const data = join(root, 'recipe', 'data', 'test');
    await put(join(root, 'corpus', 'r1.wav'), toneWav(1, 1));
    await put(join(data, 'wav.scp'), `r1 ${join(root, 'corpus', 'r1.wav')}\n`);
    await put(join(data, 'segments'), 'u1 r1 0.0 0.5\nu2 r1 0.5 -1\n');
    await put(join(data, 'text'), 'u1 HELLO   THERE\nu2 GOOD\tMORNING\n');
    const old = await writeImportedManifest(await importKaldiDataDir(data, { lang: 'en' }), { fileName: 'old.jsonl' });
    const streamed = await writeKaldiManifest(data, { lang: 'en' }, { fileName: 'new.jsonl' });
    expect(streamed.sampleCount).toBe(2);
    expect(await readFile(streamed.manifestPath, 'utf8')).toBe(await readFile(old.manifestPath, 'utf8'));
    await put(join(data, 'text'), 'u1 HELLO\nu9 NOPE\nu8 NOPE\n');
    const err = await writeKaldiManifest(data, {}, { fileName: 'bad.jsonl' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect([(err as ManifestError).line, (err as ManifestError).detail]).toEqual([
      2,
      'utterance u9 has no entry in segments; also line 3: audio: utterance u8 has no entry in segments',
    ]);
  });
});

describe('streamed manifest writing never loses what is there', () => {
  it('refuses a source that is the manifest it would write, and leaves it intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-stream-same-'));
    const source = join(dir, 'evalgate-manifest.jsonl');
    const text = ['a', 'b', 'c'].map((id) => JSON.stringify({ id, task: 'asr', reference: 'x', audio: '/abs/a.wav' })).join('\n') + '\n';
    await writeFile(source, text);
    await expect(writeGenericJsonlManifest(source, {})).rejects.toThrow(/the source is the manifest this import would write/);
    expect(await readFile(source, 'utf8')).toBe(text);
  });

  it('a bad line leaves no partial manifest and keeps the previous one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-stream-bad-'));
    const previous = '{"id":"old","task":"asr","reference":"x","audio":"/abs/o.wav"}\n';
    await writeFile(join(dir, 'evalgate-manifest.jsonl'), previous);
    const good = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: `s${i}`, task: 'asr', reference: 'x', audio: '/abs/a.wav' }));
    await writeFile(join(dir, 'src.jsonl'), [...good, '{"id": "bad", "task": "asr"'].join('\n') + '\n');
    await expect(writeGenericJsonlManifest(join(dir, 'src.jsonl'), {})).rejects.toThrow(/src\.jsonl/);
    expect(await readFile(join(dir, 'evalgate-manifest.jsonl'), 'utf8')).toBe(previous);
    expect((await readdir(dir)).sort()).toEqual(['evalgate-manifest.jsonl', 'src.jsonl']);
  });
});
