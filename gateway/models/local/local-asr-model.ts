import { resolve } from 'node:path';
import type { AsrEngine, AsrKind, TimedAsrResult } from '../../../experts/asr/asr-engine.js';
import type { AsrSpec } from '../../../experts/asr/create-asr.js';
import { onnxDevices, type OnnxDevice } from '../../../experts/onnx/onnx-runtime.js';
import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, unknownProviderOptionWarnings } from '../adapter-support.js';
import { audioSamples } from '../media/media-encoding.js';
import type { ModelCapabilities, ModelRequest, ModelResult, ModelV1 } from '../spec/model-v1.js';
import { localCallError, localLoadError } from './local-errors.js';

/** Whether a model is a local ASR expert (and so offers `transcribeWords`). */
export function isLocalAsrModel(model: unknown): model is LocalAsrModel {
  return model instanceof LocalAsrModel;
}

/**
 * A local ASR expert (ONNX CTC, Whisper ONNX or pocketsphinx) behind the
 * model contract. The engine opens on first use (ONNX sessions are cached per
 * process by the scorers), so listing or creating the model costs nothing.
 * Text parts (prompts) are not used: a specialist transcribes what it hears.
 */
export class LocalAsrModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly adapter: AsrKind;
  readonly adapterVersion = '1.0.0';
  readonly modelName: string;
  readonly capabilities: ModelCapabilities = {
    text: false,
    audio: true,
    image: false,
    multipleImages: false,
    video: false,
    streaming: false,
    realtime: false,
  };
  /** What `createAsr` is called with. */
  readonly spec: AsrSpec;

  /** The config entry's id, for error messages. */
  readonly modelId: string;

  readonly #configWarnings: readonly string[];
  #engine: Promise<AsrEngine> | undefined;

  constructor(kind: AsrKind, config: ModelConfig, opts: { cwd?: string } = {}) {
    this.adapter = kind;
    const o = new AdapterOptions(config);
    const modelDir = o.string('modelDir');
    const task = o.enumOf<'transcribe' | 'translate'>('task', ['transcribe', 'translate'], 'transcribe');
    const extraArgs = o.string('extraArgs');
    const spec: AsrSpec = {
      kind,
      ...(modelDir ? { modelDir: resolve(opts.cwd ?? process.cwd(), modelDir) } : {}),
      ...(o.string('language') ? { language: o.string('language')! } : {}),
      device: o.enumOf<OnnxDevice>('device', onnxDevices, 'cpu'),
      ...(kind === 'whisper-onnx' ? { task } : {}),
      ...(o.string('binary') ? { binary: o.string('binary')! } : {}),
      ...(extraArgs ? { extraArgs: extraArgs.split(/\s+/).filter(Boolean) } : {}),
    };
    if (kind !== 'pocketsphinx' && !spec.modelDir) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
        source: `model ${config.id}`,
        detail: `the ${kind} adapter needs options.modelDir (a local ONNX export; nothing is downloaded)`,
      });
    }
    this.spec = spec;
    this.modelId = config.id;
    this.modelName = config.model ?? spec.modelDir ?? kind;
    this.#configWarnings = o.unknownKeyWarnings(kind);
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    request.signal?.throwIfAborted();
    const audio = request.parts.filter((p) => p.type === 'audio');
    if (audio.length === 0) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${this.adapter} needs an audio part` });
    const warnings = [...this.#configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], this.adapter)];
    if (request.temperature !== undefined && request.temperature !== 0)
      warnings.push(`temperature ${request.temperature} ignored: ${this.adapter} decodes greedily`);
    const engine = await this.#open();
    const texts: string[] = [];
    let language: string | undefined;
    let audioS = 0;
    const started = performance.now();
    for (const part of audio) {
      const { samples, sampleRateHz } = audioSamples(part);
      audioS += samples.length / sampleRateHz;
      try {
        const r = await engine.transcribe(samples, sampleRateHz, { signal: request.signal });
        texts.push(r.text);
        language ??= r.language;
      } catch (err) {
        throw localCallError(err, request.signal);
      }
    }
    const processingMs = performance.now() - started;
    // A local decoder runs to the end of the audio: it always finishes.
    return { text: texts.join(' ').trim(), finishReason: 'stop', raw: { language, audioS, processingMs }, warnings };
  }

  /**
   * Transcribes one recording with each word's onset and offset (seconds from
   * its start), for scorers that time what a model said (Full-Duplex-Bench's
   * `chunks[]`). pocketsphinx and ONNX CTC give word times; Whisper ONNX
   * does not, and is refused as a configuration error before its model is loaded.
   */
  async transcribeWords(samples: Float32Array, sampleRateHz: number, signal?: AbortSignal): Promise<TimedAsrResult> {
    signal?.throwIfAborted();
    if (!this.givesWordTimes) throw this.#noWordTimes();
    const engine = await this.#open();
    if (!engine.transcribeWords) throw this.#noWordTimes();
    try {
      return await engine.transcribeWords(samples, sampleRateHz, { ...(signal ? { signal } : {}) });
    } catch (err) {
      throw localCallError(err, signal);
    }
  }

  /** Whether {@link transcribeWords} can work: Whisper ONNX decodes text only. */
  get givesWordTimes(): boolean {
    return this.adapter !== 'whisper-onnx';
  }

  #noWordTimes(): EvalgateError {
    return new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: `model ${this.modelId}`,
      detail: `${this.adapter} gives no word timings; use a pocketsphinx model or an ONNX CTC export (adapter onnx-ctc) as the ASR model`,
    });
  }

  #open(): Promise<AsrEngine> {
    this.#engine ??= (async () => {
      const { createAsr } = await import('../../../experts/asr/create-asr.js');
      try {
        return await createAsr(this.spec);
      } catch (err) {
        this.#engine = undefined; // let a fixed folder be picked up on the next call
        throw localLoadError(err, this.spec.modelDir ?? this.spec.binary ?? this.spec.kind);
      }
    })();
    return this.#engine;
  }
}
