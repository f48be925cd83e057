import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { rebuildError, unpackPredictionRows, type PackedPredictionRows, type PostedError } from './packed-prediction-rows.js';
import type { PredictionRows } from './prediction-rows.js';
import { readPredictions, type ReadPredictionsOptions } from './read-predictions.js';

/**
 * Below this size a file is read on the calling thread: starting a worker (~30 ms) would cost more than
 * the read it moves off the thread.
 */
export const WORKER_MIN_BYTES = 4 << 20;

/**
 * The compiled worker script: beside this module in the build, or in dist/ when this module runs from
 * source (tests), as the compare pool finds its own; undefined when neither exists (then the read stays
 * on the calling thread).
 */
function workerScript(): URL | undefined {
  const sibling = new URL('./prediction-read-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/gateway/score-input/prediction-read-worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/**
 * Starts reading a prediction file on a worker thread, so that parsing it (JSON.parse per line, ~0.3 s for
 * 100k lines) runs on another core while the caller reads the references. Answers exactly what
 * readPredictions would: the same rows, or the same error (EvalgateError code and params, or the system
 * error with its code and path). Small files, a file that cannot be stat'ed, a one-core machine, and a
 * source checkout with no build are read in-thread.
 * `cancel()` stops a read whose result is no longer wanted (the references failed first).
 */
export function readPredictionsInWorker(
  file: string,
  options: ReadPredictionsOptions = {},
): { result: Promise<PredictionRows>; cancel: () => void; usedWorker: () => boolean } {
  let worker: Worker | undefined;
  let cancelled = false;
  const result = stat(file).then(
    (s) => {
      if (cancelled) return Promise.reject(new Error('cancelled'));
      const script = workerScript();
      // One core has nothing to run the worker on while this thread reads the references.
      if (!s.isFile() || s.size < WORKER_MIN_BYTES || availableParallelism() < 2 || !script) return readPredictions(file, options);
      return new Promise<PredictionRows>((resolve, reject) => {
        const w = new Worker(script, { workerData: { file, options } });
        worker = w;
        let settled = false;
        w.once('message', (msg: { ok: PackedPredictionRows } | { error: PostedError }) => {
          settled = true;
          if ('ok' in msg) resolve(unpackPredictionRows(msg.ok));
          else reject(rebuildError(msg.error));
        });
        w.once('error', (err) => {
          settled = true;
          reject(err);
        });
        w.once('exit', (code) => {
          if (!settled) reject(new Error(`the prediction reader thread exited (code ${code}) before answering`));
        });
      });
    },
    // stat's own error (a missing file) is left to readPredictions, which reports it as it always has.
    () => readPredictions(file, options),
  );
  // A cancelled read's rejection is expected; keep it from surfacing as unhandled.
  result.catch(() => undefined);
  return {
    result,
    cancel: () => {
      cancelled = true;
      void worker?.terminate();
    },
    // Whether the read went to a worker thread (known once it started; for tests and --verbose).
    usedWorker: () => worker !== undefined,
  };
}
