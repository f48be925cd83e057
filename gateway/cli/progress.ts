import cliProgress from 'cli-progress';

/** A progress sink; the no-op one is used in --json mode and off a terminal. */
export interface Progress {
  /** Advance by `n` items; `failed` counts items that ended in failure. */
  increment(n?: number, failed?: number): void;
  /** Change the total once it is known. */
  setTotal(total: number): void;
  stop(): void;
}

/**
 * A bar on stderr with count, rate, ETA and failures when stderr is a TTY and
 * the command is not in --json mode; silent otherwise.
 */
export function createProgress(label: string, total: number, opts: { json?: boolean } = {}): Progress {
  if (opts.json || !process.stderr.isTTY) {
    return { increment() {}, setTotal() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | failed {failed}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedMs = Date.now();
  let done = 0;
  let failed = 0;
  bar.start(total, 0, { rate: '0.0', failed: 0 });
  return {
    increment(n = 1, f = 0) {
      done += n;
      failed += f;
      const rate = done / Math.max((Date.now() - startedMs) / 1000, 1e-3);
      bar.increment(n, { rate: rate.toFixed(1), failed });
    },
    setTotal(t) {
      bar.setTotal(t);
    },
    stop() {
      bar.stop();
    },
  };
}
