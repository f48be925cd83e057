// jiwer's default words of a reference/hypothesis pair read straight from bytes, for text whose only
// whitespace is the ASCII space (printable ASCII: what `evalgate score`'s fast path lets through). There
// jiwer's `wer_default` (RemoveMultipleSpaces, Strip, split on " ") is "the maximal runs of non-space
// bytes", so the words are found and interned without decoding the text. TokenInterner.jiwerPairIds does
// the same for any text, on strings; tests/scorers/ascii-word-ids.test.ts checks the two agree.
import { type ByteInterner, FNV_OFFSET, fnv1aStep } from './byte-interner.js';
import type { TokenIds } from './token-interner.js';

const SPACE = 32;

/**
 * The words of `ref[rs, re)` and `hyp[hs, he)` as ids into `refOut` and `hypOut`, leaving out the words
 * of the longest common text before the first difference and after the last one that can be cut at a
 * space, as TokenInterner.jiwerPairIds does (the aligner strips common leading and trailing tokens first,
 * so the counts are unchanged). Returns how many words were left out of each side (they are hits).
 * The bytes must be printable ASCII (0x20–0x7e), so that a space is the only whitespace.
 */
export function asciiPairWordIds(
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
