import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferenceSessionLike, TensorFactory, TensorLike } from '../onnx/inference-session-like.js';
import type { OnnxDevice } from '../onnx/onnx-runtime.js';
import { outputAt } from '../onnx/session-io.js';
import { computeFbank, type FbankOptions } from '../audio-features/log-mel-fbank.js';
import { resample } from '../audio-features/streaming-resampler.js';
import { AsrModelError, throwIfAborted, type AsrEngine, type AsrResult, type TimedAsrResult, type TranscribeOptions } from './asr-engine.js';
import { ctcGreedyDecode, frameArgmax, loadCtcVocabulary, type CtcVocabulary } from './ctc-vocabulary.js';
import { readOnnxMetadata } from './onnx-metadata.js';

/**
 * CTC acoustic models exported to ONNX, read from a folder holding
 * `model.onnx` and `tokens.txt` (or `vocab.json`). Two input kinds:
 * - waveform (wav2vec2 / HuBERT style): float samples [1, N], normalised to
 *   zero mean and unit variance unless the folder says otherwise;
 * - features (NeMo / sherpa-onnx style): log-mel frames computed here, laid
 *   out [1, C, T] (NeMo `audio_signal`) or [1, T, C], with a length input
 *   when the model declares one.
 */

/** How to feed the model; everything is inferred when absent. */
export interface CtcFrontEnd {
  /** Raw samples or log-mel features. */
  readonly input: 'waveform' | 'features';
  /** Rate the model was trained at. */
  readonly sampleRateHz: number;
  /** Waveform only: per-utterance zero-mean unit-variance normalisation (HF do_normalize). */
  readonly normalizeWaveform: boolean;
  /** Features only: the log-mel front end. */
  readonly features: FbankOptions;
  /** Features only: [1, C, T] ('channels-first') or [1, T, C] ('frames-first'). */
  readonly featureLayout: 'channels-first' | 'frames-first';
}

/**
 * Optional `evalgate-asr.json` in the model folder: overrides what is inferred.
 * Example: {"input":"features","features":{"style":"kaldi","nMels":80},"featureLayout":"frames-first"}
 */
export type CtcFolderConfig = Partial<Omit<CtcFrontEnd, 'features'>> & { readonly features?: Partial<FbankOptions> };

const WAVEFORM_INPUTS = ['input_values', 'waveform', 'waveforms', 'audio', 'wav', 'input', 'samples'];

/** Decides the front end from input names, ONNX metadata and the folder's config files. */
export function inferCtcFrontEnd(
  inputNames: readonly string[],
  metadata: Readonly<Record<string, string>>,
  hfPreprocessor: Readonly<Record<string, unknown>> | undefined,
  override: CtcFolderConfig | undefined,
): CtcFrontEnd {
  const first = inputNames[0] ?? '';
  const waveform = WAVEFORM_INPUTS.includes(first) || (hfPreprocessor?.feature_size === 1 && !('num_mel_bins' in (hfPreprocessor ?? {})));
  const nemo = first === 'audio_signal' || /EncDec/i.test(metadata.model_type ?? '') || metadata.is_nemo === '1';
  const sampleRateHz = Number(metadata.sample_rate ?? hfPreprocessor?.sampling_rate ?? 16000);
  const nMels = Number(metadata.feat_dim ?? hfPreprocessor?.num_mel_bins ?? hfPreprocessor?.feature_size ?? 80);
  const normalizeType = metadata.normalize_type;
  const features: FbankOptions = {
    style: nemo ? 'nemo' : 'kaldi',
    sampleRateHz,
    nMels: waveform ? 80 : nMels,
    ...(normalizeType !== undefined ? { normalize: normalizeType === 'per_feature' ? 'per_feature' : 'none' } : {}),
    ...override?.features,
  };
  return {
    input: override?.input ?? (waveform ? 'waveform' : 'features'),
    sampleRateHz: override?.sampleRateHz ?? sampleRateHz,
    normalizeWaveform: override?.normalizeWaveform ?? hfPreprocessor?.do_normalize !== false,
    features,
    featureLayout: override?.featureLayout ?? (nemo ? 'channels-first' : 'frames-first'),
  };
}

/** A CTC model ready to transcribe. */
export class OnnxCtcAsr implements AsrEngine {
  readonly kind = 'onnx-ctc' as const;
  /** The resolved front end. */
  readonly frontEnd: CtcFrontEnd;
  readonly #session: InferenceSessionLike;
  readonly #tensor: TensorFactory;
  readonly #vocab: CtcVocabulary;

