// Corpus-wide token interning for the WER hot path: every distinct token gets a
// small integer id once, and a sentence becomes a run of ids in a reused
// Int32Array. Words are looked up by their characters inside the sentence (an
// open-addressing table keyed on a hash of the code units), so a token seen
// before costs no string allocation — only a token's first occurrence is sliced
// out and kept. Same tokens as tokenize.ts (jiwer's default transforms, WeNet's
// for `mixed`); tests/scorers/wer-fast-path.test.ts checks that.
import { isPyWsCode, pyStrip } from '../normalizers/python-text.js';
import { wenetTokenize } from '../normalizers/wenet-tokenize.js';
import type { TokenUnit } from './tokenize.js';

/** A growable run of token ids: `ids[0, length)` is the current sentence. */
export class TokenIds {
  /** Backing store; longer than `length` once it has grown. */
  ids: Int32Array = new Int32Array(64);
  /** Number of ids in use. */
  length = 0;

  /** Appends one id. */
  push(id: number): void {
    if (this.length === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.length++] = id;
  }
}

// FNV-1a over UTF-16 code units.
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

/** Python `str.isspace()` for one UTF-16 code unit, with the common ASCII cases first. */
function isWs(c: number): boolean {
  if (c > 32 && c < 0x85) return false;
  return isPyWsCode(c);
}

/** Maps tokens to dense ids (0, 1, 2, … in order of first appearance); equal tokens get equal ids. */
export class TokenInterner {
  /** The token of each id. */
  readonly tokens: string[] = [];
  #hashes: Int32Array = new Int32Array(128);
  // slot → id + 1 (0 = empty); size is a power of two, at most half full
  #table: Int32Array = new Int32Array(256);
  #mask = 255;

  /** Number of distinct tokens seen. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of the token `text[start, end)`. */
  intern(text: string, start: number, end: number): number {
    let h = FNV_OFFSET;
    for (let k = start; k < end; k++) h = Math.imul(h ^ text.charCodeAt(k), FNV_PRIME);
    return this.#lookup(text, start, end, h);
  }

