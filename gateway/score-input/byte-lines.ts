// The lines of a file as byte ranges of one reused read buffer, read synchronously a chunk at a time.
// `evalgate score`'s ASCII fast path walks the references and the predictions with one of these each,
// line by line in step, and never decodes a line: no string is made, and the same 1 MiB of memory is
// read into again and again (memory touched for the first time costs ~15 µs a page on the machines
// measured, ~90 ms for two 100k-line files read whole). Synchronous reads: the CLI path that uses it
// has nothing else to do meanwhile, and no server code calls it.
import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const NEWLINE = 10;

/** A file's lines, one at a time: after {@link next} answers true, `bytes[start, end)` is the line, without its "\n" or a "\r" before it. */
export class ByteLines {
  /** The read buffer; the current line lies inside it. */
  bytes: Buffer = Buffer.allocUnsafeSlow(1 << 20);
  /** Start of the current line in `bytes`. */
  start = 0;
  /** End of the current line in `bytes` (exclusive). */
  end = 0;
  /**
   * Whether every byte read into the buffer and not yet passed (the current line included) is ASCII: the
   * caller then skips its checks of a line's UTF-8 (a SIMD scan per read, where most files are ASCII).
   */
  ascii = true;
  readonly #fd: number;
  #filled = 0;
  #pos = 0;
  #eof = false;

  /** Opens `file`; throws what openSync throws (the caller falls back to the reader that reports it). */
  constructor(file: string) {
    this.#fd = openSync(file, 'r');
  }

  /** Moves to the next line; false at the end of the file. */
  next(): boolean {
    for (;;) {
      const nl = this.#pos < this.#filled ? this.bytes.indexOf(NEWLINE, this.#pos) : -1;
      if (nl >= 0 && nl < this.#filled) {
        this.#take(nl);
        this.#pos = nl + 1;
        return true;
      }
      if (this.#eof) {
        if (this.#pos >= this.#filled) return false;
        // the last line, with no newline after it
        this.#take(this.#filled);
        this.#pos = this.#filled;
        return true;
      }
      this.#refill();
    }
  }

  /** Whether what was opened is a regular file (so that it can be read again from its start), by its descriptor. */
  isFile(): boolean {
    return fstatSync(this.#fd).isFile();
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.#fd);
  }

  #take(end: number): void {
    this.start = this.#pos;
    this.end = end > this.#pos && this.bytes[end - 1] === 13 ? end - 1 : end;
  }

  /** Keeps the unfinished line at the front of the buffer (growing it for a line longer than it) and reads after it. */
  #refill(): void {
    const rest = this.#filled - this.#pos;
    if (this.#pos > 0) this.bytes.copyWithin(0, this.#pos, this.#filled);
    this.#pos = 0;
    this.#filled = rest;
    if (rest === this.bytes.length) {
      const bigger = Buffer.allocUnsafeSlow(this.bytes.length * 2);
      this.bytes.copy(bigger, 0, 0, rest);
      this.bytes = bigger;
    }
    const n = readSync(this.#fd, this.bytes, rest, this.bytes.length - rest, null);
    if (n === 0) {
      this.#eof = true;
      return;
    }
    this.#filled = rest + n;
    this.ascii = isAscii(this.bytes.subarray(0, this.#filled));
  }
}
