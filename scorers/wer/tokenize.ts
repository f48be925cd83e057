// jiwer's default transforms, and the WeNet tokenisation for the `mixed` unit.
import { codePoints, isPyWsCode, pyStrip } from '../normalizers/python-text.js';
import { wenetTokenize } from '../normalizers/wenet-tokenize.js';

/** Token unit: jiwer words, jiwer characters, or WeNet `--char=1` tokens (CJK characters + whole other runs). */
export type TokenUnit = 'word' | 'char' | 'mixed';

/**
 * jiwer `wer_default` word boundaries without regexes: a run of two or more
 * whitespace characters or a single space separates words; a lone tab (or other
 * non-space whitespace) inside a word stays part of it, and leading/trailing
 * whitespace is stripped — exactly RemoveMultipleSpaces + Strip + split(" ").
 */
export function forEachJiwerWord(s: string, visit: (word: string) => void): void {
  const n = s.length;
  let i = 0;
  let start = -1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (!isPyWsCode(c)) {
      if (start < 0) start = i;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isPyWsCode(s.charCodeAt(j))) j++;
    const single = j - i === 1 && c !== 32;
    if (single && start >= 0 && j < n) {
      // a lone tab between two non-space characters is not a delimiter
      i = j;
      continue;
    }
    if (start >= 0) visit(s.slice(start, i));
    start = -1;
    i = j;
  }
  if (start >= 0) visit(s.slice(start, n));
}

/** jiwer `wer_default`: RemoveMultipleSpaces, Strip, split on " " dropping empty strings. */
export function jiwerWords(text: string): string[] {
  const out: string[] = [];
  forEachJiwerWord(text, (w) => out.push(w));
  return out;
}

/** jiwer `cer_default`: Strip, then every code point (spaces included) is a token. */
export function jiwerChars(text: string): string[] {
  return codePoints(pyStrip(text));
}

/** Splits text into tokens of the given unit. */
export function tokenize(text: string, unit: TokenUnit): string[] {
  if (unit === 'word') return jiwerWords(text);
  if (unit === 'char') return jiwerChars(text);
  return wenetTokenize(text);
}
