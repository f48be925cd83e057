// OpenAI Whisper `EnglishTextNormalizer` (whisper/normalizers/english.py, MIT) and
// the Open ASR Leaderboard variant (huggingface/open_asr_leaderboard
// normalizer/normalizer.py, Apache-2.0). Differences are listed in docs/scoring.md.
import { BRACKETS, PARENS, removeSymbolsAndDiacritics } from './basic-text-normalizer.js';
import { normalizeEnglishNumbers } from './english-number-normalizer.js';
import { openAsrSpelling, whisperSpelling } from './english-spelling.js';
import { once, PY_S, pyRegex, pySplit } from './python-text.js';

/**
 * The patterns, compiled on first use: compiling them (Unicode-aware Python \\b and \\s)
 * costs ~45 ms, which every CLI command paid at startup when this module was imported.
 */
const patterns = once(() => {
  const IGNORE = pyRegex('\\b(hmm|mm|mhm|mmm|uh|um)\\b', 'g');
  const SPACE_APOSTROPHE = pyRegex("\\s+'", 'g');

  const REPLACERS: readonly (readonly [RegExp, string])[] = (
    [
      // common contractions
      ["\\bwon't\\b", 'will not'],
      ["\\bcan't\\b", 'can not'],
      ["\\blet's\\b", 'let us'],
      ["\\bain't\\b", 'aint'],
      ["\\by'all\\b", 'you all'],
      ['\\bwanna\\b', 'want to'],
      ['\\bgotta\\b', 'got to'],
      ['\\bgonna\\b', 'going to'],
      ["\\bi'ma\\b", 'i am going to'],
      ['\\bimma\\b', 'i am going to'],
      ['\\bwoulda\\b', 'would have'],
      ['\\bcoulda\\b', 'could have'],
      ['\\bshoulda\\b', 'should have'],
      ["\\bma'am\\b", 'madam'],
      // contractions in titles/prefixes
      ['\\bmr\\b', 'mister '],
      ['\\bmrs\\b', 'missus '],
      ['\\bst\\b', 'saint '],
      ['\\bdr\\b', 'doctor '],
      ['\\bprof\\b', 'professor '],
      ['\\bcapt\\b', 'captain '],
      ['\\bgov\\b', 'governor '],
      ['\\bald\\b', 'alderman '],
      ['\\bgen\\b', 'general '],
      ['\\bsen\\b', 'senator '],
      ['\\brep\\b', 'representative '],
      ['\\bpres\\b', 'president '],
      ['\\brev\\b', 'reverend '],
      ['\\bhon\\b', 'honorable '],
      ['\\basst\\b', 'assistant '],
      ['\\bassoc\\b', 'associate '],
      ['\\blt\\b', 'lieutenant '],
      ['\\bcol\\b', 'colonel '],
      ['\\bjr\\b', 'junior '],
      ['\\bsr\\b', 'senior '],
      ['\\besq\\b', 'esquire '],
      // perfect tenses
      ["'d been\\b", ' had been'],
      ["'s been\\b", ' has been'],
      ["'d gone\\b", ' had gone'],
      ["'s gone\\b", ' has gone'],
      ["'d done\\b", ' had done'],
      ["'s got\\b", ' has got'],
      // general contractions
      ["n't\\b", ' not'],
      ["'re\\b", ' are'],
      ["'s\\b", ' is'],
      ["'d\\b", ' would'],
      ["'ll\\b", ' will'],
      ["'t\\b", ' not'],
      ["'ve\\b", ' have'],
      ["'m\\b", ' am'],
    ] as const
  ).map(([p, r]) => [pyRegex(p, 'g'), r] as const);

  const DIGIT_COMMA = pyRegex('(\\d),(\\d)', 'g');
  const PERIOD_NOT_NUMBER = /\.([^0-9]|$)/gu;
  const CURRENCY_SPACE = pyRegex('([$¢€£])\\s+([0-9])', 'g');
  const PERCENT_SPACE = pyRegex('([0-9])\\s+%', 'g');
  const LONE_SYMBOL = /[.$¢€£]([^0-9])/gu;
  const LONE_PERCENT = /([^0-9])%/gu;
  const WS_RUNS = new RegExp(`${PY_S}+`, 'gu');

  // Open ASR Leaderboard additions
  const TRAILING_ELLIPSIS = pyRegex('\\.{3,}\\s*$');
  const MID_ELLIPSIS = pyRegex('\\s*\\.{3,}\\s*', 'g');
  const ABBREVIATIONS: readonly (readonly [RegExp, string])[] = (
    [
      ['\\b([a-z])\\.([a-z])\\.([a-z])\\.s\\b', '$1$2$3s'],
      ['\\b([a-z])\\.([a-z])\\.([a-z])\\.([a-z])\\.?\\b', '$1$2$3$4'],
      ['\\b([a-z])\\.([a-z])\\.([a-z])\\.?\\b', '$1$2$3'],
      ['\\b([a-z])\\.([a-z])\\.?\\b', '$1$2'],
      ['\\b([a-z])\\.\\s+([a-z])\\.\\s+([a-z])\\.\\s+([a-z])\\.\\b', '$1$2$3$4'],
      ['\\b([a-z])\\.\\s+([a-z])\\.\\s+([a-z])\\.\\b', '$1$2$3'],
      ['\\b([a-z])\\.\\s+([a-z])\\.\\b', '$1$2'],
      ["\\b([a-z])\\.([a-z])\\.([a-z])\\.'s\\b", '$1$2$3s'],
    ] as const
  ).map(([p, r]) => [pyRegex(p, 'g'), r] as const);
  return {
    IGNORE,
    SPACE_APOSTROPHE,
    REPLACERS,
    DIGIT_COMMA,
    PERIOD_NOT_NUMBER,
    CURRENCY_SPACE,
    PERCENT_SPACE,
    LONE_SYMBOL,
    LONE_PERCENT,
    WS_RUNS,
    TRAILING_ELLIPSIS,
    MID_ELLIPSIS,
    ABBREVIATIONS,
  };
});

