// OpenAI Whisper `whisper/normalizers/basic.py` (MIT).
import { PY_S } from './python-text.js';

// non-ASCII letters that NFKD does not decompose
const ADDITIONAL_DIACRITICS: Readonly<Record<string, string>> = {
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  æ: 'ae',
  Æ: 'AE',
  ß: 'ss',
  ẞ: 'SS',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'th',
  ł: 'l',
  Ł: 'L',
};

const IS_MN = /^\p{Mn}$/u;
const IS_MSP = /^[\p{M}\p{S}\p{P}]$/u;
const IS_SP = /^[\p{S}\p{P}]$/u;

/** `remove_symbols_and_diacritics`: NFKD, drop Mn marks, other marks/symbols/punctuation → space. */
export function removeSymbolsAndDiacritics(s: string, keep = ''): string {
  let out = '';
  for (const c of s.normalize('NFKD')) {
    if (keep.includes(c)) out += c;
    else if (Object.hasOwn(ADDITIONAL_DIACRITICS, c)) out += ADDITIONAL_DIACRITICS[c];
    else if (IS_MN.test(c)) out += '';
    else if (IS_MSP.test(c)) out += ' ';
    else out += c;
  }
  return out;
}

/** `remove_symbols`: NFKC, marks/symbols/punctuation → space (marks kept with `preserveMarks`). */
export function removeSymbols(s: string, preserveMarks = false): string {
  const test = preserveMarks ? IS_SP : IS_MSP;
  let out = '';
  for (const c of s.normalize('NFKC')) out += test.test(c) ? ' ' : c;
  return out;
}

/** Brackets `[…]`/`<…>` and their content. */
export const BRACKETS = /[<[][^>\]]*[>\]]/gu;
/** Parenthesised text, non-greedy as in Whisper. */
export const PARENS = /\(([^)]+?)\)/gu;
const WS_RUNS = new RegExp(`${PY_S}+`, 'gu');

/** Options of Whisper's `BasicTextNormalizer`. */
export interface BasicNormalizerOptions {
  /** Use `remove_symbols_and_diacritics` instead of `remove_symbols`. */
  readonly removeDiacritics?: boolean;
  /** Keep Unicode marks (Brahmic scripts, Thai…). */
  readonly preserveMarks?: boolean;
  /** Separate every grapheme cluster with a space. */
  readonly splitLetters?: boolean;
}

/** Whisper `BasicTextNormalizer.__call__`. */
export function basicTextNormalize(text: string, options: BasicNormalizerOptions = {}): string {
  let s = text.toLowerCase();
  s = s.replace(BRACKETS, '');
  s = s.replace(PARENS, '');
  s = options.removeDiacritics ? removeSymbolsAndDiacritics(s) : removeSymbols(s, options.preserveMarks);
  s = s.toLowerCase();
  if (options.splitLetters) {
    const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    s = Array.from(seg.segment(s), (x) => x.segment).join(' ');
  }
  return s.replace(WS_RUNS, ' ');
}
