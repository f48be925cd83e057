import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, baseUrlOf, readApiKey, unknownProviderOptionWarnings, type AdapterDeps } from '../adapter-support.js';
import { postForResponse, postJson, type FetchLike } from '../http/post-json.js';
import { sseEvents } from '../http/sse-events.js';
import { audioAsWav, frameTimestampsText, readVideo, toBase64, type ImagePart } from '../media/media-encoding.js';
import { SpokenAudioCollector } from '../spoken-audio-collector.js';
import { ModelCallError } from '../spec/model-call-error.js';
import type { FinishReason, ModelCapabilities, ModelRequest, ModelResult, ModelStreamEvent, ModelV1 } from '../spec/model-v1.js';

const adapterName = 'gemini';
/** Gemini's limit for a whole request with inline data; bigger media need the File API. */
export const geminiInlineLimitBytes = 20 * 1024 * 1024;
/** Audio types Gemini takes as they are; others are sent as WAV. */
const nativeAudio = new Set(['audio/wav', 'audio/mp3', 'audio/mpeg', 'audio/aiff', 'audio/aac', 'audio/ogg', 'audio/flac']);

type GeminiPart = { text: string } | { inline_data: { mime_type: string; data: string } };

interface GeminiResponse {
  candidates?: Array<{
    content?: { parts?: Array<{ text?: string; thought?: boolean; inlineData?: { mimeType?: string; data?: string } }> };
    finishReason?: string;
  }>;
  promptFeedback?: { blockReason?: string };
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number };
  error?: { code?: number; message?: string; status?: string };
}

/**
 * Gemini `generateContent` / `streamGenerateContent?alt=sse`, with audio,
 * images and video as `inline_data` (or video as sampled frames), and the key
 * in `x-goog-api-key` rather than the URL, so it never lands in logs.
 */