  /** {@link intern} with the FNV-1a hash of the token already computed. */
  #lookup(text: string, start: number, end: number, h: number): number {
    const len = end - start;
    const table = this.#table;
    const mask = this.#mask;
    let slot = h & mask;
    for (;;) {
      const e = table[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.#hashes[id] === h) {
        const t = this.tokens[id]!;
        if (t.length === len) {
          let k = 0;
          while (k < len && t.charCodeAt(k) === text.charCodeAt(start + k)) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & mask;
    }
    const id = this.tokens.length;
    this.tokens.push(start === 0 && end === text.length ? text : text.slice(start, end));
    if (id === this.#hashes.length) {
      const grown = new Int32Array(id * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[id] = h;
    table[slot] = id + 1;
    if (2 * (id + 1) > mask) this.#rehash();
    return id;
  }

  #rehash(): void {
    const size = this.#table.length * 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let id = 0; id < this.tokens.length; id++) {
      let slot = this.#hashes[id]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.#table = table;
    this.#mask = mask;
  }

  /**
   * jiwer `wer_default` words of `text` (RemoveMultipleSpaces, Strip, split on
   * " " — the boundaries of tokenize.ts's forEachJiwerWord) as ids, into `out`.
   */
  jiwerWordIds(text: string, out: TokenIds): void {
    out.length = 0;
    this.#appendWordIds(text, 0, text.length, out);
  }

  /**
   * The words of a reference/hypothesis pair as ids, into `refOut` and
   * `hypOut`, leaving out the words of the longest common text before the
   * first difference and after the last one that can be cut at a space.
   * Returns how many words were left out (as many on each side, and equal:
   * they are hits). The counts of aligning what is left equal those of the
   * whole pair: the aligner strips common leading and trailing tokens before
   * anything else (rapidfuzz does), and these words are among them.
   *
   * Cutting at a space (U+0020) is safe because a space always separates
   * words, whatever surrounds it, so the words of text[0, n) are those of
   * text[0, c) followed by those of text[c, n) for any c where text[c] is one.
   */
  jiwerPairIds(reference: string, hypothesis: string, refOut: TokenIds, hypOut: TokenIds): number {
    refOut.length = 0;
    hypOut.length = 0;
    const n1 = reference.length;
    const n2 = hypothesis.length;
    const lim = n1 < n2 ? n1 : n2;
    let p = 0;
    while (p < lim && reference.charCodeAt(p) === hypothesis.charCodeAt(p)) p++;
    // the cut after the common head: p itself when both sides end or have a space there, else the last space before it
    let head = p;
    if (!((p === n1 || reference.charCodeAt(p) === 32) && (p === n2 || hypothesis.charCodeAt(p) === 32))) {
      head = p - 1;
      while (head > 0 && reference.charCodeAt(head) !== 32) head--;
      if (head < 0) head = 0;
    }
    // the common tail after the head, cut at its first space
    const tailMax = (n1 < n2 ? n1 : n2) - head;
    let t = 0;
    while (t < tailMax && reference.charCodeAt(n1 - 1 - t) === hypothesis.charCodeAt(n2 - 1 - t)) t++;
    while (t > 0 && reference.charCodeAt(n1 - t) !== 32) t--;
    const common = countJiwerWords(reference, 0, head) + (t > 0 ? countJiwerWords(reference, n1 - t, n1) : 0);
    this.#appendWordIds(reference, head, n1 - t, refOut);
    this.#appendWordIds(hypothesis, head, n2 - t, hypOut);
    return common;
  }

  /** Appends the ids of the words of text[from, to) to `out`; `from` and `to` are ends of the text or at a space. */
  #appendWordIds(text: string, from: number, to: number, out: TokenIds): void {
    const n = to;
    let i = from;
    let start = -1;
    // hash of the word so far, computed while scanning so the lookup does not read it again
    let h = FNV_OFFSET;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isWs(c)) {
        if (start < 0) {
          start = i;
          h = FNV_OFFSET;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n && isWs(text.charCodeAt(j))) j++;
      if (j - i === 1 && c !== 32 && start >= 0 && j < n) {
        // a lone tab (or other non-space whitespace) between two non-space characters is not a delimiter
        h = Math.imul(h ^ c, FNV_PRIME);
        i = j;
        continue;
      }
      if (start >= 0) out.push(this.#lookup(text, start, i, h));
      start = -1;
      i = j;
    }
    if (start >= 0) out.push(this.#lookup(text, start, n, h));
  }

  /** Token ids of `text` in the given unit, into `out`. */
  unitIds(text: string, unit: TokenUnit, out: TokenIds): void {
    if (unit === 'word') {
      this.jiwerWordIds(text, out);
      return;
    }
    out.length = 0;
    if (unit === 'char') {
      // jiwer `cer_default`: strip, then each code point is a token; its id is the code point itself
      const s = pyStrip(text);
      for (let k = 0; k < s.length; k++) {
        const cp = s.codePointAt(k)!;
        if (cp > 0xffff) k++;
        out.push(cp);
      }
      return;
    }
    for (const t of wenetTokenize(text)) out.push(this.intern(t, 0, t.length));
  }
}

/** Number of jiwer words in text[from, to) (same boundaries as TokenInterner.jiwerWordIds). */
export function countJiwerWords(text: string, from: number, to: number): number {
  let words = 0;
  let i = from;
  let inWord = false;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (!isWs(c)) {
      inWord = true;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < to && isWs(text.charCodeAt(j))) j++;
    if (j - i === 1 && c !== 32 && inWord && j < to) {
      i = j;
      continue;
    }
    if (inWord) words++;
    inWord = false;
    i = j;
  }
  return inWord ? words + 1 : words;
}
