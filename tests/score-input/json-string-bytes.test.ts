// decodeJsonString (gateway/score-input/json-string-bytes.ts) against JSON.parse: the UTF-8 bytes of the
// string JSON.parse reads from the same text, for every escape JSON has, on random strings written both
// as JSON.stringify writes them and with every non-ASCII character escaped (Python's ensure_ascii).
import { describe, expect, it } from 'vitest';
import { DecodedBytes, decodeJsonString, hex4 } from '../../gateway/score-input/json-string-bytes.js';

// A small LCG so a failure reproduces from its seed.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

const PIECES = ['a', 'Z', ' ', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', '\u0001', '\u001f', 'é', 'ß', '€', '语', '😀', '\u2028', '\u00a0', '\u007f'];
const escapeAll = (json: string): string => json.replace(/[^\x20-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const slashes = (json: string): string => json.replace(/\//g, '\\/');

function decode(jsonText: string): Buffer | false {
  const b = Buffer.from(jsonText, 'utf8');
  const out = new DecodedBytes();
  return decodeJsonString(b, 1, b.length - 1, out) ? Buffer.from(out.bytes.subarray(0, out.length)) : false;
}

describe('decodeJsonString', () => {
  it('gives the UTF-8 of what JSON.parse reads, for raw, \\u-escaped and \\/-escaped spellings', () => {
    const rnd = lcg(17);
    for (let k = 0; k < 2000; k++) {
      const s = Array.from({ length: Math.floor(rnd() * 12) }, () => PIECES[Math.floor(rnd() * PIECES.length)]).join('');
      for (const text of [JSON.stringify(s), escapeAll(JSON.stringify(s)), slashes(escapeAll(JSON.stringify(s)))]) {
        expect(JSON.parse(text)).toBe(s);
        expect(decode(text), text).toEqual(Buffer.from(s, 'utf8'));
      }
    }
  });

  it('reads upper- and lower-case hex, and refuses lone surrogates and malformed escapes', () => {
    expect(decode('"\\u00E9\\u00e9"')).toEqual(Buffer.from('éé'));
    expect(decode('"\\uD83D\\uDE00"')).toEqual(Buffer.from('😀'));
    for (const bad of ['"\\ud800"', '"\\ud800x"', '"\\udc00"', '"\\ud800\\u0041"', '"\\q"', '"\\u12"', '"\\u12g4"']) expect(decode(bad), bad).toBe(false);
    expect(hex4(Buffer.from('00fF'), 0, 4)).toBe(255);
    expect(hex4(Buffer.from('00f'), 0, 3)).toBe(-1);
  });
});