export class GeminiGenerateModel implements ModelV1 {
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
    streaming: true,
    realtime: false,
  };

  readonly #config: ModelConfig;
  readonly #fetch: FetchLike;
  readonly #env: NodeJS.ProcessEnv;
  readonly #base: string;
  readonly #videoTransport: 'frames' | 'video_url';
  readonly #configWarnings: readonly string[];
  /** `options.outputAudio.voice`: ask for a spoken answer (`responseModalities: ["AUDIO"]`). */
  readonly #outputVoice?: string;

  constructor(config: ModelConfig, deps: AdapterDeps = {}) {
    if (!config.model) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: `model ${config.id}`, detail: 'gemini needs "model"' });
    }
    this.#config = config;
    this.modelName = config.model.replace(/^models\//, '');
    this.#fetch = deps.fetch ?? fetch;
    this.#env = deps.env ?? process.env;
    const opts = new AdapterOptions(config);
    const version = opts.string('apiVersion') ?? 'v1beta';
    const base = baseUrlOf(config, 'https://generativelanguage.googleapis.com');
    this.#base = `${base.endsWith(`/${version}`) ? base : `${base}/${version}`}/models/${encodeURIComponent(this.modelName)}`;
    // Same values as openai-chat, because the runner reads this option to decide whether to sample frames:
    // `video_url` means "send the whole file" (for Gemini: as inline_data).
    this.#videoTransport = opts.enumOf('videoTransport', ['frames', 'video_url'], 'frames');
    const outputAudio = opts.record('outputAudio');
    if (outputAudio !== undefined) {
      const { voice, ...rest } = outputAudio;
      if (typeof voice !== 'string' || voice === '' || Object.keys(rest).length > 0) {
        throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
          source: `model ${config.id}`,
          detail: 'options.outputAudio takes exactly {"voice": "<prebuilt voice name>"} for gemini',
        });
      }
      this.#outputVoice = voice;
    }
    this.#configWarnings = opts.unknownKeyWarnings(adapterName);
  }

  /** The exact JSON body for a request. */
  async buildBody(request: ModelRequest): Promise<{ body: Record<string, unknown>; warnings: string[] }> {
    const warnings = [...this.#configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], adapterName)];
    const body: Record<string, unknown> = {};
    if (request.system !== undefined) body.system_instruction = { parts: [{ text: request.system }] };
    body.contents = [{ parts: await this.#parts(request) }];
    const generationConfig: Record<string, unknown> = {};
    if (request.temperature !== undefined) generationConfig.temperature = request.temperature;
    if (request.maxOutputTokens !== undefined) generationConfig.maxOutputTokens = request.maxOutputTokens;
    if (this.#outputVoice !== undefined) {
      generationConfig.responseModalities = ['AUDIO'];
      generationConfig.speechConfig = { voiceConfig: { prebuiltVoiceConfig: { voiceName: this.#outputVoice } } };
    }
    if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
    const size = JSON.stringify(body).length;
    if (size > geminiInlineLimitBytes) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `the request is ${size} bytes, over Gemini's ${geminiInlineLimitBytes}-byte inline limit; use options.videoTransport "frames" or shorter media`,
      });
    }
    return { body, warnings };
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    const { body, warnings } = await this.buildBody(request);
    const sentMs = performance.now();
    const { json } = await postJson<GeminiResponse>({
      url: `${this.#base}:generateContent`,
      headers: this.#headers(),
      body,
      fetch: this.#fetch,
      signal: request.signal,
    });
    const text = answerText(json);
    const spoken = this.#outputVoice !== undefined ? collectAudio(json, undefined, performance.now() - sentMs) : undefined;
    const audio = spoken?.result();
    const finishReason = checkFinish(json, text || (audio ? ' ' : ''), warnings);
    return { text, finishReason, raw: audio ? withoutInlineAudio(json) : json, warnings, usage: usageOf(json), ...(audio ? { audio } : {}) };
  }

  async *doStream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const { body, warnings } = await this.buildBody(request);
    for (const message of warnings) yield { type: 'warning', message };
    const sentMs = performance.now();
    const response = await postForResponse({
      url: `${this.#base}:streamGenerateContent?alt=sse`,
      headers: this.#headers(),
      body,
      fetch: this.#fetch,
      signal: request.signal,
      accept: 'text/event-stream',
    });
    let text = '';
    let last: GeminiResponse | undefined;
    let finished = false;
    let spoken: SpokenAudioCollector | undefined;
    for await (const sse of sseEvents(response.body, request.signal)) {
      let chunk: GeminiResponse;
      try {
        chunk = JSON.parse(sse.data) as GeminiResponse;
      } catch {
        throw new ModelCallError('Provider sent a stream chunk that is not JSON', { statusCode: 200, retryable: true, responseBody: sse.data.slice(0, 2000) });
      }
      if (chunk.error) {
        throw new ModelCallError(`Provider reported an error mid-stream: ${chunk.error.message ?? 'unknown'}`, {
          statusCode: chunk.error.code,
          responseBody: sse.data.slice(0, 2000),
        });
      }
      last = chunk;
      if (chunk.promptFeedback?.blockReason) checkFinish(chunk, '', warnings);
      const delta = answerText(chunk);
      if (delta) {
        text += delta;
        yield { type: 'text-delta', delta };
      }
      if (this.#outputVoice !== undefined) {
        const added: Uint8Array[] = [];
        spoken = collectAudio(chunk, spoken, performance.now() - sentMs, added);
        for (const data of added) yield { type: 'audio-delta', data };
      }
      if (chunk.candidates?.[0]?.finishReason) finished = true;
    }
    // Gemini streams have no [DONE]: the last chunk carries finishReason. Without it, the connection dropped.
    if (!finished || !last) throw new ModelCallError('The stream ended without a finishReason (connection dropped mid-answer)', { retryable: true });
    const audio = spoken?.result();
    const finishReason = checkFinish(last, text || (audio ? ' ' : ''), warnings);
    yield {
      type: 'finish',
      result: { text, finishReason, raw: audio ? withoutInlineAudio(last) : last, warnings, usage: usageOf(last), ...(audio ? { audio } : {}) },
    };
  }

  #headers(): Record<string, string> {
    const key = readApiKey(this.#config, this.#env);
    return key ? { 'x-goog-api-key': key } : {};
  }

  async #parts(request: ModelRequest): Promise<GeminiPart[]> {
    const stampText = frameTimestampsText(request.parts.filter((p): p is ImagePart => p.type === 'image' && p.timestampS !== undefined));
    let stampsPlaced = false;
    const out: GeminiPart[] = [];
    const inline = (mime: string, bytes: Uint8Array): GeminiPart => ({ inline_data: { mime_type: mime, data: toBase64(bytes) } });
    for (const part of request.parts) {
      switch (part.type) {
        case 'text':
          out.push({ text: part.text });
          break;
        case 'image':
          if (part.timestampS !== undefined && stampText && !stampsPlaced) {
            out.push({ text: stampText });
            stampsPlaced = true;
          }
          out.push(inline(part.mimeType, part.data));
          break;
        case 'audio':
          out.push(nativeAudio.has(part.mimeType) ? inline(part.mimeType, part.data) : inline('audio/wav', audioAsWav(part)));
          break;
        case 'video':
          if (this.#videoTransport === 'frames') {
            throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
              detail: `model ${this.#config.id} takes video as sampled frames (options.videoTransport "frames"); pass frames as image parts`,
            });
          }
          out.push(inline(part.mimeType, await readVideo(part, request.signal)));
          break;
      }
    }
    return out;
  }
}

