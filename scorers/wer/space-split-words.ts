// jiwer's default words of a reference/hypothesis pair read straight from UTF-8 bytes, for text whose only
// whitespace is U+0020 (hasOtherPyWhitespace says when it is not). There jiwer's `wer_default`
// (RemoveMultipleSpaces, Strip, split on " ") gives "the maximal runs of non-space bytes": a space byte
// never occurs inside a multi-byte UTF-8 character, and equal valid UTF-8 bytes are equal strings. So the
// words are found and interned without decoding the text. TokenInterner.jiwerPairIds does the same for
// any text, on strings; tests/scorers/space-split-words.test.ts checks the two agree.
import { type ByteInterner, FNV_OFFSET, fnv1aStep } from './byte-interner.js';
import type { TokenIds } from './token-interner.js';

const SPACE = 32;

/**
 * The words of `ref[rs, re)` and `hyp[hs, he)` as ids into `refOut` and `hypOut`, leaving out the words
 * of the longest common text before the first difference and after the last one that can be cut at a
 * space, as TokenInterner.jiwerPairIds does (the aligner strips common leading and trailing tokens first,
 * so the counts are unchanged). Returns how many words were left out of each side (they are hits).
 * The bytes must be valid UTF-8 in which {@link hasOtherPyWhitespace} finds nothing.
 */
export function spacePairWordIds(
  words: ByteInterner,
  ref: Uint8Array,
  rs: number,
  re: number,
  hyp: Uint8Array,
  hs: number,
  he: number,
  refOut: TokenIds,
  hypOut: TokenIds,
): number {
  refOut.length = 0;
  hypOut.length = 0;
  const n1 = re - rs;
  const n2 = he - hs;
  const lim = n1 < n2 ? n1 : n2;
  let p = 0;
  while (p < lim && ref[rs + p] === hyp[hs + p]) p++;
  // the cut after the common head: p itself when both sides end or have a space there, else the last space before it
  let head = p;
  if (!((p === n1 || ref[rs + p] === SPACE) && (p === n2 || hyp[hs + p] === SPACE))) {
    head = p - 1;
    while (head > 0 && ref[rs + head] !== SPACE) head--;
    if (head < 0) head = 0;
  }
  // the common tail after the head, cut at its first space
  const tailMax = lim - head;
  let t = 0;
  while (t < tailMax && ref[re - 1 - t] === hyp[he - 1 - t]) t++;
  while (t > 0 && ref[re - t] !== SPACE) t--;
  const common = countWords(ref, rs, rs + head) + countWords(ref, re - t, re);
  appendWordIds(words, ref, rs + head, re - t, refOut);
  appendWordIds(words, hyp, hs + head, he - t, hypOut);
  return common;
}

/** Appends the ids of the space-separated words of bytes[from, to) to `out`. */
function appendWordIds(words: ByteInterner, bytes: Uint8Array, from: number, to: number, out: TokenIds): void {
  let i = from;
  while (i < to) {
    while (i < to && bytes[i] === SPACE) i++;
    if (i === to) return;
    const start = i;
    let h = FNV_OFFSET;
    for (let c = bytes[i]!; c !== SPACE; c = bytes[i]!) {
      h = fnv1aStep(h, c);
      if (++i === to) break;
    }
    out.push(words.intern(bytes, start, i, h));
  }
}

/** Number of space-separated words in bytes[from, to). */
function countWords(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  let inWord = false;
  for (let i = from; i < to; i++) {
    const word = bytes[i] !== SPACE;
    if (word && !inWord) n++;
    inWord = word;
  }
  return n;
}

/**
 * Whether bytes[from, to) (UTF-8) hold a Python whitespace character other than U+0020: a control one
 * (U+0009–000D, U+001C–001F) or U+0085, U+00A0, U+1680, U+2000–200A, U+2028, U+2029, U+202F, U+205F,
 * U+3000 (str.isspace, as jiwer's regexes and splits read it). Such text is left to TokenInterner, which
 * applies jiwer's rules for them (a lone tab inside a word, for one).
 */
export function hasOtherPyWhitespace(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c < 0x20) {
      if ((c >= 0x09 && c <= 0x0d) || c >= 0x1c) return true;
    } else if (c >= 0xc2 && c <= 0xe3) {
      const c1 = bytes[i + 1];
      const c2 = bytes[i + 2];
      if (c === 0xc2 && (c1 === 0x85 || c1 === 0xa0)) return true;
      if (c === 0xe1 && c1 === 0x9a && c2 === 0x80) return true;
      if (c === 0xe2 && c1 === 0x80 && c2 !== undefined && (c2 <= 0x8a || c2 === 0xa8 || c2 === 0xa9 || c2 === 0xaf)) return true;
      if (c === 0xe2 && c1 === 0x81 && c2 === 0x9f) return true;
      if (c === 0xe3 && c1 === 0x80 && c2 === 0x80) return true;
    }
  }
  return false;
}