  constructor(session: InferenceSessionLike, tensor: TensorFactory, vocab: CtcVocabulary, frontEnd: CtcFrontEnd) {
    this.#session = session;
    this.#tensor = tensor;
    this.#vocab = vocab;
    this.frontEnd = frontEnd;
  }

  async transcribe(samples: Float32Array, sampleRateHz: number, opts: TranscribeOptions = {}): Promise<AsrResult> {
    const { scores, frames, width, classMajor } = await this.#scores(samples, sampleRateHz, opts.signal);
    return { text: ctcGreedyDecode(scores, frames, width, this.#vocab, classMajor).text };
  }

  /**
   * Greedy CTC with frame positions: a word runs from the first frame of its
   * first token to the last frame of its last token, and a frame lasts the
   * audio's duration divided by the output frames (20 ms for wav2vec2, 40 or
   * 80 ms for subsampled NeMo/sherpa models). CTC peaks are sharp, so a word's
   * span can be shorter than its sound by a frame or two at each side.
   */
  async transcribeWords(samples: Float32Array, sampleRateHz: number, opts: TranscribeOptions = {}): Promise<TimedAsrResult> {
    const { scores, frames, width, classMajor, durationS } = await this.#scores(samples, sampleRateHz, opts.signal);
    const text = ctcGreedyDecode(scores, frames, width, this.#vocab, classMajor).text;
    const strideS = frames > 0 ? durationS / frames : 0;
    const words = ctcWordFrames(scores, frames, width, this.#vocab, classMajor).map((w) => ({
      text: w.text,
      startS: roundMs(w.firstFrame * strideS),
      endS: roundMs((w.lastFrame + 1) * strideS),
    }));
    return { text, words };
  }

  async #scores(
    samples: Float32Array,
    sampleRateHz: number,
    signal: AbortSignal | undefined,
  ): Promise<{ scores: Float32Array; frames: number; width: number; classMajor: boolean; durationS: number }> {
    throwIfAborted(signal);
    const fe = this.frontEnd;
    const audio = resample(samples, sampleRateHz, fe.sampleRateHz);
    const feeds: Record<string, TensorLike> = {};
    const [mainInput, ...rest] = this.#session.inputNames;
    let length: number;
    if (fe.input === 'waveform') {
      const x = fe.normalizeWaveform ? normalize(audio) : audio;
      feeds[mainInput!] = this.#tensor('float32', x, [1, x.length]);
      length = x.length;
    } else {
      const f = computeFbank(audio, fe.features);
      const data = fe.featureLayout === 'frames-first' ? f.data : transpose(f.data, f.frames, f.nMels);
      feeds[mainInput!] = this.#tensor('float32', data, fe.featureLayout === 'frames-first' ? [1, f.frames, f.nMels] : [1, f.nMels, f.frames]);
      length = f.frames;
    }
    for (const name of rest) {
      if (/mask/i.test(name)) feeds[name] = this.#tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
      else if (/len/i.test(name)) feeds[name] = this.#tensor('int64', BigInt64Array.of(BigInt(length)), [1]);
      else throw new AsrModelError(name, `unexpected model input "${name}"; inputs are ${this.#session.inputNames.join(', ')}`);
    }
    const out = await this.#session.run(feeds);
    throwIfAborted(signal);
    const scores = outputAt(this.#session, out, 0);
    if (!scores) throw new AsrModelError('model.onnx', `the run returned no output (outputs are ${this.#session.outputNames.join(', ')})`);
    const dims = scores.dims;
    const classes = this.#vocab.tokens.length;
    // Some exports emit [1, V, T]; recognise it by which axis matches the vocabulary.
    const classMajor = dims.length === 3 && dims[1] === classes && dims[2] !== classes;
    const frames = classMajor ? dims[2] : dims.length === 3 ? dims[1] : dims[0];
    const width = classMajor ? dims[1] : dims[dims.length - 1];
    if (frames === undefined || width === undefined) throw new AsrModelError('model.onnx', 'the output tensor has no dimensions');
    if (width !== classes) {
      throw new AsrModelError('tokens', `the model has ${width} output classes but the token table has ${classes} entries`);
    }
    // ctcGreedyDecode reads frames × classes scores without a check each.
    if (scores.data.length < frames * width) {
      throw new AsrModelError('model.onnx', `the output holds ${scores.data.length} scores, fewer than its shape [${dims.join(', ')}] needs`);
    }
    return { scores: scores.data as Float32Array, frames, width, classMajor, durationS: audio.length / fe.sampleRateHz };
  }
}

/** A word of a greedy CTC decode, by output frame. */
export interface CtcWordFrames {
  /** The word's text (its tokens joined, word markers removed). */
  readonly text: string;
  /** First frame of its first token. */
  readonly firstFrame: number;
  /** Last frame of its last token (repeats of a token included). */
  readonly lastFrame: number;
}

/**
 * Greedy CTC split into words with frame spans. Tokens follow
 * {@link ctcGreedyDecode}: "|" (wav2vec2) ends a word, a leading "▁"
 * (SentencePiece) starts one, `<…>`/`[…]` specials are dropped.
 */
export function ctcWordFrames(scores: Float32Array, frames: number, classes: number, vocab: CtcVocabulary, classMajor = false): CtcWordFrames[] {
  const words: CtcWordFrames[] = [];
  let current: { text: string; firstFrame: number; lastFrame: number } | undefined;
  const close = (): void => {
    if (current && current.text.length > 0) words.push({ ...current });
    current = undefined;
  };
  let prev = -1;
  for (let t = 0; t < frames; t++) {
    const best = frameArgmax(scores, frames, classes, t, classMajor);
    const repeat = best === prev;
    prev = best;
    if (best === vocab.blankId) continue;
    const tok = vocab.tokens[best] ?? '';
    if (/^<.*>$/.test(tok) || /^\[.*\]$/.test(tok)) continue;
    if (repeat) {
      // The same token held over several frames: the word lasts until its last one.
      if (current) current.lastFrame = t;
      continue;
    }
    const pieces = tok.replace(/▁/g, '|').split('|');
    // A marker before any letters starts a new word; one after them ends this one.
    pieces.forEach((piece, i) => {
      if (i > 0) close();
      if (piece.length === 0) return;
      current ??= { text: '', firstFrame: t, lastFrame: t };
      current.text += piece;
      current.lastFrame = t;
    });
  }
  close();
  return words;
}

function roundMs(s: number): number {
  return Math.round(s * 1000) / 1000;
}

function normalize(x: Float32Array): Float32Array {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length || 1;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / (x.length || 1) + 1e-7);
  return Float32Array.from(x, (v) => (v - mean) / std);
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

async function readJsonIfExists(path: string): Promise<Record<string, unknown> | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AsrModelError(path, `invalid JSON: ${(err as Error).message}`);
  }
}

