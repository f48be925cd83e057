/** A running peak-memory sampler; {@link HeapReport.stop} prints what it saw. */
export interface HeapReport {
  /** Samples now (call it at points of interest, e.g. after each batch). */
  sample(): void;
  /** Stops sampling and writes the peaks to stderr. */
  stop(): void;
}

/**
 * With EVALGATE_REPORT_HEAP=1, samples `process.memoryUsage()` every 10 ms
 * and, on stop, writes one line to stderr:
 * `evalgate-heap {"peakHeapUsedMiB":…,"peakArrayBuffersMiB":…,"peakRssMiB":…}`, so a
 * benchmark can measure the real CLI process (bench/import/manifest-import-bench.ts).
 * Without it, does nothing.
 */
export function startHeapReport(env: NodeJS.ProcessEnv = process.env): HeapReport {
  if (env.EVALGATE_REPORT_HEAP !== '1') return { sample() {}, stop() {} };
  let heap = 0;
  let buffers = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    buffers = Math.max(buffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  timer.unref();
  sample();
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      const mib = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
      const report = { peakHeapUsedMiB: mib(heap), peakArrayBuffersMiB: mib(buffers), peakRssMiB: mib(process.resourceUsage().maxRSS * 1024) };
      process.stderr.write(`evalgate-heap ${JSON.stringify(report)}\n`);
    },
  };
}
