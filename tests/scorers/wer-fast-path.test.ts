// The fast corpus-WER path against the reference one: the bit-parallel
// aligner (Hyyrö's matrix, one 32-bit word per 32 reference tokens) must give
// the same edit operations — hence the same S/D/I split — as the plain DP
// matrix walked back the rapidfuzz way, on random pairs of every size class;
// the id interner must split text exactly as tokenize.ts; and scoreAsr's
// counts-only path must produce the same document as its processTokens path.
import { describe, expect, it } from 'vitest';
import { NORMALIZER_NAMES } from '../../scorers/normalizers/normalizer-registry.js';
import type { ScoreItem } from '../../scorers/score-task.js';
import { scoreAsr } from '../../scorers/tasks/asr.js';
import { scoreAsrCorpus } from '../../scorers/wer/asr-corpus-counts.js';
import { addEditCounts, alignTokens, alignTokensReference } from '../../scorers/wer/levenshtein-align.js';
import { countJiwerWords, TokenIds, TokenInterner } from '../../scorers/wer/token-interner.js';
import { tokenize } from '../../scorers/wer/tokenize.js';

// A small LCG so a failure reproduces from its seed.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

/** A hypothesis made from the reference by random edits (so pairs share a lot, as transcripts do), or an unrelated one. */
function pair(rnd: () => number, maxLen: number, alphabet: number): [number[], number[]] {
  const n = Math.floor(rnd() * (maxLen + 1));
  const tok = () => Math.floor(rnd() * alphabet);
  const a = Array.from({ length: n }, tok);
  if (rnd() < 0.2) return [a, Array.from({ length: Math.floor(rnd() * (maxLen + 1)) }, tok)];
  const b: number[] = [];
  const rate = rnd() * 0.6;
  for (const t of a) {
    const r = rnd();
    if (r < rate / 3) continue;
    b.push(r < (2 * rate) / 3 ? tok() : t);
    if (rnd() < rate / 3) b.push(tok());
  }
  return [a, b];
}

function checkPair(a: number[], b: number[]): void {
  const fast = alignTokens(a, b, true);
  const ref = alignTokensReference(a, b, true);
  expect(fast.counts).toEqual(ref.counts);
  expect(fast.editops).toEqual(ref.editops);
  // counts-only entry point, on typed arrays longer than the used range
  const ta = Int32Array.from([...a, 99, 98]);
  const tb = Int32Array.from([...b, 97]);
  const c = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  addEditCounts(ta, a.length, tb, b.length, c);
  expect({ s: c.substitutions, d: c.deletions, i: c.insertions }).toEqual({
    s: ref.counts.substitutions,
    d: ref.counts.deletions,
    i: ref.counts.insertions,
  });
}

describe('bit-parallel alignment = reference DP walk-back', () => {
  it('agrees on empty sides', () => {
    checkPair([], []);
    checkPair([], [1, 2, 3]);
    checkPair([1, 2, 3], []);
    checkPair(
      Array.from({ length: 70 }, (_, i) => i % 3),
      [],
    );
  });

  it('agrees on random short pairs (≤ 32 tokens: one word), tiny alphabets so ties are common', () => {
    const rnd = lcg(1);
    for (let t = 0; t < 3000; t++) {
      const [a, b] = pair(rnd, 34, 2 + Math.floor(rnd() * 5));
      checkPair(a, b);
    }
  });

  it('agrees on random long pairs (33–300 tokens: several words, carries between them)', () => {
    const rnd = lcg(2);
    for (let t = 0; t < 400; t++) {
      const [a, b] = pair(rnd, 300, 2 + Math.floor(rnd() * 40));
      checkPair(a, b);
    }
  });

  it('agrees at the word boundaries (31, 32, 33, 63, 64, 65 reference tokens)', () => {
    const rnd = lcg(3);
    for (const n of [31, 32, 33, 63, 64, 65, 96, 97]) {
      for (let t = 0; t < 60; t++) {
        const a = Array.from({ length: n }, () => Math.floor(rnd() * 3));
        const b = Array.from({ length: Math.floor(rnd() * (n + 8)) }, () => Math.floor(rnd() * 3));
        checkPair(a, b);
        checkPair(b, a);
      }
    }
  });

  it('agrees on a Hirschberg-sized pair (the split is the same; the leaves use either matrix)', () => {
    const rnd = lcg(4);
    const a = Array.from({ length: 2300 }, () => Math.floor(rnd() * 4));
    const b = a.filter(() => rnd() > 0.1).map((t) => (rnd() < 0.1 ? Math.floor(rnd() * 4) : t));
    checkPair(a, b);
  });

  it('a long reference of many distinct tokens against a short hypothesis (bit rows past 16 MB) takes the DP matrix, same answer', () => {
    const rnd = lcg(6);
    // 20k distinct ids × 625 words of bit rows would be 12.5M words; a 5-token answer keeps it a leaf.
    const a = Array.from({ length: 20_000 }, (_, i) => i * 7 + 3);
    const b = [a[10]!, 999_999, a[5000]!, a[19_999]!, Math.floor(rnd() * 10)];
    checkPair(a, b);
    const counts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
    addEditCounts(a, a.length, b, b.length, counts);
    const ref = alignTokensReference(a, b).counts;
    expect([counts.substitutions, counts.deletions, counts.insertions]).toEqual([ref.substitutions, ref.deletions, ref.insertions]);
  });

  it('falls back to the DP matrix for ids it cannot index (negative, fractional, huge), with the same answer', () => {
    const rnd = lcg(5);
    for (let t = 0; t < 200; t++) {
      const [a, b] = pair(rnd, 40, 4);
      const odd = [-1, 0.5, 2 ** 30, 7];
      const a2 = a.map((x) => odd[x % 4]!);
      const b2 = b.map((x) => odd[x % 4]!);
      checkPair(a2, b2);
    }
  });
});

