// jiwer's default transforms, and the WeNet tokenisation for the `mixed` unit.
import { PY_S, codePoints, pyStrip } from '../normalizers/python-text.js';
import { wenetTokenize } from '../normalizers/wenet-tokenize.js';

/** Token unit: jiwer words, jiwer characters, or WeNet `--char=1` tokens (CJK characters + whole other runs). */
export type TokenUnit = 'word' | 'char' | 'mixed';

// RemoveMultipleSpaces is `re.sub(r"\s\s+", " ", s)`: a single tab stays a tab
// (and is then not a word delimiter), exactly as in jiwer.
const MULTI_SPACE = new RegExp(`${PY_S}${PY_S}+`, 'gu');

/** jiwer `wer_default`: RemoveMultipleSpaces, Strip, split on " " dropping empty strings. */
export function jiwerWords(text: string): string[] {
  return pyStrip(text.replace(MULTI_SPACE, ' '))
    .split(' ')
    .filter((w) => w.length > 0);
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
