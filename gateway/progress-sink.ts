/**
 * Progress reporting as the runner and the demo see it: a sink they advance,
 * made by a factory their caller passes in. The CLI passes its terminal bar
 * (gateway/cli/progress.ts); library callers pass nothing and get silence, so
 * nothing outside gateway/cli imports the CLI.
 */

/** A progress sink. */
export interface ProgressSink {
  /** Advance by `n` items; `failed` counts items that ended in failure. */
  increment(n?: number, failed?: number): void;
  /** Change the total once it is known. */
  setTotal(total: number): void;
  /** Finish (a terminal bar releases the line). */
  stop(): void;
}

/** Makes a sink for `total` items under `label`. */
export type ProgressFactory = (label: string, total: number) => ProgressSink;

/** The default: reports nothing. */
export const silentProgress: ProgressFactory = () => ({ increment() {}, setTotal() {}, stop() {} });
