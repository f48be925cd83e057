// The byte reader of words (scorers/wer/ascii-word-ids.ts) against the string one it stands in for
// (TokenInterner.jiwerPairIds): on printable ASCII, fed the same pairs in the same order, both must leave
// out the same common words and give the same ids to what is left — ids are dense by first appearance,
// so equal id runs mean equal words, cut and interned the same way.
import { describe, expect, it } from 'vitest';
import { hasOtherPyWhitespace, spacePairWordIds } from '../../scorers/wer/space-split-words.js';
import { ByteInterner } from '../../scorers/wer/byte-interner.js';
import { isPyWsCode } from '../../scorers/normalizers/python-text.js';
import { TokenIds, TokenInterner } from '../../scorers/wer/token-interner.js';

// A small LCG so a failure reproduces from its seed.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

const WORDS = ['a', 'ab', 'abc', 'b', 'ba', 'the', 'then', 'he', 'x-y', "don't", 'A', 'AB', '1', '12', '!', '~~'];

/** Words joined by runs of 1–3 spaces, sometimes with spaces before and after. */
function text(rnd: () => number, words: string[]): string {
  const gap = () => ' '.repeat(1 + Math.floor(rnd() * (rnd() < 0.8 ? 1 : 3)));
  const edge = () => (rnd() < 0.2 ? ' '.repeat(1 + Math.floor(rnd() * 2)) : '');
  return edge() + words.map((w, k) => (k === 0 ? w : gap() + w)).join('') + edge();
}

function words(rnd: () => number, n: number): string[] {
  return Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]!);
}

/** A hypothesis sharing most of the reference's words (so heads and tails are common), or an unrelated one. */
function hypothesisOf(rnd: () => number, ref: string[]): string[] {
  if (rnd() < 0.15) return words(rnd, Math.floor(rnd() * 8));
  const out: string[] = [];
  for (const w of ref) {
    const r = rnd();
    if (r < 0.08) continue;
    out.push(r < 0.16 ? `${w}${rnd() < 0.5 ? 'x' : ''}` : w);
    if (rnd() < 0.05) out.push(words(rnd, 1)[0]!);
  }
  return out;
}

const ids = (t: TokenIds): number[] => Array.from(t.ids.subarray(0, t.length));

describe('spacePairWordIds', () => {
  it('cuts and interns exactly as TokenInterner.jiwerPairIds on random ASCII pairs', () => {
    const rnd = lcg(7);
    const strings = new TokenInterner();
    const bytes = new ByteInterner();
    const [sr, sh, br, bh] = [new TokenIds(), new TokenIds(), new TokenIds(), new TokenIds()];
    let commonSeen = 0;
    for (let k = 0; k < 3000; k++) {
      const refWords = words(rnd, Math.floor(rnd() * 12));
      const ref = text(rnd, refWords);
      const hyp = rnd() < 0.05 ? ref : text(rnd, hypothesisOf(rnd, refWords));
      // both texts inside larger buffers, so offsets other than 0 are exercised
      const rb = Buffer.from(`{"r":"${ref}"}`, 'latin1');
      const hb = Buffer.from(`xx${hyp}yyy`, 'latin1');
      const expected = strings.jiwerPairIds(ref, hyp, sr, sh);
      const got = spacePairWordIds(bytes, rb, 6, 6 + ref.length, hb, 2, 2 + hyp.length, br, bh);
      expect({ k, common: got, ref: ids(br), hyp: ids(bh) }).toEqual({ k, common: expected, ref: ids(sr), hyp: ids(sh) });
      commonSeen += got;
    }
    expect(bytes.size).toBe(strings.size);
    // the head/tail cut was exercised, not only whole-pair interning
    expect(commonSeen).toBeGreaterThan(1000);
  });

  it('handles empty and all-space texts, and a text that is a prefix of the other', () => {
    const bytes = new ByteInterner();
    const [r, h] = [new TokenIds(), new TokenIds()];
    const run = (a: string, b: string) => {
      const common = spacePairWordIds(bytes, Buffer.from(a), 0, a.length, Buffer.from(b), 0, b.length, r, h);
      return { common, ref: r.length, hyp: h.length };
    };
    expect(run('', '')).toEqual({ common: 0, ref: 0, hyp: 0 });
    expect(run('   ', '')).toEqual({ common: 0, ref: 0, hyp: 0 });
    expect(run('a b', 'a b c')).toEqual({ common: 2, ref: 0, hyp: 1 });
    expect(run('a b', 'a bc')).toEqual({ common: 1, ref: 1, hyp: 1 });
    expect(run('xa b', 'a b')).toEqual({ common: 1, ref: 1, hyp: 1 });
    expect(run('the cat', ' the  cat ')).toEqual({ common: 0, ref: 2, hyp: 2 });
  });
});

describe('ByteInterner', () => {
  it('gives equal bytes equal ids and different bytes different ids, across growth and hash collisions', () => {
    const interner = new ByteInterner();
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i.toString(36)}`);
    const buf = Buffer.from(keys.join(''), 'latin1');
    const place: [number, number][] = [];
    let at = 0;
    for (const k of keys) {
      place.push([at, at + k.length]);
      at += k.length;
    }
    // every key hashed to the same value: lookups must still compare the bytes
    const first = place.map(([s, e]) => interner.intern(buf, s, e, 42));
    expect(first).toEqual(keys.map((_, i) => i));
    const again = place.map(([s, e]) => interner.intern(buf, s, e, 42));
    expect(again).toEqual(first);
    expect(interner.size).toBe(5000);
  });
});

describe('hasOtherPyWhitespace', () => {
  it('finds exactly the Python whitespace characters other than the space, in every code point', () => {
    const found: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const bytes = Buffer.from(`a${String.fromCodePoint(cp)}b`, 'utf8');
      if (hasOtherPyWhitespace(bytes, 0, bytes.length)) found.push(cp);
    }
    // Python 3: [c for c in range(0x110000) if chr(c).isspace() and c != 0x20]
    const python = [
      0x9,
      0xa,
      0xb,
      0xc,
      0xd,
      0x1c,
      0x1d,
      0x1e,
      0x1f,
      0x85,
      0xa0,
      0x1680,
      ...Array.from({ length: 11 }, (_, k) => 0x2000 + k),
      0x2028,
      0x2029,
      0x202f,
      0x205f,
      0x3000,
    ];
    expect(found).toEqual(python);
    expect(found.every((c) => isPyWsCode(c))).toBe(true);
  });
});
