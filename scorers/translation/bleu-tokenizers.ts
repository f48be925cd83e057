// sacrebleu's BLEU tokenizers (sacrebleu/tokenizers/tokenizer_{13a,re,zh,intl,char,none}.py
// at the release named in sacrebleu-version.ts), reimplemented on JavaScript regexes with
// Python 3 `str` semantics: Python whitespace for split/strip and code points (not UTF-16
// units) for "characters".
import { codePoints, pySplit, pyStrip } from '../normalizers/python-text.js';

/** The tokenizers implemented here, by sacrebleu's `-tok` names. */
export const BLEU_TOKENIZERS = ['13a', 'zh', 'intl', 'char', 'none'] as const;
export type BleuTokenizerName = (typeof BLEU_TOKENIZERS)[number];

/**
 * sacrebleu tokenizers that need a SentencePiece model (`flores101`, `flores200`, `spm`,
 * `spBLEU-1K`) or MeCab dictionaries (`ja-mecab`, `ko-mecab`). No npm package ships those
 * models, and scorers do no I/O, so they are named but refused.
 */
export const UNSUPPORTED_BLEU_TOKENIZERS = ['flores101', 'flores200', 'spm', 'spBLEU-1K', 'ja-mecab', 'ko-mecab'] as const;

// mteval-v13a's language-dependent rules, shared by `13a` and `zh` (tokenizer_re.py).
// Rule 1's class covers ASCII { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
const RE_SYMBOLS = /([{-~[-` -&(-+:-@/])/gu;
const RE_PUNCT_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const RE_PUNCT_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/** Python `' '.join(s.split())`: collapse runs of Python whitespace, trim the ends. */
export function pyCollapseSpaces(s: string): string {
  return pySplit(s).join(' ');
}

/** sacrebleu's `TokenizerRegexp` (the mteval-v13a rules after the language-independent part). */
export function tokenizeRegexp(line: string): string {
  const out = line
    .replace(RE_SYMBOLS, ' $1 ')
    .replace(RE_PUNCT_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(RE_PUNCT_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(RE_DASH_AFTER_DIGIT, '$1 $2 ');
  return pyCollapseSpaces(out);
}

/** `13a`: mteval-v13a.pl, sacrebleu's default. */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    // Same order as mteval: &amp;lt; becomes &lt;, not <.
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  // The padding makes a sentence-final period separable (the 13a/intl difference).
  return tokenizeRegexp(` ${s} `);
}

// tokenizer_zh.py's _UCODE_RANGES as sacrebleu actually evaluates them. Its two
// "(UTF16)" entries are written '\u20000'..'\u2a6d6' and '\u2f800'..'\u2fa1d', which
// Python reads as two-character strings ('\u2000' + '0', ...); comparing one character
// against them lexicographically yields U+2001..U+2A6D and U+2F81..U+2FA1, and no
// character outside the BMP is ever "Chinese". Reproduced on purpose: it is what every
// published `tok:zh` score used (general punctuation such as “ ” — … is split off).
const ZH_RANGES: readonly (readonly [number, number])[] = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fa5],
  [0x9fa6, 0x9fbb],
  [0xf900, 0xfa2d],
  [0xfa30, 0xfa6a],
  [0xfa70, 0xfad9],
  [0x2001, 0x2a6d],
  [0x2f81, 0x2fa1],
  [0xff00, 0xffef],
  [0x2e80, 0x2eff],
  [0x3000, 0x303f],
  [0x31c0, 0x31ef],
  [0x2f00, 0x2fdf],
  [0x2ff0, 0x2fff],
  [0x3100, 0x312f],
  [0x31a0, 0x31bf],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe4f],
  [0x2600, 0x26ff],
  [0x2700, 0x27bf],
  [0x3200, 0x32ff],
  [0x3300, 0x33ff],
];

/** Whether sacrebleu's `zh` tokenizer treats this code point as a Chinese character. */
export function isZhChar(cp: number): boolean {
  for (const [lo, hi] of ZH_RANGES) if (cp >= lo && cp <= hi) return true;
  return false;
}

/** `zh`: every Chinese character (by {@link isZhChar}) on its own, the rest by the 13a rules (no padding). */
export function tokenizeZh(line: string): string {
  let s = '';
  for (const ch of pyStrip(line)) s += isZhChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return tokenizeRegexp(s);
}

// mteval-v14 international rules (tokenizer_intl.py uses the `regex` module's \p{..};
// JavaScript's Unicode property escapes are the same classes).
const RE_INTL_PUNCT_AFTER = /(\P{N})(\p{P})/gu;
const RE_INTL_PUNCT_BEFORE = /(\p{P})(\P{N})/gu;
const RE_INTL_SYMBOL = /(\p{S})/gu;

/** `intl`: mteval-v14 international tokenization (punctuation and symbols split unless between digits). */
export function tokenizeIntl(line: string): string {
  const s = line.replace(RE_INTL_PUNCT_AFTER, '$1 $2 ').replace(RE_INTL_PUNCT_BEFORE, ' $1 $2').replace(RE_INTL_SYMBOL, ' $1 ');
  return pyCollapseSpaces(s);
}

/** `char`: every code point separated by a space (whitespace characters then vanish when split). */
export function tokenizeChar(line: string): string {
  return codePoints(line).join(' ');
}

/** `none`: the line unchanged (it is still split on whitespace for n-grams). */
export function tokenizeNone(line: string): string {
  return line;
}

const TOKENIZERS: Record<BleuTokenizerName, (line: string) => string> = {
  '13a': tokenize13a,
  zh: tokenizeZh,
  intl: tokenizeIntl,
  char: tokenizeChar,
  none: tokenizeNone,
};

/** The tokenizer for a sacrebleu `-tok` name; a clear error for the model-based ones and unknown names. */
export function getBleuTokenizer(name: string): (line: string) => string {
  if ((UNSUPPORTED_BLEU_TOKENIZERS as readonly string[]).includes(name)) {
    throw new Error(
      `BLEU tokenizer '${name}' is not implemented: it needs a SentencePiece or MeCab model that no npm package ships ` +
        `(sacrebleu downloads it at run time, and scorers do no I/O); use one of ${BLEU_TOKENIZERS.join(', ')}`,
    );
  }
  if (!Object.hasOwn(TOKENIZERS, name)) {
    throw new Error(`unknown BLEU tokenizer '${name}'; expected one of ${BLEU_TOKENIZERS.join(', ')}`);
  }
  return TOKENIZERS[name as BleuTokenizerName];
}
