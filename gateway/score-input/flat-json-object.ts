// A fast path for the JSONL lines `evalgate score` reads most: one flat object whose values are strings,
// numbers, true, false or null ({"id": "s1", "task": "asr", "reference": "…"}). V8's JSON.parse copies every
// string out of the line; here a string without escapes is a slice of the line (no copy), which made reading
// 200k reference/prediction lines ~2× faster than JSON.parse. Anything else — an escape, a control
// character, a nested value, "__proto__", odd spacing, malformed text — answers undefined and the caller
// parses the line with JSON.parse, so what it accepts, and every error it reports, stay JSON.parse's.

// Any backslash (an escape) or control character (invalid raw in a JSON string; a tab may be whitespace
// between tokens, but such lines are rare enough to leave to JSON.parse).
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_FULL_PARSE = /[\\\x00-\x1f]/;
// JSON's number grammar, anchored at the start (sticky).
const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const SPACE = 32;

/**
 * The object JSON.parse(text) would return, when `text` is one flat JSON object this reads (see above);
 * undefined otherwise, including for text JSON.parse would reject. Equal to JSON.parse's result in keys,
 * key order (a repeated key keeps its first place and takes its last value) and values.
 */
export function parseFlatJsonObject(text: string): Record<string, unknown> | undefined {
  if (NEEDS_FULL_PARSE.test(text)) return undefined;
  const n = text.length;
  let i = skipSpaces(text, 0);
  if (text.charCodeAt(i) !== 123) return undefined; // {
  i = skipSpaces(text, i + 1);
  const out: Record<string, unknown> = {};
  if (text.charCodeAt(i) === 125) return skipSpaces(text, i + 1) === n ? out : undefined; // {}
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    const key = knownKey(text, i + 1, keyEnd);
    // Assigning "__proto__" would set the prototype; JSON.parse makes it an own property.
    if (key === '__proto__') return undefined;
    i = skipSpaces(text, keyEnd + 1);
    if (text.charCodeAt(i) !== COLON) return undefined;
    i = skipSpaces(text, i + 1);
    const c = text.charCodeAt(i);
    let value: string | number | boolean | null;
    if (c === QUOTE) {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      value = text.slice(i + 1, end);
      i = end + 1;
    } else if (c === 110 && text.startsWith('null', i)) {
      value = null;
      i += 4;
    } else if (c === 116 && text.startsWith('true', i)) {
      value = true;
      i += 4;
    } else if (c === 102 && text.startsWith('false', i)) {
      value = false;
      i += 5;
    } else {
      JSON_NUMBER.lastIndex = i;
      if (!JSON_NUMBER.test(text)) return undefined;
      // Number() rounds a JSON number's text exactly as JSON.parse does (both are correctly rounded).
      value = Number(text.slice(i, JSON_NUMBER.lastIndex));
      i = JSON_NUMBER.lastIndex;
    }
    out[key] = value;
    i = skipSpaces(text, i);
    const d = text.charCodeAt(i);
    if (d === COMMA) {
      i = skipSpaces(text, i + 1);
      continue;
    }
    if (d === 125) return skipSpaces(text, i + 1) === n ? out : undefined; // }
    return undefined;
  }
}

// Keys seen before, reused: every line of a file names the same few keys, and a key string used before
// is already in V8's string table, where a fresh slice would be looked up (and hashed) on every store.
const KNOWN_KEYS_MAX = 32;
const knownKeys: string[] = [];

/** text[start, end) as a string, the one seen before when there is one. */
function knownKey(text: string, start: number, end: number): string {
  const len = end - start;
  for (let k = 0; k < knownKeys.length; k++) {
    const key = knownKeys[k]!;
    if (key.length === len && text.startsWith(key, start)) return key;
  }
  const key = text.slice(start, end);
  if (knownKeys.length < KNOWN_KEYS_MAX) knownKeys.push(key);
  return key;
}

/** The index of the first character at or after `i` that is not a space. */
function skipSpaces(text: string, i: number): number {
  while (text.charCodeAt(i) === SPACE) i++;
  return i;
}