function spell(s: string, mapping: ReadonlyMap<string, string>): string {
  return pySplit(s)
    .map((w) => mapping.get(w) ?? w)
    .join(' ');
}

/** Whisper `EnglishTextNormalizer.__call__`. */
export function whisperEnglishNormalize(text: string): string {
  const { IGNORE, SPACE_APOSTROPHE, REPLACERS, DIGIT_COMMA, PERIOD_NOT_NUMBER, CURRENCY_SPACE, PERCENT_SPACE, LONE_SYMBOL, LONE_PERCENT, WS_RUNS } = patterns();
  let s = text.toLowerCase();
  s = s.replace(BRACKETS, '');
  s = s.replace(PARENS, '');
  s = s.replace(IGNORE, '');
  s = s.replace(SPACE_APOSTROPHE, "'");
  for (const [re, rep] of REPLACERS) s = s.replace(re, rep);
  s = s.replace(DIGIT_COMMA, '$1$2');
  s = s.replace(PERIOD_NOT_NUMBER, ' $1');
  s = removeSymbolsAndDiacritics(s, '.%$¢€£');
  s = normalizeEnglishNumbers(s, true);
  s = spell(s, whisperSpelling());
  s = s.replace(CURRENCY_SPACE, '$1$2');
  s = s.replace(PERCENT_SPACE, '$1%');
  s = s.replace(LONE_SYMBOL, ' $1');
  s = s.replace(LONE_PERCENT, '$1 ');
  return s.replace(WS_RUNS, ' ');
}

/** Open ASR Leaderboard `EnglishTextNormalizer.__call__`. */
export function openAsrEnglishNormalize(text: string): string {
  const {
    TRAILING_ELLIPSIS,
    MID_ELLIPSIS,
    IGNORE,
    SPACE_APOSTROPHE,
    ABBREVIATIONS,
    REPLACERS,
    DIGIT_COMMA,
    PERIOD_NOT_NUMBER,
    LONE_SYMBOL,
    LONE_PERCENT,
    WS_RUNS,
  } = patterns();
  let s = text.toLowerCase();
  s = s.replace(TRAILING_ELLIPSIS, '');
  s = s.replace(MID_ELLIPSIS, ' ');
  s = s.replace(BRACKETS, '');
  s = s.replace(PARENS, '');
  s = s.replace(IGNORE, '');
  s = s.replace(SPACE_APOSTROPHE, "'");
  for (const [re, rep] of ABBREVIATIONS) s = s.replace(re, rep);
  for (const [re, rep] of REPLACERS) s = s.replace(re, rep);
  s = s.replace(DIGIT_COMMA, '$1$2');
  s = s.replace(PERIOD_NOT_NUMBER, ' $1');
  s = removeSymbolsAndDiacritics(s, '.%$¢€£');
  s = normalizeEnglishNumbers(s, false);
  s = spell(s, openAsrSpelling());
  s = s.replace(LONE_SYMBOL, ' $1');
  s = s.replace(LONE_PERCENT, '$1 ');
  return s.replace(WS_RUNS, ' ');
}
