// A JSON string's text decoded to UTF-8 bytes, without making a JavaScript string: `evalgate score`'s byte
// fast path reads references and predictions written with escapes this way (Python's json.dumps writes
// every non-ASCII character as \uXXXX by default, and a quote inside a transcript as \").

/** A growable byte buffer that decoded text is written into; `bytes[0, length)` is the text. */
export class DecodedBytes {
  bytes = new Uint8Array(1024);
  length = 0;
}

const BACKSLASH = 92;
// the byte each one-letter escape stands for, by the letter's code (0: not an escape)
const SIMPLE = new Uint8Array(128);
for (const [letter, byte] of [
  ['"', 34],
  ['\\', 92],
  ['/', 47],
  ['b', 8],
  ['f', 12],
  ['n', 10],
  ['r', 13],
  ['t', 9],
] as const)
  SIMPLE[letter.charCodeAt(0)] = byte;

/**
 * Decodes the text of a JSON string, `b[s, e)` between its quotes, into `out` as UTF-8. False when it
 * cannot be bytes: a malformed escape, or a lone surrogate (JSON.parse keeps one in its string; UTF-8
 * has no bytes for it), and the caller leaves the file to the general reader.
 */
export function decodeJsonString(b: Uint8Array, s: number, e: number, out: DecodedBytes): boolean {
  // every escape is at least as long as the UTF-8 it stands for, so e - s bytes are enough
  if (out.bytes.length < e - s) out.bytes = new Uint8Array(Math.max(e - s, out.bytes.length * 2));
  const o = out.bytes;
  let n = 0;
  let i = s;
  while (i < e) {
    const c = b[i]!;
    if (c !== BACKSLASH) {
      o[n++] = c;
      i++;
      continue;
    }
    const letter = b[i + 1] ?? 0;
    if (letter !== 117) {
      const byte = letter < 128 ? SIMPLE[letter]! : 0;
      if (byte === 0 || i + 1 >= e) return false;
      o[n++] = byte;
      i += 2;
      continue;
    }
    // \uXXXX, and a surrogate pair as two of them
    let cp = hex4(b, i + 2, e);
    i += 6;
    if (cp >= 0xdc00 && cp <= 0xdfff) return false;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const low = b[i] === BACKSLASH && b[i + 1] === 117 ? hex4(b, i + 2, e) : -1;
      if (low < 0xdc00 || low > 0xdfff) return false;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      i += 6;
    }
    if (cp < 0) return false;
    if (cp < 0x80) o[n++] = cp;
    else if (cp < 0x800) {
      o[n++] = 0xc0 | (cp >> 6);
      o[n++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      o[n++] = 0xe0 | (cp >> 12);
      o[n++] = 0x80 | ((cp >> 6) & 0x3f);
      o[n++] = 0x80 | (cp & 0x3f);
    } else {
      o[n++] = 0xf0 | (cp >> 18);
      o[n++] = 0x80 | ((cp >> 12) & 0x3f);
      o[n++] = 0x80 | ((cp >> 6) & 0x3f);
      o[n++] = 0x80 | (cp & 0x3f);
    }
  }
  out.length = n;
  return true;
}

/** The value of the four hex digits at b[i, i + 4), or -1 when they are not four hex digits before `e`. */
export function hex4(b: Uint8Array, i: number, e: number): number {
  if (i + 4 > e) return -1;
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = b[k]!;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
