import { Writable } from 'node:stream';

/** One pino line as written to the destination stream. */
export interface LogLine {
  readonly level: number;
  readonly msg?: string;
  readonly [k: string]: unknown;
}

/**
 * A pino destination that keeps every line the real logger writes, so tests
 * assert on the bytes an operator's log file would hold.
 */
export function captureLog(): { stream: Writable; text: () => string; lines: () => LogLine[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as LogLine),
  };
}
