// Worker-thread entry of `createPpocr({ workers })`: one pipeline per thread,
// each with single-threaded ONNX sessions, so that N images run on N cores
// without the threads of one session competing with another's.
import { workerData } from 'node:worker_threads';
import { serveWorkerTasks } from '../onnx/worker-pool.js';
import { createPpocr, type CreatePpocrOptions, type OcrResult, type Ppocr } from './ppocr-pipeline.js';
import type { RgbImage } from './rgb-image.js';

const options = workerData as CreatePpocrOptions;
let engine: Promise<Ppocr> | undefined;

serveWorkerTasks<RgbImage, OcrResult>(async (image, { signal }) => {
  engine ??= createPpocr({ ...options, workers: 0, intraOpThreads: options.intraOpThreads ?? 1 });
  return { output: await (await engine).recognizeRgb(image, { signal }) };
});