/** Where CTC folders come from, for error messages. */
export const CTC_LAYOUT_HELP =
  'expected a folder with model.onnx and tokens.txt (sherpa-onnx / NeMo CTC exports, e.g. the sherpa-onnx "nemo-ctc" and ' +
  '"wav2vec2" releases on github.com/k2-fsa/sherpa-onnx/releases) or model.onnx + vocab.json (+ preprocessor_config.json) ' +
  'from a Hugging Face wav2vec2 ONNX export (optimum-cli export onnx --model facebook/wav2vec2-base-960h). Nothing is downloaded automatically.';

/** Opens a CTC model folder (session cached per process). */
export async function createOnnxCtcAsr(modelDir: string, opts: { device?: OnnxDevice } = {}): Promise<OnnxCtcAsr> {
  const modelPath = ['model.onnx', 'model.int8.onnx', 'onnx/model.onnx'].map((f) => join(modelDir, f)).find((p) => existsSync(p));
  if (!existsSync(modelDir)) throw new AsrModelError(modelDir, `folder not found; ${CTC_LAYOUT_HELP}`);
  if (!modelPath) throw new AsrModelError(modelDir, `no model.onnx; ${CTC_LAYOUT_HELP}`);
  const vocab = await loadCtcVocabulary(modelDir);
  const { getSession, ortTensorFactory } = await import('../onnx/onnx-runtime.js');
  const session = await getSession(modelPath, { device: opts.device ?? 'cpu' });
  const frontEnd = inferCtcFrontEnd(
    session.inputNames,
    await readOnnxMetadata(modelPath),
    await readJsonIfExists(join(modelDir, 'preprocessor_config.json')),
    (await readJsonIfExists(join(modelDir, 'evalgate-asr.json'))) as CtcFolderConfig | undefined,
  );
  return new OnnxCtcAsr(session, await ortTensorFactory(), vocab, frontEnd);
}
