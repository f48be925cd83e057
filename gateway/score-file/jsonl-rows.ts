import { readFile } from 'node:fs/promises';

/** Names a bad line of a JSONL file: file, 1-based line (0 for the file itself), field and what is wrong. */
export type BadLine = (file: string, line: number, field: string, detail: string) => Error;

/** One object line of a JSONL file. */
export interface JsonlRow {
  /** 1-based line number, for messages. */
  readonly line: number;
  /** The parsed object. */
  readonly value: Record<string, unknown>;
}

/**
 * Calls `each` for every non-blank line of a JSONL file, parsed, in order.
 * The file is read as one string and walked with indexOf: `score` keeps every
 * sample in memory to aggregate anyway, and this is the cheapest walk (no
 * array of line strings, no row objects kept after `each` returns).
 */
export async function forEachJsonlRow(file: string, bad: BadLine, each: (row: JsonlRow) => void): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw bad(file, 0, 'file', `cannot read: ${(err as Error).message}`);
  }
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let line = 1; pos < text.length; line++) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    pos = end + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw bad(file, line, 'line', `malformed JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(file, line, 'line', 'expected a JSON object');
    each({ line, value: value as Record<string, unknown> });
  }
}

/** A row's `id`: a non-empty string, or a finite number as its decimal string. */
export function rowId(row: JsonlRow, file: string, bad: BadLine, field = 'id'): string {
  const id = row.value[field];
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  throw bad(file, row.line, field, 'missing or not a string');
}
