import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, parseManifestText, resolveManifestPath, resolveMediaPath } from '../../datasets/parse-manifest.js';

const root = '/data/set';
const line = (o: unknown): string => JSON.stringify(o);
const ok = { id: 'a', task: 'asr', audio: 'a.wav', reference: 'x' };

function errorOf(text: string): ManifestError {
  try {
    parseManifestText(text, 'm.jsonl', root);
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

describe('manifest parsing', () => {
  it('names the line of invalid JSON, skipping blank lines in the count correctly', () => {
    const err = errorOf([line(ok), '', '{"id": "b", task:}'].join('\n'));
    expect(err.line).toBe(3);
    expect(err.field).toBe('(line)');
    expect(err.message).toMatch(/^m\.jsonl:3: \(line\): not valid JSON/);
  });

  it('reports every bad line at once, pointing at the first, up to a limit', () => {
    const good = (id: string) => JSON.stringify({ id, task: 'asr', audio: 'a.wav', reference: 'x' });
    const text = [good('a'), '{oops', JSON.stringify({ id: 'b', task: 'asr', audio: 'a.wav' }), good('a'), good('c')].join('\n');
    let err: unknown;
    try {
      parseManifestText(text, 'm.jsonl', '/data');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestError);
    const m = err as ManifestError;
    expect([m.line, m.field]).toEqual([2, '(line)']);
    expect(m.detail).toContain('also line 3: reference: required for task asr; line 4: id: duplicate id "a" (first on line 1)');

    const many = Array.from({ length: 25 }, (_, i) => `{bad ${i}`).join('\n');
    const e2 = (() => {
      try {
        parseManifestText(many, 'm.jsonl', '/data');
      } catch (e) {
        return e as ManifestError;
      }
      return undefined;
    })();
    expect(e2?.line).toBe(1);
    expect(e2?.detail.match(/line \d+: \(line\)/g)).toHaveLength(19);
    expect(e2?.detail).toContain('5 more not shown');
  });

  it('names the line and field of a schema violation', () => {
    const err = errorOf([line(ok), line({ id: 'b', task: 'asr', audio: 'b.wav' })].join('\n'));
    expect([err.line, err.field]).toEqual([2, 'reference']);
    const bad = errorOf(line({ id: 'c', task: 'mcq', video: 'v.mp4', choices: ['x', 'y'], answer: 'C' }));
    expect([bad.line, bad.field]).toEqual([1, 'answer']);
    expect(bad.detail).toMatch(/beyond the 2 choices/);
    expect(errorOf(line({ ...ok, extra: 1 })).detail).toMatch(/extra/);
  });

  it('rejects duplicate ids with both line numbers', () => {
    const err = errorOf([line(ok), line(ok)].join('\n'));
    expect(err.line).toBe(2);
    expect(err.detail).toMatch(/first on line 1/);
  });

  it('accepts media anywhere: absolute paths and ../ paths relative to the manifest (import pins each file by real path and sha256)', () => {
    const parsed = parseManifestText(
      [
        line({ ...ok, id: 'up', audio: '../other/a.wav' }),
        line({ ...ok, id: 'abs', audio: '/corpora/set/a.wav' }),
        line({ id: 'imgs', task: 'ocr', images: ['ok.png', '../../x.png'], reference: 'r' }),
      ].join('\n'),
      'm',
      root,
    );
    expect(parsed.map((s) => s.audio ?? s.images)).toEqual(['../other/a.wav', '/corpora/set/a.wav', ['ok.png', '../../x.png']]);
    expect(resolveManifestPath(root, '../other/a.wav')).toBe(join(root, '..', 'other', 'a.wav'));
    expect(resolveManifestPath(root, '/corpora/set/a.wav')).toBe('/corpora/set/a.wav');
    // The lexical containment rule is still there for files a dataset writes under its own folder.
    expect(resolveMediaPath(root, '../other/a.wav')).toBeUndefined();
    expect(resolveMediaPath(root, 'sub/a.wav')).toBe(join(root, 'sub', 'a.wav'));
    // An empty path is still refused by the schema.
    expect(errorOf(line({ ...ok, audio: '' })).field).toBe('audio');
  });

  it('validates segment times', () => {
    expect(parseManifestText(line({ ...ok, start_s: 1, end_s: 2.5 }), 'm', root)[0]).toMatchObject({ start_s: 1, end_s: 2.5 });
    expect(errorOf(line({ ...ok, start_s: 3, end_s: 2 })).field).toBe('end_s');
    expect(errorOf(line({ id: 'i', task: 'ocr', image: 'a.png', reference: 'r', start_s: 1 })).field).toBe('start_s');
  });

  it('records line numbers of a file, with the manifest folder as root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-manifest-'));
    await writeFile(join(dir, 'm.jsonl'), `\n${line(ok)}\n\n${line({ ...ok, id: 'b' })}\n`);
    const m = await parseManifest(join(dir, 'm.jsonl'));
    expect(m.root).toBe(dir);
    expect([...m.lineOf]).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
  });
});
