import { isAscii } from 'node:buffer';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { parseFlatJsonObject } from './flat-json-object.js';
import { badAt, unreadable } from './prediction-rows.js';

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
 * Calls `each` for every non-blank line of a JSONL file, parsed, in order; `each` returning false stops
 * the read. The file is streamed in 1 MiB chunks and split with indexOf, so a 100k-line file is never one
 * string, and lines are handled synchronously within a chunk (no promise per line, unlike readline's
 * async iterator, which measured 1.7× slower on 100k lines here). Blank lines are skipped; anything else
 * must be a JSON object.
 */
export async function forEachJsonlLine(file: string, options: JsonlReadOptions, each: (line: JsonlLine) => boolean | void): Promise<void> {
  // Byte chunks, cut after their last newline and decoded whole: a newline byte never occurs inside a
  // multi-byte UTF-8 sequence, so no character is split, and one utf8 decode per chunk is about twice
  // as fast here as a StringDecoder stream (100k lines: 140 vs 260 ms).
  let n = 0;
  let stopped = false;
  const take = (raw: string): void => {
    n += 1;
    let text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    // a line that starts with "{" is not blank (most lines: no trim)
    if (text.charCodeAt(0) !== 123 && text.trim() === '') return;
    if (each({ line: n, value: parseObject(file, n, text, options) }) === false) stopped = true;
  };
  // Every line of `text`, the last one included even when empty (it ended at the chunk's cut newline).
  const takeLines = (text: string): void => {
    let pos = 0;
    for (let end = text.indexOf('\n', pos); end >= 0 && !stopped; end = text.indexOf('\n', pos)) {
      take(text.slice(pos, end));
      pos = end + 1;
    }
    if (!stopped) take(text.slice(pos));
  };
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    // One buffer, read into again and again: a fresh 1 MiB buffer per chunk (as a read stream allocates)
    // is fresh memory each time, and first touches of memory (page faults) cost ~15 µs a page on the
    // machines measured, ~60 ms per 100k-line file.
    const buffer = Buffer.allocUnsafeSlow(1 << 20);
    // The start of a line that runs past its chunk waits here (copied out of the reused buffer) until its
    // newline arrives; only those bytes are joined, never the whole next chunk.
    const pending: Buffer[] = [];
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const cut = chunk.lastIndexOf(10) + 1;
      if (cut === 0) {
        pending.push(Buffer.from(chunk));
        continue;
      }
      let from = 0;
      if (pending.length > 0) {
        const firstEnd = chunk.indexOf(10);
        takeLines(decode(Buffer.concat([...pending.splice(0), chunk.subarray(0, firstEnd)])));
        if (stopped) return;
        from = firstEnd + 1;
      }
      // Decoded in pieces of about 64 KiB, cut at newlines: a string that small is made in V8's young
      // generation, whose memory is used again once the piece's lines are done with, where a 1 MiB one
      // is fresh memory each time (and first touches of memory are slow).
      while (from < cut && !stopped) {
        const end = from + PIECE >= cut ? cut : chunk.lastIndexOf(10, from + PIECE) + 1;
        const pieceEnd = end > from ? end : chunk.indexOf(10, from) + 1;
        takeLines(decode(chunk, from, pieceEnd - 1));
        from = pieceEnd;
      }
      if (stopped) return;
      if (cut < chunk.length) pending.push(Buffer.from(chunk.subarray(cut)));
    }
    if (pending.length > 0 && !stopped) takeLines(decode(Buffer.concat(pending)));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && e.syscall !== undefined) throw unreadable(file, err);
    throw err;
  } finally {
    await handle?.close();
  }
}

/** Bytes decoded at a time (see forEachJsonlLine). */
const PIECE = 1 << 16;

/**
 * The bytes as text. ASCII bytes decode the same as latin1 and as UTF-8, and latin1 is a plain copy into a
 * one-byte string (isAscii is a SIMD scan): 100k manifest lines decode in ~10 ms instead of ~90 ms.
 */
function decode(bytes: Buffer, start = 0, end = bytes.length): string {
  return bytes.toString(isAscii(bytes.subarray(start, end)) ? 'latin1' : 'utf8', start, end);
}

/** The first non-blank line's object, or undefined for an empty file; reads no further than its chunk. */
export async function firstJsonlLine(file: string, options: JsonlReadOptions = {}): Promise<JsonlLine | undefined> {
  let first: JsonlLine | undefined;
  await forEachJsonlLine(file, options, (line) => {
    first = line;
    return false;
  });
  return first;
}

/**
 * A whole JSON document (VLMEvalKit's PRED_FORMAT=json, lmms-eval 0.1/0.2's `<task>.json`), with Python's
 * NaN / Infinity read as null (both are written by Python's json.dump). Undefined when the text is not JSON.
 */
export async function readJsonDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const retry = withoutPythonFloats(text);
    if (retry === undefined) return undefined;
    try {
      return JSON.parse(retry) as unknown;
    } catch {
      return undefined;
    }
  }
}

function parseObject(file: string, line: number, text: string, options: JsonlReadOptions): Record<string, unknown> {
  // Flat lines (the usual manifest and prediction rows) without JSON.parse; anything else, errors included, with it.
  const flat = parseFlatJsonObject(text);
  if (flat !== undefined) return flat;
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
