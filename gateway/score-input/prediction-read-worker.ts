// Worker-thread entry: reads one prediction file (readPredictions) and posts the rows back packed, or the
// error it met. Started by readPredictionsInWorker.
import { parentPort, workerData } from 'node:worker_threads';
import { packPredictionRows, postError } from './packed-prediction-rows.js';
import { readPredictions, type ReadPredictionsOptions } from './read-predictions.js';

const { file, options } = workerData as { file: string; options: ReadPredictionsOptions };
const port = parentPort;
if (!port) throw new Error('prediction-read-worker.js runs as a worker thread (see read-predictions-in-worker.ts)');
try {
  const packed = packPredictionRows(await readPredictions(file, options));
  const transfer = [packed.lengths.buffer, packed.nulls.buffer, ...(packed.where instanceof Int32Array ? [packed.where.buffer] : [])];
  port.postMessage({ ok: packed }, transfer as ArrayBuffer[]);
} catch (err) {
  port.postMessage({ error: postError(err) });
}
