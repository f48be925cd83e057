// forEachJsonlLine cuts 1 MiB byte chunks at their last newline: line numbers,
// blank lines and multi-byte characters must come out as if the file were read whole.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachJsonlLine } from '../../gateway/score-input/jsonl-lines.js';

describe('forEachJsonlLine', () => {
  it('numbers lines as the whole text does, across chunk cuts, blank lines and CRLF', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-jsonl-'));
    const lines: string[] = [];
    // ~3 MiB: lines of varying length with multi-byte text; every 7th line blank, every 11th CRLF.
    for (let i = 0, size = 0; size < 3 * (1 << 20); i++, size += lines[lines.length - 1]!.length + 1) {
      if (i % 7 === 3) lines.push(i % 2 ? '' : '   ');
      else lines.push(JSON.stringify({ id: i, text: '语音'.repeat(i % 50) + 'x'.repeat((i * 37) % 300) }) + (i % 11 === 0 ? '\r' : ''));
    }
    lines.push('{"id": "last"}');
    const file = path.join(dir, 'big.jsonl');
    await writeFile(file, lines.join('\n'));
    // The values too: ASCII-only chunks are decoded as latin1, the others as UTF-8, and a line cut by a chunk
    // boundary is decoded from its joined bytes; each must come out as the whole file's text.
    const seen: [number, unknown][] = [];
    await forEachJsonlLine(file, {}, ({ line, value }) => {
      seen.push([line, value]);
    });
    const expected = lines.flatMap((l, i) => (l.trim() === '' ? [] : [[i + 1, JSON.parse(l) as unknown]]));
    expect(seen).toEqual(expected);

    // A malformed last line is named by its number.
    await writeFile(file, [...lines.slice(0, -1), '', '{oops'].join('\n'));
    await expect(forEachJsonlLine(file, {}, () => undefined)).rejects.toThrow(`${file}:${lines.length + 1}: line: malformed JSON`);
  });

  it('counts a blank line that ends exactly at a chunk cut', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-jsonl-'));
    const file = path.join(dir, 'cut.jsonl');
    // Line 1 fills the first 1 MiB chunk but two bytes, so the chunk ends "…}\n\n": line 2 is blank.
    const head = '{"id": 1, "pad": "';
    const line1 = head + 'x'.repeat((1 << 20) - 2 - head.length - 2) + '"}';
    expect(Buffer.byteLength(line1) + 2).toBe(1 << 20);
    await writeFile(file, `${line1}\n\n{"id": 3}\n{oops\n`);
    const seen: number[] = [];
    await expect(
      forEachJsonlLine(file, {}, ({ line }) => {
        seen.push(line);
      }),
    ).rejects.toThrow(`${file}:4: line: malformed JSON`);
    expect(seen).toEqual([1, 3]);
  });

  it('reads a line longer than several chunks whole, and numbers the lines after it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-jsonl-'));
    const file = path.join(dir, 'long.jsonl');
    const long = '语'.repeat(1_200_000); // 3.6 MB in UTF-8: spans four 1 MiB chunks
    await writeFile(file, `{"id": 1}\n{"id": 2, "t": "${long}"}\n\n{"id": 4}`);
    const seen: [number, unknown, number][] = [];
    await forEachJsonlLine(file, {}, ({ line, value }) => {
      seen.push([line, value.id, typeof value.t === 'string' ? value.t.length : 0]);
    });
    expect(seen).toEqual([
      [1, 1, 0],
      [2, 2, long.length],
      [4, 4, 0],
    ]);
  });
});
