// OpenAI Whisper `EnglishNumberNormalizer` (whisper/normalizers/english.py, MIT),
// with the Open ASR Leaderboard variant (no "half a million" rewrite).
// Python ints are unbounded ("decillion" is 10^33), so values are BigInt.
import { PY_B, pySplit, pyRegex } from './python-text.js';

type Value = bigint | string | null;

const ONES_LIST = [
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const ZEROS = new Set(['o', 'oh', 'zero']);
const ONES = new Map<string, number>(ONES_LIST.map((n, i) => [n, i + 1]));
const ONES_PLURAL = new Map<string, [number, string]>(ONES_LIST.map((n, i) => [n === 'six' ? 'sixes' : `${n}s`, [i + 1, 's']]));
const ONES_ORDINAL = new Map<string, [number, string]>([
  ['zeroth', [0, 'th']],
  ['first', [1, 'st']],
  ['second', [2, 'nd']],
  ['third', [3, 'rd']],
  ['fifth', [5, 'th']],
  ['twelfth', [12, 'th']],
  ...ONES_LIST.map((n, i): [string, [number, string]] => [n + (n.endsWith('t') ? 'h' : 'th'), [i + 1, 'th']]).filter(([, [v]]) => v > 3 && v !== 5 && v !== 12),
]);
const ONES_SUFFIXED = new Map([...ONES_PLURAL, ...ONES_ORDINAL]);
const TENS = new Map<string, number>([
  ['twenty', 20],
  ['thirty', 30],
  ['forty', 40],
  ['fifty', 50],
  ['sixty', 60],
  ['seventy', 70],
  ['eighty', 80],
  ['ninety', 90],
]);
// Python's str.replace replaces every "y": only the final one exists in these words.
const TENS_SUFFIXED = new Map<string, [number, string]>([
  ...[...TENS].map(([n, v]): [string, [number, string]] => [n.replace(/y/g, 'ies'), [v, 's']]),
  ...[...TENS].map(([n, v]): [string, [number, string]] => [n.replace(/y/g, 'ieth'), [v, 'th']]),
]);
const MULTIPLIER_NAMES = [
  'hundred',
  'thousand',
  'million',
  'billion',
  'trillion',
  'quadrillion',
  'quintillion',
  'sextillion',
  'septillion',
  'octillion',
  'nonillion',
  'decillion',
];
const MULTIPLIERS = new Map<string, bigint>(MULTIPLIER_NAMES.map((n, i) => [n, i === 0 ? 100n : 10n ** BigInt(3 * i)]));
const MULTIPLIERS_SUFFIXED = new Map<string, [bigint, string]>([
  ...[...MULTIPLIERS].map(([n, v]): [string, [bigint, string]] => [`${n}s`, [v, 's']]),
  ...[...MULTIPLIERS].map(([n, v]): [string, [bigint, string]] => [`${n}th`, [v, 'th']]),
]);
const DECIMALS = new Set([...ONES.keys(), ...TENS.keys(), ...ZEROS]);
const PRECEDING_PREFIXERS = new Map([
  ['minus', '-'],
  ['negative', '-'],
  ['plus', '+'],
  ['positive', '+'],
]);
const FOLLOWING_PREFIXERS = new Map([
  ['pound', '£'],
  ['pounds', '£'],
  ['euro', '€'],
  ['euros', '€'],
  ['dollar', '$'],
  ['dollars', '$'],
  ['cent', '¢'],
  ['cents', '¢'],
]);
const PREFIXES = new Set([...PRECEDING_PREFIXERS.values(), ...FOLLOWING_PREFIXERS.values()]);
const SUFFIXERS = new Map<string, string | ReadonlyMap<string, string>>([
  ['per', new Map([['cent', '%']])],
  ['percent', '%'],
]);
const SPECIALS = new Set(['and', 'double', 'triple', 'point']);
const WORDS = new Set<string>([
  ...ZEROS,
  ...ONES.keys(),
  ...ONES_SUFFIXED.keys(),
  ...TENS.keys(),
  ...TENS_SUFFIXED.keys(),
  ...MULTIPLIERS.keys(),
  ...MULTIPLIERS_SUFFIXED.keys(),
  ...PRECEDING_PREFIXERS.keys(),
  ...FOLLOWING_PREFIXERS.keys(),
  ...SUFFIXERS.keys(),
  ...SPECIALS,
]);

const NUMERIC = pyRegex('^\\d+(\\.\\d+)?$');
const FRACTION = pyRegex('^\\s*([-+]?)(?=\\d|\\.\\d)(\\d*)(?:\\.(\\d*))?(?:[eE]([-+]?\\d+))?\\s*$');

const IS_ND = /^\p{Nd}$/u;

function digitsToBigInt(s: string): bigint {
  // Python int() accepts any Unicode decimal digit
  // (Unicode lays decimal digits out in contiguous runs of ten, zero first).
  let out = 0n;
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    let start = cp;
    while (start > 0 && IS_ND.test(String.fromCodePoint(start - 1))) start--;
    out = out * 10n + BigInt((cp - start) % 10);
  }
  return out;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

/** Python `Fraction(str)` for the decimal forms that reach it; null where Python raises. */
function toFraction(s: string | bigint): Fraction | null {
  if (typeof s === 'bigint') return { num: s, den: 1n };
  const m = FRACTION.exec(s);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const dec = m[3] ?? '';
  let num = digitsToBigInt(intPart + dec);
  let den = 10n ** BigInt(dec.length);
  const exp = m[4] ? Number(m[4]) : 0;
  if (exp > 0) num *= 10n ** BigInt(exp);
  else if (exp < 0) den *= 10n ** BigInt(-exp);
  if (m[1] === '-') num = -num;
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

function isTruthy(v: Value): boolean {
  return v !== null && v !== 0n && v !== '';
}

function str(v: bigint | string | number): string {
  return typeof v === 'string' ? v : v.toString();
}

/** `EnglishNumberNormalizer.process_words`. */
export function processNumberWords(words: readonly string[]): string[] {
  const out: string[] = [];
  let prefix: string | null = null;
  let value: Value = null;
  let skip = false;
  const output = (result: bigint | string): string => {
    let r = str(result);
    if (prefix !== null) r = prefix + r;
    value = null;
    prefix = null;
    return r;
  };
  for (const [i, current] of words.entries()) {
    // Python's windowed iteration yields None past either end.
    const prev = words[i - 1] ?? null;
    const next = words[i + 1] ?? null;
    if (skip) {
      skip = false;
      continue;
    }
    const nextIsNumeric = next !== null && NUMERIC.test(next);
    // pySplit yields no empty words; were one to come, it has no prefix.
    const first = Array.from(current)[0] ?? '';
    const hasPrefix = PREFIXES.has(first);
    const currentWithoutPrefix = hasPrefix ? current.slice(first.length) : current;
    const v = value as Value;
    if (NUMERIC.test(currentWithoutPrefix)) {
      const f = toFraction(currentWithoutPrefix)!;
      if (v !== null) {
        if (typeof v === 'string' && v.endsWith('.')) {
          // concatenate decimals / ip address components
          value = v + current;
          continue;
        } else out.push(output(v));
      }
      prefix = hasPrefix ? first : prefix;
      value = f.den === 1n ? f.num : currentWithoutPrefix;
    } else if (!WORDS.has(current)) {
      if (v !== null) out.push(output(v));
      out.push(output(current));
    } else if (ZEROS.has(current)) {
      value = (isTruthy(v) ? str(v!) : '') + '0';
    } else if (ONES.has(current)) {
      const ones = ONES.get(current)!;
      if (v === null) value = BigInt(ones);
      else if (typeof v === 'string' || (prev !== null && ONES.has(prev))) {
        if (prev !== null && TENS.has(prev) && ones < 10) value = str(v).slice(0, -1) + String(ones);
        else value = str(v) + String(ones);
      } else if (ones < 10) {
        value = v % 10n === 0n ? v + BigInt(ones) : str(v) + String(ones);
      } else {
        value = v % 100n === 0n ? v + BigInt(ones) : str(v) + String(ones);
      }
    } else if (ONES_SUFFIXED.has(current)) {
      const [ones, suffix] = ONES_SUFFIXED.get(current)!;
      if (v === null) out.push(output(String(ones) + suffix));
      else if (typeof v === 'string' || (prev !== null && ONES.has(prev))) {
        if (prev !== null && TENS.has(prev) && ones < 10) out.push(output(str(v).slice(0, -1) + String(ones) + suffix));
        else out.push(output(str(v) + String(ones) + suffix));
      } else if (ones < 10) {
        out.push(output(v % 10n === 0n ? str(v + BigInt(ones)) + suffix : str(v) + String(ones) + suffix));
      } else {
        out.push(output(v % 100n === 0n ? str(v + BigInt(ones)) + suffix : str(v) + String(ones) + suffix));
      }
      value = null;
    } else if (TENS.has(current)) {
      const tens = TENS.get(current)!;
      if (v === null) value = BigInt(tens);
      else if (typeof v === 'string') value = v + String(tens);
      else value = v % 100n === 0n ? v + BigInt(tens) : str(v) + String(tens);
    } else if (TENS_SUFFIXED.has(current)) {
      const [tens, suffix] = TENS_SUFFIXED.get(current)!;
      if (v === null) out.push(output(String(tens) + suffix));
      else if (typeof v === 'string') out.push(output(v + String(tens) + suffix));
      else out.push(output(v % 100n === 0n ? str(v + BigInt(tens)) + suffix : str(v) + String(tens) + suffix));
    } else if (MULTIPLIERS.has(current)) {
      const multiplier = MULTIPLIERS.get(current)!;
      if (v === null) value = multiplier;
      else if (typeof v === 'string' || v === 0n) {
        const f = toFraction(v);
        if (f !== null && (f.num * multiplier) % f.den === 0n) value = (f.num * multiplier) / f.den;
        else {
          out.push(output(v));
          value = multiplier;
        }
      } else {
        const before = (v / 1000n) * 1000n;
        const residual = v % 1000n;
        value = before + residual * multiplier;
      }
    } else if (MULTIPLIERS_SUFFIXED.has(current)) {
      const [multiplier, suffix] = MULTIPLIERS_SUFFIXED.get(current)!;
      if (v === null) out.push(output(str(multiplier) + suffix));
      else if (typeof v === 'string') {
        const f = toFraction(v);
        if (f !== null && (f.num * multiplier) % f.den === 0n) out.push(output(str((f.num * multiplier) / f.den) + suffix));
        else {
          out.push(output(v));
          out.push(output(str(multiplier) + suffix));
        }
      } else {
        const before = (v / 1000n) * 1000n;
        const residual = v % 1000n;
        value = before + residual * multiplier;
        out.push(output(str(value) + suffix));
      }
      value = null;
    } else if (PRECEDING_PREFIXERS.has(current)) {
      if (v !== null) out.push(output(v));
      if ((next !== null && WORDS.has(next)) || nextIsNumeric) prefix = PRECEDING_PREFIXERS.get(current)!;
      else out.push(output(current));
    } else if (FOLLOWING_PREFIXERS.has(current)) {
      if (v !== null) {
        prefix = FOLLOWING_PREFIXERS.get(current)!;
        out.push(output(v));
      } else out.push(output(current));
    } else if (SUFFIXERS.has(current)) {
      if (v !== null) {
        const suffix = SUFFIXERS.get(current)!;
        if (typeof suffix !== 'string') {
          if (next !== null && suffix.has(next)) {
            out.push(output(str(v) + suffix.get(next)!));
            skip = true;
          } else {
            out.push(output(v));
            out.push(output(current));
          }
        } else out.push(output(str(v) + suffix));
      } else out.push(output(current));
    } else if (SPECIALS.has(current)) {
      if (!(next !== null && WORDS.has(next)) && !nextIsNumeric) {
        // apply special handling only if the next word can be numeric
        if (v !== null) out.push(output(v));
        out.push(output(current));
      } else if (current === 'and') {
        // "and" after hundreds, thousands, etc. is dropped
        if (!(prev !== null && MULTIPLIERS.has(prev))) {
          if (v !== null) out.push(output(v));
          out.push(output(current));
        }
      } else if (current === 'double' || current === 'triple') {
        if (next !== null && (ONES.has(next) || ZEROS.has(next))) {
          const repeats = current === 'double' ? 2 : 3;
          const ones = ONES.get(next) ?? 0;
          value = (isTruthy(v) ? str(v!) : '') + String(ones).repeat(repeats);
          skip = true;
        } else {
          if (v !== null) out.push(output(v));
          out.push(output(current));
        }
      } else if (current === 'point') {
        if ((next !== null && DECIMALS.has(next)) || nextIsNumeric) value = (isTruthy(v) ? str(v!) : '') + '.';
      }
    }
  }
  if (value !== null) out.push(output(value));
  return out;
}

const AND_A_HALF = pyRegex('\\band\\s+a\\s+half\\b');
const HALF_MULTIPLIER = pyRegex(`\\b(?:a\\s+half\\s+|half\\s+(?:a\\s+)?)(${[...MULTIPLIERS.keys()].sort((a, b) => b.length - a.length).join('|')})\\b`, 'g');
const LETTER_DIGIT = /([a-z])([0-9])/gu;
const DIGIT_LETTER = /([0-9])([a-z])/gu;
const DIGIT_SUFFIX = pyRegex('([0-9])\\s+(st|nd|rd|th|s)\\b', 'g');
const COMBINE_CENTS = pyRegex('([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})\\b', 'g');
const EXTRACT_CENTS = pyRegex('[€£$]0[^\\n]([0-9]{1,2})\\b', 'g');
const ONE_WORD = new RegExp(`${PY_B}1(s?)${PY_B}`, 'gu');

/** `preprocess`; `halfMultiplier` is Whisper's "half a million" → "0.5 million" step (absent in Open ASR). */
export function preprocessNumbers(s: string, halfMultiplier: boolean): string {
  const segments = s.split(AND_A_HALF);
  const results: string[] = [];
  segments.forEach((segment, i) => {
    const lastWord = pySplit(segment).at(-1);
    if (lastWord === undefined) return;
    results.push(segment);
    if (i !== segments.length - 1) {
      results.push(DECIMALS.has(lastWord) || MULTIPLIERS.has(lastWord) ? 'point five' : 'and a half');
    }
  });
  s = results.join(' ');
  if (halfMultiplier) s = s.replace(HALF_MULTIPLIER, '0.5 $1');
  s = s.replace(LETTER_DIGIT, '$1 $2');
  s = s.replace(DIGIT_LETTER, '$1 $2');
  s = s.replace(DIGIT_SUFFIX, '$1$2');
  return s;
}

/** `postprocess`: currency cents and "1(s)" → "one(s)". */
export function postprocessNumbers(s: string): string {
  s = s.replace(COMBINE_CENTS, (_m, currency: string, integer: string, cents: string) => `${currency}${integer}.${String(Number(cents)).padStart(2, '0')}`);
  s = s.replace(EXTRACT_CENTS, (_m, cents: string) => `¢${Number(cents)}`);
  return s.replace(ONE_WORD, 'one$1');
}

/** Whisper `EnglishNumberNormalizer.__call__` (or the Open ASR variant with `halfMultiplier: false`). */
export function normalizeEnglishNumbers(s: string, halfMultiplier = true): string {
  s = preprocessNumbers(s, halfMultiplier);
  s = processNumberWords(pySplit(s)).join(' ');
  return postprocessNumbers(s);
}
