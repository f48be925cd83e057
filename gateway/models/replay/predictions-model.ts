import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, unknownProviderOptionWarnings } from '../adapter-support.js';
import { ModelCallError } from '../spec/model-call-error.js';
import type { ModelCapabilities, ModelRequest, ModelResult, ModelV1 } from '../spec/model-v1.js';

const adapterName = 'predictions';

/**
 * Replays a predictions JSONL (`{"id": "...", "prediction": "..."}` per line)
 * produced by another harness, so that its outputs are stored, scored and
 * compared like any other run. The runner passes the sample id in
 * `providerOptions.sampleId`; a sample with no line fails (it is recorded as
 * failed, never scored as an empty answer).
 */
export class PredictionsModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly adapter = adapterName;
  readonly adapterVersion = '1.0.0';
  readonly modelName: string;
  readonly capabilities: ModelCapabilities = {
    text: true,
    audio: true,
    image: true,
    multipleImages: true,
    video: true,
    streaming: false,
    realtime: false,
  };
  /** Absolute path of the JSONL file. */
  readonly path: string;

  readonly #configWarnings: readonly string[];
  #loaded: Promise<ReadonlyMap<string, string>> | undefined;

  constructor(config: ModelConfig, opts: { cwd?: string } = {}) {
    const options = new AdapterOptions(config);
    const path = options.string('path');
    if (!path) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
        source: `model ${config.id}`,
        detail: 'the predictions adapter needs options.path (a JSONL file of {"id", "prediction"} lines)',
      });
    }
    this.path = resolve(opts.cwd ?? process.cwd(), path);
    this.modelName = config.model ?? path;
    this.#configWarnings = options.unknownKeyWarnings(adapterName);
  }

  /** Every sample id in the file, in file order (loads it on first use). */
  async sampleIds(): Promise<string[]> {
    return [...(await this.#load()).keys()];
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    request.signal?.throwIfAborted();
    const sampleId = request.providerOptions?.sampleId;
    if (typeof sampleId !== 'string') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'the predictions adapter needs providerOptions.sampleId (the runner sets it)' });
    }
    const predictions = await this.#load();
    const prediction = predictions.get(sampleId);
    if (prediction === undefined) {
      throw new ModelCallError(`No prediction for sample "${sampleId}" in ${this.path}`, { retryable: false });
    }
    return {
      text: prediction,
      // The replayed line is a finished answer of another harness.
      finishReason: 'stop',
      raw: { id: sampleId, prediction },
      warnings: [...this.#configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], adapterName)],
    };
  }

  #load(): Promise<ReadonlyMap<string, string>> {
    this.#loaded ??= loadPredictions(this.path);
    return this.#loaded;
  }
}

/** Parses a predictions JSONL; a malformed line or a repeated id fails, naming the line. */
export async function loadPredictions(path: string): Promise<ReadonlyMap<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path }, { cause: err });
  }
  const out = new Map<string, string>();
  const bad = (line: number, field: string, detail: string): EvalgateError =>
    new EvalgateError('EVALGATE_ERR_MANIFEST_INVALID', { file: path, line, field, detail });
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      throw bad(line, '(line)', `not JSON (${(err as Error).message})`);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw bad(line, '(line)', 'must be a JSON object');
    const { id, prediction } = obj as { id?: unknown; prediction?: unknown };
    if (typeof id !== 'string' || id === '') throw bad(line, 'id', 'must be a non-empty string');
    if (typeof prediction !== 'string') throw bad(line, 'prediction', 'must be a string');
    // A repeated id means two answers for one sample: refusing beats silently keeping one of them.
    if (out.has(id)) throw bad(line, 'id', `"${id}" appears twice`);
    out.set(id, prediction);
  });
  return out;
}

/** Factory used by createModel. */
export function createPredictionsModel(config: ModelConfig): ModelV1 {
  return new PredictionsModel(config);
}
