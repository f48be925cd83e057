import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferenceSessionLike, TensorFactory, TensorLike } from '../onnx/inference-session-like.js';
import type { OnnxDevice } from '../onnx/onnx-runtime.js';
import { inputNameAt, outputAt } from '../onnx/session-io.js';
import { resample } from '../audio-features/streaming-resampler.js';
import { WHISPER_WINDOW_FRAMES, WHISPER_WINDOW_SAMPLES, whisperLogMel } from '../audio-features/whisper-log-mel.js';
import { AsrModelError, throwIfAborted, type AsrEngine, type AsrResult, type TranscribeOptions } from './asr-engine.js';
import { WhisperTokenizer, type WhisperGenerationConfig } from './whisper-tokenizer.js';

/**
 * Whisper exported by Hugging Face optimum (`encoder_model.onnx` plus
 * `decoder_model_merged.onnx` or `decoder_model.onnx`). Greedy decoding with
 * the prompt <|startoftranscript|> <|lang|> <|task|> <|notimestamps|>, as
 * openai/whisper does without timestamps; long audio is cut into consecutive
 * 30-s windows, each decoded on its own. With the merged decoder the
 * key/value cache is used (dimensions from config.json); with the plain
 * decoder each step re-reads the whole sequence.
 */

/** Decoder dimensions needed to build empty key/value caches. */
export interface WhisperDecoderDims {
  /** Attention heads per decoder layer. */
  readonly heads: number;
  /** Size of each head (d_model / heads). */
  readonly headDim: number;
}

/** Options of a Whisper engine. */
export interface WhisperOptions {
  /** Mel bins of the encoder input (80, or 128 for large-v3). */
  readonly nMels: 80 | 128;
  /** Language code ("en", "zh"…); detected per window when absent on a multilingual model. */
  readonly language?: string;
  /** Transcribe in the spoken language, or translate to English. */
  readonly task?: 'transcribe' | 'translate';
  /** Needed for the merged decoder's cache; from config.json. */
  readonly dims?: WhisperDecoderDims;
  /** Generated tokens per window (default 224, Whisper's sample_len). */
  readonly maxNewTokens?: number;
}

/** A Whisper model ready to transcribe. */
export class WhisperOnnxAsr implements AsrEngine {
  readonly kind = 'whisper-onnx' as const;
  readonly #encoder: InferenceSessionLike;
  readonly #decoder: InferenceSessionLike;
  readonly #tensor: TensorFactory;
  readonly #tok: WhisperTokenizer;
  readonly #gen: WhisperGenerationConfig;
  readonly #opts: WhisperOptions;
  readonly #merged: boolean;
  readonly #pastNames: readonly string[];
  #suppress: Uint8Array | undefined;

  constructor(
    encoder: InferenceSessionLike,
    decoder: InferenceSessionLike,
    tensor: TensorFactory,
    tokenizer: WhisperTokenizer,
    generation: WhisperGenerationConfig,
    opts: WhisperOptions,
  ) {
    this.#encoder = encoder;
    this.#decoder = decoder;
    this.#tensor = tensor;
    this.#tok = tokenizer;
    this.#gen = generation;
    this.#opts = opts;
    this.#pastNames = decoder.inputNames.filter((n) => n.startsWith('past_key_values.'));
    this.#merged = decoder.inputNames.includes('use_cache_branch');
    if (this.#pastNames.length > 0 && !opts.dims) {
      throw new AsrModelError('config.json', 'the decoder takes past_key_values but decoder_attention_heads/d_model are unknown (config.json missing)');
    }
  }

  async transcribe(samples: Float32Array, sampleRateHz: number, opts: TranscribeOptions = {}): Promise<AsrResult> {
    const audio = resample(samples, sampleRateHz, 16000);
    const texts: string[] = [];
    let language: string | undefined;
    for (let off = 0; off < Math.max(audio.length, 1); off += WHISPER_WINDOW_SAMPLES) {
      throwIfAborted(opts.signal);
      const window = audio.subarray(off, Math.min(audio.length, off + WHISPER_WINDOW_SAMPLES));
      const r = await this.#decodeWindow(window, opts.signal);
      language ??= r.language;
      if (r.text.trim()) texts.push(r.text.trim());
    }
    return { text: texts.join(' '), ...(language ? { language } : {}) };
  }

