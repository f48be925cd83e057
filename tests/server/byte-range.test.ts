// The Range header parser of the media routes (gateway/server/byte-range.ts):
// single `bytes` ranges per RFC 9110 §14. The routes' answers over a real
// socket (206, 416, HEAD, refusals) are in tests/arena/battle-media-large-file.test.ts.
import { describe, expect, it } from 'vitest';
import { parseByteRange } from '../../gateway/server/byte-range.js';

describe('parseByteRange', () => {
  it('reads a-b, a- and -n', () => {
    expect(parseByteRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseByteRange('bytes=10-', 1000)).toEqual({ start: 10, end: 999 });
    expect(parseByteRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseByteRange('bytes=0-0', 1000)).toEqual({ start: 0, end: 0 });
    expect(parseByteRange('bytes=999-999', 1000)).toEqual({ start: 999, end: 999 });
    // Unit case and optional whitespace (RFC 9110: the unit is case-insensitive).
    expect(parseByteRange('Bytes= 5-6 ', 1000)).toEqual({ start: 5, end: 6 });
  });

  it('clamps an end past the file and a suffix longer than it', () => {
    expect(parseByteRange('bytes=500-5000', 1000)).toEqual({ start: 500, end: 999 });
    expect(parseByteRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseByteRange('bytes=0-99999999999999999999', 10)).toEqual({ start: 0, end: 9 });
  });

  it('answers unsatisfiable for a start at or past the end and a zero suffix', () => {
    expect(parseByteRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=1000-2000', 1000)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-0', 0)).toBe('unsatisfiable');
  });

  it('ignores what it does not honour: none, b < a, several ranges, other units, garbage', () => {
    expect(parseByteRange(undefined, 1000)).toBeUndefined();
    expect(parseByteRange('bytes=5-4', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=0-1, -5', 1000)).toBeUndefined();
    expect(parseByteRange('items=0-1', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=-', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=a-b', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=1-2-3', 1000)).toBeUndefined();
    expect(parseByteRange('bytes=+1-2', 1000)).toBeUndefined();
    expect(parseByteRange('0-1', 1000)).toBeUndefined();
    expect(parseByteRange('', 1000)).toBeUndefined();
    // An empty file has no last n bytes to name: sent whole (empty) as without the header.
    expect(parseByteRange('bytes=-5', 0)).toBeUndefined();
  });
});
