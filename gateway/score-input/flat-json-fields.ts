// Where the wanted fields' values lie on one JSONL line, found on its bytes: the lines `evalgate score`
// reads most ({"id": "s1", "task": "asr", "reference": "…"}) are one flat object, and the ASCII fast path
// (asr-pairs-in-step.ts) needs only the byte range of three values. Strict on purpose: it reads one flat
// object of strings, numbers, true, false and null, with spaces or tabs between tokens, and answers false
// for anything else (a nested value, a repeated wanted key, a refused key, malformed text) — the caller
// then leaves the file to the general reader, whose JSON.parse decides what the line is and which error
// it gets. Escapes are checked (JSON's grammar) but not decoded: `escaped[k]` says a value has some
// (json-string-bytes.ts decodes it), and a key with one is left to JSON.parse.

import { hex4 } from './json-string-bytes.js';

/** The kind of a wanted field's value after {@link FlatFields.scan}. */
export const FieldKind = {
  Absent: 0,
  /** A string; its range excludes the quotes. */
  String: 1,
  /** An integer written as String(Number(text)) writes it back (so it names the same id as its text). */
  Int: 2,
  Null: 3,
  /** true, false, or any other number. */
  Other: 4,
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

const QUOTE = 34;
const BACKSLASH = 92;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

/** Scans lines for a fixed list of keys; after a successful scan, field k's value is `kinds[k]` over `[starts[k], ends[k])`. */
export class FlatFields {
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** 1 where the string value of field k has an escape (its bytes are not its text). */
  readonly escaped: Uint8Array;
  readonly #keys: readonly Buffer[];
  readonly #refused: readonly Buffer[];

  /** `keys`: the wanted keys; `refused`: keys whose presence makes the line one for the general reader. */
  constructor(keys: readonly string[], refused: readonly string[]) {
    this.#keys = keys.map((k) => Buffer.from(k, 'latin1'));
    this.#refused = refused.map((k) => Buffer.from(k, 'latin1'));
    this.kinds = new Uint8Array(keys.length);
    this.starts = new Int32Array(keys.length);
    this.ends = new Int32Array(keys.length);
    this.escaped = new Uint8Array(keys.length);
  }

  /** Reads `b[s, e)` as one flat JSON object; false when it is not one this reads (see above). */
  scan(b: Uint8Array, s: number, e: number): boolean {
    this.kinds.fill(FieldKind.Absent);
    // every read below is guarded by `< e`: past the line's end the buffer holds earlier lines' bytes
    let i = skipBlanks(b, s, e);
    if (i >= e || b[i] !== 123) return false; // {
    i = skipBlanks(b, i + 1, e);
    if (i < e && b[i] === 125) return skipBlanks(b, i + 1, e) === e; // {}
    for (;;) {
      if (i >= e || b[i] !== QUOTE) return false;
      const keyEnd = stringEnd(b, i + 1, e);
      // a key with an escape may spell a wanted one ("\u0069d" is "id"): JSON.parse's to read
      if (keyEnd < 0 || escapeSeen) return false;
      const field = this.#keyIndex(b, i + 1, keyEnd);
      if (field === -2) return false;
      i = skipBlanks(b, keyEnd + 1, e);
      if (i >= e || b[i] !== 58) return false; // :
      i = skipBlanks(b, i + 1, e);
      if (i >= e) return false;
      const start = b[i] === QUOTE ? i + 1 : i;
      let end: number;
      let kind: FieldKind;
      let escape = false;
      const c = b[i];
      if (c === QUOTE) {
        end = stringEnd(b, i + 1, e);
        if (end < 0) return false;
        kind = FieldKind.String;
        escape = escapeSeen;
        i = end + 1;
      } else if (c === 110 && literalAt(b, i, e, 'null')) {
        end = i + 4;
        kind = FieldKind.Null;
        i = end;
      } else if ((c === 116 && literalAt(b, i, e, 'true')) || (c === 102 && literalAt(b, i, e, 'false'))) {
        end = i + (c === 116 ? 4 : 5);
        kind = FieldKind.Other;
        i = end;
      } else {
        end = numberEnd(b, i, e);
        if (end < 0) return false;
        kind = isPlainInt(b, i, end) ? FieldKind.Int : FieldKind.Other;
        i = end;
      }
      if (field >= 0) {
        if (this.kinds[field] !== FieldKind.Absent) return false; // repeated: JSON.parse keeps the last; left to it
        this.kinds[field] = kind;
        this.starts[field] = start;
        this.ends[field] = end;
        this.escaped[field] = escape ? 1 : 0;
      }
      i = skipBlanks(b, i, e);
      if (i < e && b[i] === 44) {
        i = skipBlanks(b, i + 1, e);
        continue;
      }
      return i < e && b[i] === 125 && skipBlanks(b, i + 1, e) === e; // }
    }
  }

  /** The index of the wanted key b[s, e); -1 for another key, -2 for a refused one. */
  #keyIndex(b: Uint8Array, s: number, e: number): number {
    for (let k = 0; k < this.#keys.length; k++) if (sameBytes(this.#keys[k]!, 0, this.#keys[k]!.length, b, s, e)) return k;
    for (const r of this.#refused) if (sameBytes(r, 0, r.length, b, s, e)) return -2;
    return -1;
  }
}

/** Whether a[as, ae) and b[bs, be) hold the same bytes (a loop: these are short, and a native call costs more). */
export function sameBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): boolean {
  const n = ae - as;
  if (be - bs !== n) return false;
  for (let k = 0; k < n; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

/** The first index at or after i that is not a space or tab (JSON whitespace; "\r\n" end the line). */
function skipBlanks(b: Uint8Array, i: number, e: number): number {
  while (i < e && (b[i] === 32 || b[i] === 9)) i++;
  return i;
}

/** Whether the last {@link stringEnd} passed an escape. */
let escapeSeen = false;

/**
 * The closing quote of a string whose text starts at i, or -1: none on the line, a raw control character
 * or a malformed escape (invalid JSON). Sets {@link escapeSeen}.
 */
function stringEnd(b: Uint8Array, i: number, e: number): number {
  escapeSeen = false;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i;
    if (c < 32) return -1;
    if (c !== BACKSLASH) continue;
    escapeSeen = true;
    const letter = b[i + 1];
    if (letter === 117) {
      if (hex4(b, i + 2, e) < 0) return -1;
      i += 5;
    } else if (
      letter === QUOTE ||
      letter === BACKSLASH ||
      letter === 47 ||
      letter === 98 ||
      letter === 102 ||
      letter === 110 ||
      letter === 114 ||
      letter === 116
    ) {
      i += 1;
    } else return -1;
  }
  return -1;
}

function literalAt(b: Uint8Array, i: number, e: number, word: string): boolean {
  if (i + word.length > e) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= ZERO && c <= NINE;

/** The end of the JSON number at i (RFC 8259's grammar), or -1 when none starts there. */
function numberEnd(b: Uint8Array, i: number, e: number): number {
  if (b[i] === MINUS) i++;
  if (i >= e || !isDigit(b[i])) return -1;
  if (b[i] === ZERO) i++;
  else while (i < e && isDigit(b[i])) i++;
  if (i < e && b[i] === 46) {
    i++;
    if (i >= e || !isDigit(b[i])) return -1;
    while (i < e && isDigit(b[i])) i++;
  }
  if (i < e && (b[i] === 101 || b[i] === 69)) {
    i++;
    if (i < e && (b[i] === 43 || b[i] === MINUS)) i++;
    if (i >= e || !isDigit(b[i])) return -1;
    while (i < e && isDigit(b[i])) i++;
  }
  return i;
}

/** Whether b[s, e) is "0" or an optionally negative integer without leading zeros, short enough to be exact (≤ 15 digits). */
function isPlainInt(b: Uint8Array, s: number, e: number): boolean {
  const digits = b[s] === MINUS ? s + 1 : s;
  if (e - digits > 15 || e === digits) return false;
  for (let k = digits; k < e; k++) if (!isDigit(b[k])) return false;
  if (b[digits] === ZERO) return e - digits === 1 && digits === s; // "0", not "-0" (String(-0) is "0") nor "01"
  return true;
}