/**
 * Adds a response's audio parts (`inlineData` with an audio MIME type) to the
 * collector. Gemini sends raw PCM as `audio/L16;codec=pcm;rate=24000`: that
 * becomes `audio/pcm` at the rate the MIME type names. The bytes of each
 * part are also pushed to `added` (the stream's audio deltas).
 */
function collectAudio(r: GeminiResponse, into: SpokenAudioCollector | undefined, arrivedMs: number, added?: Uint8Array[]): SpokenAudioCollector | undefined {
  let collector = into;
  for (const p of r.candidates?.[0]?.content?.parts ?? []) {
    const mime = p.inlineData?.mimeType ?? '';
    if (!p.inlineData?.data || !/^audio\//i.test(mime)) continue;
    if (!collector) {
      const pcm = /^audio\/(l16|pcm)/i.test(mime);
      const rate = Number(/rate=(\d+)/i.exec(mime)?.[1] ?? 24000);
      collector = new SpokenAudioCollector(pcm ? 'audio/pcm' : mime.split(';')[0]!, pcm ? rate : undefined);
    }
    const bytes = Buffer.from(p.inlineData.data, 'base64');
    collector.add(bytes, arrivedMs);
    added?.push(bytes);
  }
  return collector;
}

/** The response without the base64 audio (stored once, as media). */
function withoutInlineAudio(r: GeminiResponse): GeminiResponse {
  return {
    ...r,
    candidates: r.candidates?.map((c) => ({
      ...c,
      content: c.content && {
        ...c.content,
        parts: c.content.parts?.map((p) =>
          p.inlineData && /^audio\//i.test(p.inlineData.mimeType ?? '') ? { inlineData: { mimeType: p.inlineData.mimeType } } : p,
        ),
      },
    })),
  };
}

function answerText(r: GeminiResponse): string {
  // Thought summaries (thinking models) are not the answer.
  return (r.candidates?.[0]?.content?.parts ?? [])
    .filter((p) => !p.thought)
    .map((p) => p.text ?? '')
    .join('');
}

/** Gemini finish reasons where a safety, recitation, blocklist or PII filter stopped the answer. */
const filterReasons = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);
/**
 * Gemini finish reasons that make the text no answer: an unspecified or
 * "other" stop, an unsupported language, malformed or unexpected tool calls,
 * a missing image or thought signature.
 */
const errorReasons = new Set([
  'FINISH_REASON_UNSPECIFIED',
  'OTHER',
  'LANGUAGE',
  'MALFORMED_FUNCTION_CALL',
  'UNEXPECTED_TOOL_CALL',
  'TOO_MANY_TOOL_CALLS',
  'NO_IMAGE',
  'IMAGE_OTHER',
  'MISSING_THOUGHT_SIGNATURE',
]);

/**
 * Gemini's `finishReason` in evalgate's terms. A blocked prompt, or any stop
 * other than STOP and MAX_TOKENS with no text, is a failed call (thrown), not
 * an empty answer to score. With some text, a filter stop is `filter` (the
 * partial answer is kept and scored) and the reasons in {@link errorReasons}
 * are `error` (the runner fails the sample). An unknown reason with text is
 * kept as a stop with a warning naming it.
 */
function checkFinish(r: GeminiResponse, text: string, warnings: string[]): FinishReason {
  const blocked = r.promptFeedback?.blockReason;
  if (blocked)
    throw new ModelCallError(`Gemini blocked the prompt (${blocked})`, { statusCode: 200, retryable: false, responseBody: JSON.stringify(r).slice(0, 2000) });
  const reason = r.candidates?.[0]?.finishReason;
  if (!r.candidates?.length)
    throw new ModelCallError('Gemini answered without a candidate', { statusCode: 200, retryable: false, responseBody: JSON.stringify(r).slice(0, 2000) });
  if (!reason || reason === 'STOP') return 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (!text) {
    throw new ModelCallError(`Gemini stopped without an answer (finishReason ${reason})`, {
      statusCode: 200,
      retryable: false,
      responseBody: JSON.stringify(r).slice(0, 2000),
    });
  }
  if (filterReasons.has(reason)) return 'filter';
  if (errorReasons.has(reason)) return 'error';
  warnings.push(`unrecognised finishReason ${reason}, treated as a normal stop`);
  return 'stop';
}

function usageOf(r: GeminiResponse): ModelResult['usage'] {
  const u = r.usageMetadata;
  return u ? { inputTokens: u.promptTokenCount, outputTokens: u.candidatesTokenCount } : undefined;
}

/** Factory used by createModel. */
export function createGeminiGenerateModel(config: ModelConfig, deps?: AdapterDeps): ModelV1 {
  return new GeminiGenerateModel(config, deps);
}