// Text with every kind of boundary the jiwer split cares about: runs of spaces,
// lone tabs and other Python whitespace inside words, CJK, astral code points.
const PIECES = ['a', 'b', 'the', 'café', 'naïve', '我', '爱', '北京', 'iPhone', '，', '😀', 'e\u0301', 'Mr.', "don't", '12', 'x'];
const SEPS = [' ', ' ', '  ', '\t', ' \t ', '\n', '\u3000', '\u00a0', '\u0085', '\u001c', '\u2028', '\t\t', '\ud800'];
function text(rnd: () => number, maxWords: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let s = rnd() < 0.2 ? pick(SEPS) : '';
  const n = Math.floor(rnd() * (maxWords + 1));
  for (let k = 0; k < n; k++) s += (k ? pick(SEPS) : '') + pick(PIECES);
  return s + (rnd() < 0.2 ? pick(SEPS) : '');
}

describe('TokenInterner = tokenize.ts', () => {
  it('word, char and mixed ids stand for the same tokens as tokenize()', () => {
    const rnd = lcg(6);
    const interner = new TokenInterner();
    const ids = new TokenIds();
    for (let t = 0; t < 2000; t++) {
      const s = text(rnd, 40);
      interner.unitIds(s, 'word', ids);
      expect(Array.from(ids.ids.subarray(0, ids.length), (id) => interner.tokens[id])).toEqual(tokenize(s, 'word'));
      interner.unitIds(s, 'mixed', ids);
      expect(Array.from(ids.ids.subarray(0, ids.length), (id) => interner.tokens[id])).toEqual(tokenize(s, 'mixed'));
      interner.unitIds(s, 'char', ids);
      expect(Array.from(ids.ids.subarray(0, ids.length), (cp) => String.fromCodePoint(cp))).toEqual(tokenize(s, 'char'));
    }
  });

  it('gives equal tokens equal ids and different tokens different ids, across table growth', () => {
    const interner = new TokenInterner();
    const words = Array.from({ length: 50_000 }, (_, i) => `w${(i * 7919).toString(36)}`);
    const first = words.map((w) => interner.intern(`<${w}>`, 1, w.length + 1));
    expect(new Set(first).size).toBe(words.length);
    expect(interner.size).toBe(words.length);
    const again = words.map((w) => interner.intern(w, 0, w.length));
    expect(again).toEqual(first);
    expect(first.map((id) => interner.tokens[id])).toEqual(words);
  });
});

