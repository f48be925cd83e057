import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** One line of a text file with its 1-based number. */
export interface NumberedLine {
  /** 1-based line number, counting blank lines. */
  readonly line: number;
  /** The line without its `\n` or `\r\n`. */
  readonly text: string;
}

/** Options of {@link readLineBatches}. */
export interface ReadLineBatchesOptions {
  /** Lines per batch (default 1000); blank lines are not yielded but are counted. */
  readonly batchLines?: number;
  /** Called with every chunk of raw bytes as it is read (e.g. to hash the file in the same pass). */
  readonly onBytes?: (chunk: Buffer) => void;
  /** Cancels the read. */
  readonly signal?: AbortSignal;
}

/**
 * The non-blank lines of a file, in batches, read as a stream: at most one
 * chunk (64 KiB) plus one batch is held at a time, whatever the file's size.
 * Lines split as parseManifestText splits them (`\n`, with a `\r` before it
 * dropped), so line numbers agree with the in-memory parser's. Async
 * iteration of the read stream pauses it while the consumer works, so a slow
 * consumer (database inserts) never lets lines pile up. `node:readline` is
 * not used because its async iterator queues lines without a bound.
 */
export async function* readLineBatches(path: string, opts: ReadLineBatchesOptions = {}): AsyncGenerator<NumberedLine[]> {
  const batchLines = opts.batchLines ?? 1000;
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  let batch: NumberedLine[] = [];
  const take = (raw: string): void => {
    lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() !== '') batch.push({ line: lineNo, text });
  };
  for await (const chunk of createReadStream(path, { signal: opts.signal, highWaterMark: 64 * 1024 })) {
    const buf = chunk as Buffer;
    opts.onBytes?.(buf);
    const text = carry + decoder.write(buf);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (batch.length >= batchLines) {
      yield batch;
      batch = [];
    }
  }
  carry += decoder.end();
  if (carry !== '') take(carry);
  if (batch.length > 0) yield batch;
}

/** Lines in a file (newlines, plus a last line without one), counted in a streamed pass: a progress bar's total. */
export async function countLines(path: string, signal?: AbortSignal): Promise<number> {
  let n = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 })) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
    if (buf.length > 0) last = buf[buf.length - 1]!;
  }
  return last === 0x0a ? n : n + 1;
}