  async #decodeWindow(window: Float32Array, signal: AbortSignal | undefined): Promise<{ text: string; language?: string }> {
    const mel = whisperLogMel(window, this.#opts.nMels);
    const enc = await this.#encoder.run({
      [inputNameAt(this.#encoder, 0)]: this.#tensor('float32', mel, [1, this.#opts.nMels, WHISPER_WINDOW_FRAMES]),
    });
    const hidden = outputAt(this.#encoder, enc, 0);
    if (!hidden) throw new AsrModelError('encoder', `the run returned no hidden states (outputs are ${this.#encoder.outputNames.join(', ')})`);
    const gen = this.#gen;
    const multilingual = gen.is_multilingual !== false && gen.lang_to_id !== undefined && Object.keys(gen.lang_to_id).length > 0;
    const prompt = [gen.decoder_start_token_id];
    let language: string | undefined;
    if (multilingual) {
      const langToken = this.#opts.language ? `<|${this.#opts.language.replace(/^<\||\|>$/g, '')}|>` : await this.#detectLanguage(hidden);
      const langId = gen.lang_to_id![langToken];
      if (langId === undefined) throw new AsrModelError('generation_config.json', `language ${langToken} is not one of this model's languages`);
      language = langToken.slice(2, -2);
      const taskId = gen.task_to_id?.[this.#opts.task ?? 'transcribe'];
      prompt.push(langId, ...(taskId !== undefined ? [taskId] : []));
    } else if (this.#opts.language && !/^(en|english)$/i.test(this.#opts.language)) {
      throw new AsrModelError('generation_config.json', `this is an English-only Whisper model; language "${this.#opts.language}" is not available`);
    }
    if (gen.no_timestamps_token_id !== undefined) prompt.push(gen.no_timestamps_token_id);

    const maxNew = Math.min(this.#opts.maxNewTokens ?? 224, (gen.max_length ?? 448) - prompt.length);
    const out: number[] = [];
    let cache: Record<string, TensorLike> | undefined;
    let encoderCache: Record<string, TensorLike> | undefined;
    for (let step = 0; step < maxNew; step++) {
      throwIfAborted(signal);
      const useCache = this.#merged && cache !== undefined;
      // The prompt is never empty (it starts with decoder_start_token_id), so there is always a last token.
      const ids = useCache ? [out.at(-1) ?? prompt.at(-1)!] : [...prompt, ...out];
      const feeds = this.#decoderFeeds(ids, hidden, useCache ? { ...cache, ...encoderCache } : undefined);
      const res = await this.#decoder.run(feeds);
      const next = this.#argmax(this.#logits(res), step === 0);
      if (this.#merged) {
        cache = {};
        const enc: Record<string, TensorLike> = {};
        for (const past of this.#pastNames) {
          const present = res[past.replace('past_key_values', 'present')];
          if (!present) continue;
          // Cross-attention keys/values depend only on the encoder: keep the first step's.
          if (past.includes('.encoder.')) enc[past] = present;
          else cache[past] = present;
        }
        encoderCache ??= enc;
      }
      if (next === gen.eos_token_id) break;
      out.push(next);
    }
    return { text: this.#tok.decode(out), ...(language ? { language } : {}) };
  }

  #decoderFeeds(ids: readonly number[], hidden: TensorLike, past: Record<string, TensorLike> | undefined): Record<string, TensorLike> {
    const feeds: Record<string, TensorLike> = {
      input_ids: this.#tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      encoder_hidden_states: hidden,
    };
    if (this.#merged) feeds.use_cache_branch = this.#tensor('bool', Uint8Array.of(past ? 1 : 0), [1]);
    if (this.#pastNames.length > 0) {
      const { heads, headDim } = this.#opts.dims!;
      for (const name of this.#pastNames) {
        feeds[name] = past?.[name] ?? this.#tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
      }
    }
    return feeds;
  }

  async #detectLanguage(hidden: TensorLike): Promise<string> {
    const res = await this.#decoder.run(this.#decoderFeeds([this.#gen.decoder_start_token_id], hidden, undefined));
    const row = lastRow(this.#logits(res));
    let best = '';
    let bestScore = -Infinity;
    for (const [token, id] of Object.entries(this.#gen.lang_to_id ?? {})) {
      const score = row[id];
      if (score === undefined)
        throw new AsrModelError('generation_config.json', `language token ${token} has id ${id}, outside the vocabulary (${row.length})`);
      if (score > bestScore) {
        bestScore = score;
        best = token;
      }
    }
    return best;
  }

  /** The decoder's logits output of one run. */
  #logits(res: Record<string, TensorLike>): TensorLike {
    const logits = outputAt(this.#decoder, res, 0);
    if (!logits) throw new AsrModelError('decoder', `the run returned no logits (outputs are ${this.#decoder.outputNames.join(', ')})`);
    return logits;
  }

  /** Greedy choice at the last position, with Whisper's suppressions applied. */
  #argmax(logits: TensorLike, first: boolean): number {
    const row = lastRow(logits);
    const vocab = row.length;
    const mask = this.#suppressMask(vocab);
    const begin = first ? new Set(this.#gen.begin_suppress_tokens ?? []) : undefined;
    let best = this.#gen.eos_token_id;
    let bestScore = -Infinity;
    for (let i = 0; i < vocab; i++) {
      if (mask[i] || begin?.has(i)) continue;
      if (row[i]! > bestScore) {
        bestScore = row[i]!;
        best = i;
      }
    }
    return best;
  }

  #suppressMask(vocab: number): Uint8Array {
    if (this.#suppress?.length === vocab) return this.#suppress;
    const mask = new Uint8Array(vocab);
    for (const id of this.#gen.suppress_tokens ?? []) if (id < vocab) mask[id] = 1;
    // Without timestamps, timestamp tokens and the other specials (language, task, SOT…) are never text.
    const noTs = this.#gen.no_timestamps_token_id;
    for (let id = 0; id < vocab; id++) {
      if (id === this.#gen.eos_token_id) continue;
      const tok = this.#tok.tokenOf(id);
      if ((noTs !== undefined && id >= noTs) || (tok !== undefined && /^<\|.*\|>$/.test(tok))) mask[id] = 1;
    }
    this.#suppress = mask;
    return mask;
  }
}

/** Where Whisper folders come from, for error messages. */
export const WHISPER_LAYOUT_HELP =
  'expected a Hugging Face optimum export: encoder_model.onnx, decoder_model_merged.onnx (or decoder_model.onnx), tokenizer.json, ' +
  'generation_config.json and config.json, at the top of the folder or under onnx/. Make one with ' +
  '`optimum-cli export onnx --model openai/whisper-base.en whisper-base.en/` or copy a ready export (e.g. the onnx-community/whisper-* ' +
  'repositories on huggingface.co). Nothing is downloaded automatically.';

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AsrModelError(path, `${existsSync(path) ? 'invalid JSON' : 'missing'} (${(err as Error).message}); ${WHISPER_LAYOUT_HELP}`);
  }
}

/** Opens a Whisper export folder (sessions cached per process). */
export async function createWhisperOnnxAsr(
  modelDir: string,
  opts: { device?: OnnxDevice; language?: string; task?: 'transcribe' | 'translate' } = {},
): Promise<WhisperOnnxAsr> {
  if (!existsSync(modelDir)) throw new AsrModelError(modelDir, `folder not found; ${WHISPER_LAYOUT_HELP}`);
  const onnxDir = existsSync(join(modelDir, 'encoder_model.onnx')) ? modelDir : join(modelDir, 'onnx');
  const encoderPath = join(onnxDir, 'encoder_model.onnx');
  const decoderPath = ['decoder_model_merged.onnx', 'decoder_model.onnx'].map((f) => join(onnxDir, f)).find((p) => existsSync(p));
  if (!existsSync(encoderPath)) throw new AsrModelError(modelDir, `no encoder_model.onnx; ${WHISPER_LAYOUT_HELP}`);
  if (!decoderPath) throw new AsrModelError(modelDir, `no decoder_model_merged.onnx or decoder_model.onnx; ${WHISPER_LAYOUT_HELP}`);
  const tokenizer = new WhisperTokenizer(await readJson(join(modelDir, 'tokenizer.json')));
  const generation = (await readJson(join(modelDir, 'generation_config.json'))) as unknown as WhisperGenerationConfig;
  const config = existsSync(join(modelDir, 'config.json')) ? await readJson(join(modelDir, 'config.json')) : {};
  const pre = existsSync(join(modelDir, 'preprocessor_config.json')) ? await readJson(join(modelDir, 'preprocessor_config.json')) : {};
  const nMels = Number(pre.feature_size ?? config.num_mel_bins ?? 80) === 128 ? 128 : 80;
  const heads = Number(config.decoder_attention_heads);
  const dModel = Number(config.d_model);
  const { getSession, ortTensorFactory } = await import('../onnx/onnx-runtime.js');
  const device = opts.device ?? 'cpu';
  const [encoder, decoder] = await Promise.all([getSession(encoderPath, { device }), getSession(decoderPath, { device })]);
  return new WhisperOnnxAsr(encoder, decoder, await ortTensorFactory(), tokenizer, generation, {
    nMels,
    ...(opts.language ? { language: opts.language } : {}),
    ...(opts.task ? { task: opts.task } : {}),
    ...(heads > 0 && dModel > 0 ? { dims: { heads, headDim: dModel / heads } } : {}),
  });
}

/** The logits of the last position: the trailing `vocab` values of a [.., vocab] tensor. */
function lastRow(logits: TensorLike): Exclude<TensorLike['data'], BigInt64Array> {
  const vocab = logits.dims[logits.dims.length - 1];
  const { data } = logits;
  if (vocab === undefined || data instanceof BigInt64Array || data.length < vocab) {
    throw new AsrModelError('decoder', `logits must be numeric [.., vocab], got ${logits.type} [${logits.dims.join(', ')}]`);
  }
  return data.subarray(data.length - vocab);
}
