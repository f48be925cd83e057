import { parentPort } from 'node:worker_threads';
import { runCompareJob, serializeJobError, type CompareJob } from './compare-job.js';

// Worker-thread side of ComparePool: one job at a time, answered by id.
// A job that runs too long is not asked to stop; the pool terminates the thread.
parentPort?.on('message', (msg: { id: number; job: CompareJob }) => {
  try {
    parentPort!.postMessage({ id: msg.id, ok: true, output: runCompareJob(msg.job) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: serializeJobError(err) });
  }
});