describe('jiwerPairIds: the common head and tail left out', () => {
  /** hyp = ref with a few random character-level edits (whitespace included), so cuts fall in every kind of place. */
  function nearCopy(rnd: () => number, ref: string): string {
    const chars = [...'ab 我\t\u3000'];
    let out = ref;
    const edits = Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (out.length + 1));
      const r = rnd();
      const ch = chars[Math.floor(rnd() * chars.length)]!;
      out = r < 0.4 ? out.slice(0, at) + ch + out.slice(at) : r < 0.8 ? out.slice(0, at) + out.slice(at + 1) : out.slice(0, at) + ch + out.slice(at + 1);
    }
    return out;
  }

  it('leaves out only equal words, and the counts of the rest equal those of the whole pair', () => {
    const rnd = lcg(8);
    const interner = new TokenInterner();
    const ref = new TokenIds();
    const hyp = new TokenIds();
    for (let t = 0; t < 4000; t++) {
      const a = text(rnd, 25);
      const b = rnd() < 0.1 ? a : nearCopy(rnd, a);
      const common = interner.jiwerPairIds(a, b, ref, hyp);
      const ta = tokenize(a, 'word');
      const tb = tokenize(b, 'word');
      expect(countJiwerWords(a, 0, a.length)).toBe(ta.length);
      expect(ref.length + common).toBe(ta.length);
      expect(hyp.length + common).toBe(tb.length);
      // what is kept is a run of the whole pair's words
      const midA = Array.from(ref.ids.subarray(0, ref.length), (id) => interner.tokens[id]!);
      const midB = Array.from(hyp.ids.subarray(0, hyp.length), (id) => interner.tokens[id]!);
      // for some split of the left-out words into a head and a tail, both sides read head + kept + tail
      const eq = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((w, k) => w === y[k]);
      const split = Array.from({ length: common + 1 }, (_, k) => k).some(
        (k) =>
          eq(ta.slice(0, k), tb.slice(0, k)) &&
          eq(ta.slice(k, k + midA.length), midA) &&
          eq(tb.slice(k, k + midB.length), midB) &&
          eq(ta.slice(k + midA.length), tb.slice(k + midB.length)),
      );
      expect(split).toBe(true);
      // and aligning it gives the whole pair's counts
      const ids = new Map<string, number>();
      const id = (w: string) => ids.get(w) ?? (ids.set(w, ids.size), ids.size - 1);
      const whole = alignTokensReference(ta.map(id), tb.map(id)).counts;
      const c = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
      addEditCounts(ref.ids, ref.length, hyp.ids, hyp.length, c);
      expect({ s: c.substitutions, d: c.deletions, i: c.insertions, h: ta.length - c.substitutions - c.deletions }).toEqual({
        s: whole.substitutions,
        d: whole.deletions,
        i: whole.insertions,
        h: whole.hits,
      });
    }
  });
});

describe('scoreAsr fast path = the processTokens path', () => {
  it('same metrics and per-sample entries (key order included) for every unit and normalizer', () => {
    const rnd = lcg(7);
    const items: ScoreItem[] = [];
    for (let k = 0; k < 150; k++) {
      const ref = text(rnd, rnd() < 0.1 ? 120 : 30);
      const r = rnd();
      const prediction = r < 0.05 ? null : r < 0.1 ? '' : r < 0.3 ? text(rnd, 30) : ref.replace(/a|我/g, () => (rnd() < 0.5 ? 'b' : ''));
      items.push({ id: `i${k}`, reference: r > 0.97 ? [ref, text(rnd, 3)] : k % 50 === 0 ? '' : ref, prediction });
    }
    for (const unit of ['word', 'char', 'mixed'] as const) {
      for (const normalizer of NORMALIZER_NAMES) {
        const fast = scoreAsr(items, { unit, normalizer });
        const { alignment, ...slow } = scoreAsr(items, { unit, normalizer, keepAlignments: true });
        expect(alignment).toBeDefined();
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
        expect(fast).toEqual(slow);
        // keepSamples: false (`evalgate score` without --json) changes nothing but the per-sample list.
        const totals = scoreAsr(items, { unit, normalizer, keepSamples: false });
        expect(totals.samples).toEqual([]);
        expect({ ...totals, samples: fast.samples }).toEqual(fast);
      }
    }
  });

  it('scoreAsrCorpus (what `evalgate score --task asr` calls without the task registry) = the asr task for the same options', () => {
    const rnd = lcg(11);
    const items: ScoreItem[] = [];
    for (let k = 0; k < 80; k++) {
      const ref = text(rnd, 30);
      items.push({ id: `i${k}`, reference: k % 9 === 0 ? [ref] : ref, prediction: k % 13 === 0 ? null : ref.replace(/a|我/g, () => (rnd() < 0.5 ? 'b' : '')) });
    }
    for (const unit of [undefined, 'word', 'char', 'mixed'] as const) {
      for (const normalizer of [undefined, ...NORMALIZER_NAMES]) {
        for (const keepSamples of [true, false]) {
          const direct = scoreAsrCorpus(items, { unit, normalizer, keepSamples });
          const viaTask = scoreAsr(items, { ...(unit ? { unit } : {}), ...(normalizer ? { normalizer } : {}), keepSamples });
          // the unit mixed defaults to the wenet-zh normalizer, the others to none
          expect(direct.normalizer).toBe(normalizer ?? (unit === 'mixed' ? 'wenet-zh' : 'none'));
          expect(JSON.stringify(direct)).toBe(JSON.stringify(viaTask));
        }
      }
    }
  });

  it('an empty corpus and a corpus of empty texts', () => {
    for (const unit of ['word', 'char', 'mixed'] as const) {
      for (const items of [[], [{ id: 'a', reference: '', prediction: '' }], [{ id: 'a', reference: ' ', prediction: 'x y' }]] as ScoreItem[][]) {
        const fast = scoreAsr(items, { unit });
        const { alignment: _a, ...slow } = scoreAsr(items, { unit, keepAlignments: true });
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
      }
    }
  });
});
