// Helpers that reproduce Python 3 `str`/`re` semantics the reference
// normalizers rely on. JavaScript's \s, \w, \b and \d differ from Python's
// Unicode-aware ones, and those differences change normalized text (and WER).

/** Characters for which Python's `str.isspace()` is true (also Python `re`'s `\s`). */
export const PY_WS_CLASS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Python `re` `\s` as a JS regex fragment (a character class). */
export const PY_S = `[${PY_WS_CLASS}]`;

/** Python `re` `\w` (str patterns): alphanumerics per `str.isalnum()` plus `_`. */
export const PY_W = '[\\p{L}\\p{N}_]';

/** Python `re` `\b` for str patterns, built from {@link PY_W}. */
export const PY_B = `(?:(?<=${PY_W})(?!${PY_W})|(?<!${PY_W})(?=${PY_W}))`;

/** Python `re` `\d` for str patterns (Unicode decimal digits). */
export const PY_D = '\\p{Nd}';

/**
 * Compiles a pattern written with Python escapes. `\b`, `\s`, `\d` and `\w`
 * are rewritten to their Python meaning (`\s`, `\d` and `\w` inside character
 * classes too; `\S`, `\D`, `\W` only outside them); the `u` flag is always
 * added (it is what makes `\p{…}` work).
 */
export function pyRegex(source: string, flags = ''): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      const next = source[i + 1]!;
      if (!inClass && next === 'b') out += PY_B;
      else if (!inClass && next === 's') out += PY_S;
      else if (!inClass && next === 'd') out += PY_D;
      else if (!inClass && next === 'w') out += PY_W;
      else if (!inClass && next === 'S') out += `[^${PY_WS_CLASS}]`;
      // Inside a class the same escapes contribute their members: `[\w</]` must
      // hold every Unicode letter and digit, as in Python, not JS's ASCII \w.
      else if (inClass && next === 's') out += PY_WS_CLASS;
      else if (inClass && next === 'd') out += '\\p{Nd}';
      else if (inClass && next === 'w') out += '\\p{L}\\p{N}_';
      else out += ch + next;
      i++;
      continue;
    }
    if (ch === '[' && !inClass) inClass = true;
    else if (ch === ']' && inClass) inClass = false;
    out += ch;
  }
  return new RegExp(out, flags.includes('u') ? flags : `${flags}u`);
}

const WS_RUN = new RegExp(`${PY_S}+`, 'u');

/** Python `str.split()` with no arguments: split on whitespace runs, no empty items. */
export function pySplit(s: string): string[] {
  return s.split(WS_RUN).filter((w) => w.length > 0);
}

/** Python `str.isspace()` by code unit (all Python whitespace is in the BMP). */
export function isPyWsCode(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    (c >= 0x1c && c <= 0x1f) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python `str.strip()` with no arguments. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPyWsCode(s.charCodeAt(a))) a++;
  while (b > a && isPyWsCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const SINGLE_WS = new RegExp(`^${PY_S}$`, 'u');

/** Python `str.isspace()` for a single code point. */
export function pyIsSpace(ch: string): boolean {
  return SINGLE_WS.test(ch);
}

/** Code points of a string (Python iterates a str by code point, JS by UTF-16 unit). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Length in code points, as Python's `len(str)`. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * `make()`'s value, computed on the first call and kept. For module-level regex tables: Unicode-aware
 * patterns are costly to compile, and every CLI command imports the scorers at startup.
 */
export function once<T>(make: () => T): () => T {
  let value: { readonly v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}
