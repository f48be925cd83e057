// The JSONL fast path must answer exactly what JSON.parse answers, or nothing (then the reader falls back
// to JSON.parse, whose result and error messages are therefore unchanged).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFlatJsonObject } from '../../gateway/score-input/flat-json-object.js';
import { forEachJsonlLine } from '../../gateway/score-input/jsonl-lines.js';

/** JSON.parse's answer, or its error message. */
function viaJsonParse(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Equal values, key order included (toEqual ignores key order; JSON.stringify and Object.keys do not). */
function expectSameAsJsonParse(text: string, fast: Record<string, unknown>): void {
  const parsed = viaJsonParse(text);
  expect('value' in parsed, `${text}: JSON.parse rejects it`).toBe(true);
  const value = (parsed as { value: Record<string, unknown> }).value;
  expect(Object.getPrototypeOf(fast)).toBe(Object.prototype);
  expect(Object.keys(fast)).toEqual(Object.keys(value));
  for (const k of Object.keys(value)) expect(Object.is(fast[k], value[k]), `${text}: key ${k}`).toBe(true);
}

describe('parseFlatJsonObject', () => {
  it('reads flat objects as JSON.parse does: string, number, true, false and null values', () => {
    const lines = [
      '{"id":"s0","task":"asr","reference":"w0 w19f w1a"}',
      '{"id": "s1", "prediction": "a b c"}',
      '{ "id" : 3 , "prediction" : null }',
      '{}',
      '  {  }  ',
      '{"id":0}',
      '{"id":-0}',
      '{"id":-12.5e+3,"x":1E2,"y":0.000001,"z":123456789012345678901234567890}',
      '{"id":9007199254740993}',
      '{"a":true,"b":false,"c":null,"d":""}',
      // unicode as raw characters (no escapes): CJK, an astral character, U+2028, DEL
      '{"id":"语音-1","prediction":"我们 😀 café \u2028 \u007f"}',
      // a repeated key keeps its first place and takes the last value
      '{"id":"a","prediction":"x","id":"b"}',
      // integer-like keys come first in key order, ascending, as in any object
      '{"b":1,"2":2,"a":3,"1":4}',
      // brackets and braces inside a string are text
      '{"prediction":"{not: nested} [1, 2]","id":"x"}',
      '{"":"empty key","constructor":"c","toString":"t","hasOwnProperty":"h"}',
    ];
    for (const line of lines) {
      const fast = parseFlatJsonObject(line);
      expect(fast, line).toBeDefined();
      expectSameAsJsonParse(line, fast!);
    }
  });

  it('answers undefined for what it leaves to JSON.parse: escapes, control characters, nested values, __proto__, other whitespace', () => {
    const lines = [
      '{"id":"a\\"b"}',
      '{"id":"a\\\\b"}',
      '{"id":"\\u00e9"}',
      '{"id":"a\\nb"}',
      '{"id":"a\tb"}',
      '{"id":\t"a"}',
      '\t{"id":"a"}',
      '{"id":"a","reference":["x","y"]}',
      '{"id":"a","doc":{"question_id":3}}',
      '{"id":"a","resps":[]}',
      '{"__proto__":"x","id":"a"}',
      '{"id":"a"}\r',
    ];
    for (const line of lines) {
      expect(parseFlatJsonObject(line), line).toBeUndefined();
      // each is still a JSON object line (or a malformed one) that JSON.parse decides
    }
  });

  it('answers undefined for text JSON.parse rejects, and for JSON that is not one object', () => {
    const lines = [
      '',
      '   ',
      '{',
      '}',
      '{"id":"a"',
      '{"id":"a",}',
      '{"id":"a"}}',
      '{"id":"a"} x',
      '{"id" "a"}',
      '{id:"a"}',
      "{'id':'a'}",
      '{"id":"a" "b":1}',
      '{"id":01}',
      '{"id":1.}',
      '{"id":.5}',
      '{"id":+1}',
      '{"id":-}',
      '{"id":1e}',
      '{"id":0x10}',
      '{"id":NaN}',
      '{"id":Infinity}',
      '{"id":nul}',
      '{"id":nullx}',
      '{"id":True}',
      '{"id":"unterminated}',
      '{"id:"a"}',
      '[1,2]',
      '"a"',
      '3',
      'null',
    ];
    for (const line of lines) {
      const fast = parseFlatJsonObject(line);
      const parsed = viaJsonParse(line);
      if (fast !== undefined) {
        // only a valid object may come back, and then it is JSON.parse's
        expectSameAsJsonParse(line, fast);
      }
      const isObject = 'value' in parsed && parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value);
      if (!isObject) expect(fast, line).toBeUndefined();
    }
  });

  it('agrees with JSON.parse on random flat lines built from tricky pieces', () => {
    // A small LCG so a failure reproduces from its seed.
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const keys = ['id', 'prediction', 'task', 'reference', '0', '10', 'a b', 'é', '__proto__', 'id'];
    const values = ['"x"', '""', '"语 音"', '"a\\"b"', '"\\u0041"', '12', '-0', '1.5e-7', '1e400', 'null', 'true', 'false', '[]', '{"k":1}', '"\t"', '01', '"'];
    const spaces = ['', '', ' ', '  ', '\t'];
    let fastCount = 0;
    for (let k = 0; k < 3000; k++) {
      const n = Math.floor(rnd() * 5);
      const members = Array.from({ length: n }, () => `${pick(spaces)}"${pick(keys)}"${pick(spaces)}:${pick(spaces)}${pick(values)}${pick(spaces)}`);
      const line = `${pick(spaces)}{${members.join(rnd() < 0.95 ? ',' : ',,')}${n === 0 ? pick(spaces) : ''}}${pick(spaces)}`;
      const fast = parseFlatJsonObject(line);
      const parsed = viaJsonParse(line);
      if (fast === undefined) continue;
      fastCount++;
      expect('value' in parsed, line).toBe(true);
      expectSameAsJsonParse(line, fast);
    }
    // the fast path did take a good share of them
    expect(fastCount).toBeGreaterThan(300);
  });
});

describe('forEachJsonlLine with the fast path', () => {
  it('gives every line what JSON.parse gives, and the same error for a malformed line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-flat-'));
    const file = path.join(dir, 'mixed.jsonl');
    const lines = [
      '{"id":"s0","task":"asr","reference":"a b"}',
      '{"id":"s1","task":"asr","reference":["a b"],"dataset":"x"}',
      '{"id":2,"prediction":"say \\"hi\\""}',
      '{"id":"s3","prediction":null,"id":"s3b"}',
      '{"id":"语","prediction":"é 😀"}',
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const seen: unknown[] = [];
    await forEachJsonlLine(file, {}, ({ value }) => {
      seen.push(value);
    });
    expect(JSON.stringify(seen)).toBe(JSON.stringify(lines.map((l) => JSON.parse(l) as unknown)));

    const bad = '{"id":"a",}';
    await writeFile(file, `${lines[0]!}\n${bad}\n`);
    const message = (viaJsonParse(bad) as { error: string }).error;
    await expect(forEachJsonlLine(file, {}, () => undefined)).rejects.toThrow(`${file}:2: line: malformed JSON (${message})`);
  });
});
