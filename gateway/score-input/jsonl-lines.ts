import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { badAt } from './prediction-rows.js';

/** One non-blank line of a JSONL file, parsed. */
export interface JsonlLine {
  /** 1-based line number, counting blank lines. */
  readonly line: number;
  /** The parsed object. */
  readonly value: Record<string, unknown>;
}

/** Options for reading JSONL. */
export interface JsonlReadOptions {
  /**
   * Accept Python's non-standard `NaN`, `Infinity` and `-Infinity` tokens (as null). Python's json.dumps
   * writes them for float metrics, and lmms-eval's sample lines carry each metric's per-sample value.
   */
  readonly pythonFloats?: boolean;
}

/**
 * Streams a JSONL file line by line (readline over a file stream), so a 100k-line file never becomes
 * one string. Blank lines are skipped; anything else must be a JSON object.
 */
export async function* readJsonlLines(file: string, options: JsonlReadOptions = {}): AsyncGenerator<JsonlLine> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw badAt(file, 0, 'file', `cannot read: ${(err as Error).message}`);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n += 1;
      const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      yield { line: n, value: parseObject(file, n, text, options) };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** The first non-blank line's object, or undefined for an empty file; reads no further than that line. */
export async function firstJsonlLine(file: string, options: JsonlReadOptions = {}): Promise<JsonlLine | undefined> {
  for await (const line of readJsonlLines(file, options)) return line;
  return undefined;
}

function parseObject(file: string, line: number, text: string, options: JsonlReadOptions): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const retry = options.pythonFloats ? withoutPythonFloats(text) : undefined;
    if (retry === undefined) throw badAt(file, line, 'line', `malformed JSON (${(err as Error).message})`);
    try {
      value = JSON.parse(retry);
    } catch {
      throw badAt(file, line, 'line', `malformed JSON (${(err as Error).message})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'a JSON array' : typeof value;
    throw badAt(file, line, 'line', `expected one JSON object per line, found ${what}`);
  }
  return value as Record<string, unknown>;
}

/**
 * The text with Python's bare NaN / Infinity / -Infinity tokens (outside strings) replaced by null,
 * or undefined when it has none. Only tried after JSON.parse failed, so valid lines pay nothing.
 */
function withoutPythonFloats(text: string): string | undefined {
  let out = '';
  let changed = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const token = text.startsWith('-Infinity', i) ? '-Infinity' : text.startsWith('Infinity', i) ? 'Infinity' : text.startsWith('NaN', i) ? 'NaN' : '';
    if (token !== '') {
      out += 'null';
      i += token.length;
      changed = true;
      continue;
    }
    out += c;
    i += 1;
  }
  return changed ? out : undefined;
}
