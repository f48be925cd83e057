import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, baseUrlOf, joinVersioned, readApiKey, unknownProviderOptionWarnings, type AdapterDeps } from '../adapter-support.js';
import { postForResponse, postJson, type FetchLike } from '../http/post-json.js';
import { sseEvents } from '../http/sse-events.js';
import { audioAsWav, dataUrl, frameTimestampsText, readVideo, toBase64, type ImagePart } from '../media/media-encoding.js';
import { ModelCallError } from '../spec/model-call-error.js';
import type { FinishReason, ModelCapabilities, ModelRequest, ModelResult, ModelStreamEvent, ModelV1, SpokenAudio } from '../spec/model-v1.js';
import { SpokenAudioCollector } from '../spoken-audio-collector.js';

/** How audio parts travel. */
export type OpenAiAudioTransport = 'input_audio' | 'audio_url';
/** How video travels: sampled frames as images, or the whole file as `video_url`. */
export type OpenAiVideoTransport = 'frames' | 'video_url';

/** One content part of a chat message, as the wire format has it. */
export type OpenAiContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'input_audio'; input_audio: { data: string; format: 'wav' | 'mp3' } }
  | { type: 'audio_url'; audio_url: { url: string } }
  | { type: 'video_url'; video_url: { url: string } };

interface ChatMessage {
  role: 'system' | 'user';
  content: string | OpenAiContentPart[];
}

interface ChatCompletion {
  id?: string;
  model?: string;
  choices?: Array<{
    message?: {
      content?: string | null | Array<{ type?: string; text?: string }>;
      refusal?: string | null;
      /** Audio output (`modalities: ["text", "audio"]`): base64 bytes in the requested format, and the model's own transcript. */
      audio?: { id?: string; data?: string; transcript?: string; expires_at?: number } | null;
    };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

interface ChatChunk {
  id?: string;
  model?: string;
  choices?: Array<{
    delta?: { content?: string | null; refusal?: string | null; audio?: { id?: string; data?: string; transcript?: string } | null };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; code?: number | string; type?: string };
}

const adapterName = 'openai-chat';

/** `options.outputAudio`: ask for a spoken answer (chat-completions audio output). */
interface OutputAudio {
  /** Voice name, e.g. `alloy`. */
  readonly voice: string;
  /** Audio format; streamed audio comes only as `pcm16`. */
  readonly format: 'wav' | 'mp3' | 'flac' | 'opus' | 'pcm16';
  /** Sample rate of `pcm16` (OpenAI sends 24 kHz). */
  readonly sampleRateHz: number;
}

const audioMime: Readonly<Record<OutputAudio['format'], string>> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  opus: 'audio/ogg',
  pcm16: 'audio/pcm',
};

/** Reads and checks `options.outputAudio`. */
function outputAudioOf(config: ModelConfig, raw: Readonly<Record<string, unknown>> | undefined): OutputAudio | undefined {
  if (raw === undefined) return undefined;
  const bad = (detail: string): EvalgateError =>
    new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: `model ${config.id}`, detail: `options.outputAudio: ${detail}` });
  const { voice, format = 'wav', sampleRateHz = 24000, ...rest } = raw;
  if (typeof voice !== 'string' || voice === '') throw bad('"voice" must be a voice name such as "alloy"');
  if (typeof format !== 'string' || !(format in audioMime)) throw bad(`"format" must be one of ${Object.keys(audioMime).join(', ')}`);
  if (typeof sampleRateHz !== 'number' || !Number.isInteger(sampleRateHz) || sampleRateHz <= 0) throw bad('"sampleRateHz" must be a positive integer');
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw bad(`unknown key(s) ${unknown.join(', ')}`);
  return { voice, format: format as OutputAudio['format'], sampleRateHz };
}

/**
 * OpenAI-compatible `/v1/chat/completions`: GPT-4o, and vLLM or SGLang
 * serving Qwen2-Audio, Qwen2-VL and the like. Translates ModelRequest parts
 * into content parts (`input_audio`/`audio_url`, `image_url`, frames or
 * `video_url`) and the answer (JSON or SSE chunks) back.
 */
export class OpenAiChatModel implements ModelV1 {
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
  readonly #url: string;
  readonly #audioTransport: OpenAiAudioTransport;
  readonly #videoTransport: OpenAiVideoTransport;
  readonly #imageDetail?: string;
  readonly #maxTokensField: 'max_tokens' | 'max_completion_tokens';
  readonly #streamUsage: boolean;
  readonly #extraBody?: Readonly<Record<string, unknown>>;
  readonly #extraHeaders?: Readonly<Record<string, unknown>>;
  readonly #configWarnings: readonly string[];
  readonly #outputAudio?: OutputAudio;

  constructor(config: ModelConfig, deps: AdapterDeps = {}) {
    if (!config.model) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: `model ${config.id}`, detail: 'openai-chat needs "model"' });
    }
    this.#config = config;
    this.modelName = config.model;
    this.#fetch = deps.fetch ?? fetch;
    this.#env = deps.env ?? process.env;
    const opts = new AdapterOptions(config);
    this.#url = joinVersioned(baseUrlOf(config, 'https://api.openai.com'), opts.string('path') ?? '/v1/chat/completions');
    this.#audioTransport = opts.enumOf('audioTransport', ['input_audio', 'audio_url'], 'input_audio');
    this.#videoTransport = opts.enumOf('videoTransport', ['frames', 'video_url'], 'frames');
    this.#imageDetail = opts.string('imageDetail');
    // OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…) refuse `max_tokens`; other servers may not know the newer name.
    const reasoning = /^(o\d|gpt-5)/i.test(config.model ?? '');
    this.#maxTokensField = opts.enumOf('maxTokensField', ['max_tokens', 'max_completion_tokens'], reasoning ? 'max_completion_tokens' : 'max_tokens');
    this.#streamUsage = opts.boolean('streamUsage', true);
    this.#extraBody = opts.record('extraBody');
    this.#extraHeaders = opts.record('headers');
    this.#outputAudio = outputAudioOf(config, opts.record('outputAudio'));
    this.#configWarnings = opts.unknownKeyWarnings(adapterName);
  }

  /** The exact JSON body sent for a request (exposed for the conformance suite and for `--dry-run` style audits). */
  async buildBody(request: ModelRequest, stream: boolean): Promise<{ body: Record<string, unknown>; warnings: string[] }> {
    const warnings = [...this.#configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], adapterName)];
    const messages: ChatMessage[] = [];
    if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
    messages.push({ role: 'user', content: await this.#content(request) });
    const body: Record<string, unknown> = { model: this.modelName, messages };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.maxOutputTokens !== undefined) body[this.#maxTokensField] = request.maxOutputTokens;
    if (this.#outputAudio) {
      body.modalities = ['text', 'audio'];
      // OpenAI streams audio only as pcm16: a streamed request asks for that whatever the configured file format.
      body.audio = { voice: this.#outputAudio.voice, format: stream ? 'pcm16' : this.#outputAudio.format };
    }
    if (stream) {
      body.stream = true;
      if (this.#streamUsage) body.stream_options = { include_usage: true };
    }
    return { body: { ...body, ...this.#extraBody }, warnings };
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    const { body, warnings } = await this.buildBody(request, false);
    const sentMs = performance.now();
    const { json } = await postJson<ChatCompletion>({
      url: this.#url,
      headers: this.#headers(),
      body,
      fetch: this.#fetch,
      signal: request.signal,
    });
    const choice = json.choices?.[0];
    if (!choice) {
      throw new ModelCallError('Provider answered without any choice', {
        statusCode: 200,
        retryable: false,
        responseBody: JSON.stringify(json).slice(0, 2000),
      });
    }
    const content = choice.message?.content;
    let text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((c) => c.text ?? '').join('') : '';
    if (!text && choice.message?.refusal) {
      text = choice.message.refusal;
      warnings.push('the model refused; its refusal text is the answer');
    }
    const audio = this.#wholeAudio(choice.message?.audio, performance.now() - sentMs);
    // The stored response keeps the transcript but not the base64 audio: the audio is stored once, as media.
    const raw = audio ? withoutAudioData(json) : json;
    return { text, finishReason: finishReasonOf(choice.finish_reason, warnings), raw, warnings, usage: usageOf(json.usage), ...(audio ? { audio } : {}) };
  }

  /** The spoken answer of a non-streamed reply, when audio output was asked for and came. */
  #wholeAudio(audio: { data?: string; transcript?: string } | null | undefined, arrivedMs: number): SpokenAudio | undefined {
    const out = this.#outputAudio;
    if (!out || !audio?.data) return undefined;
    const collector = new SpokenAudioCollector(audioMime[out.format], out.format === 'pcm16' ? out.sampleRateHz : undefined);
    collector.add(Buffer.from(audio.data, 'base64'), arrivedMs);
    if (audio.transcript) collector.addTranscript(audio.transcript);
    return collector.result();
  }

  async *doStream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const { body, warnings } = await this.buildBody(request, true);
    for (const message of warnings) yield { type: 'warning', message };
    const sentMs = performance.now();
    const response = await postForResponse({
      url: this.#url,
      headers: this.#headers(),
      body,
      fetch: this.#fetch,
      signal: request.signal,
      accept: 'text/event-stream',
    });
    const spoken = this.#outputAudio ? new SpokenAudioCollector('audio/pcm', this.#outputAudio.sampleRateHz) : undefined;
    let text = '';
    let usage: ModelResult['usage'];
    let finishReason: string | null | undefined;
    let id: string | undefined;
    let model: string | undefined;
    let chunks = 0;
    for await (const ev of sseEvents(response.body, request.signal)) {
      if (ev.data === '[DONE]') {
        const reason = finishReasonOf(finishReason, warnings);
        const audio = spoken?.result();
        const raw = {
          id,
          model,
          finish_reason: finishReason,
          usage,
          chunks,
          ...(audio?.selfTranscript !== undefined ? { transcript: audio.selfTranscript } : {}),
        };
        yield { type: 'finish', result: { text, finishReason: reason, raw, warnings, usage, ...(audio ? { audio } : {}) } };
        return;
      }
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(ev.data) as ChatChunk;
      } catch {
        throw new ModelCallError('Provider sent a stream chunk that is not JSON', { statusCode: 200, retryable: true, responseBody: ev.data.slice(0, 2000) });
      }
      if (chunk.error) throw streamError(chunk.error, ev.data);
      chunks++;
      id ??= chunk.id;
      model ??= chunk.model;
      if (chunk.usage) usage = usageOf(chunk.usage);
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      const delta = choice?.delta?.content ?? choice?.delta?.refusal;
      if (delta) {
        text += delta;
        yield { type: 'text-delta', delta };
      }
      const audioDelta = choice?.delta?.audio;
      if (spoken && audioDelta) {
        if (audioDelta.transcript) spoken.addTranscript(audioDelta.transcript);
        if (audioDelta.data) {
          const data = Buffer.from(audioDelta.data, 'base64');
          spoken.add(data, performance.now() - sentMs);
          yield { type: 'audio-delta', data };
        }
      }
    }
    // The body ended without `data: [DONE]`: the connection dropped mid-answer.
    throw new ModelCallError('The stream ended before [DONE] (connection dropped mid-answer)', { retryable: true });
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#extraHeaders ?? {})) headers[k] = String(v);
    const key = readApiKey(this.#config, this.#env);
    if (key) headers.authorization = `Bearer ${key}`;
    return headers;
  }

  async #content(request: ModelRequest): Promise<string | OpenAiContentPart[]> {
    const parts = request.parts;
    const [only] = parts;
    if (parts.length === 1 && only?.type === 'text') return only.text;
    const frames = parts.filter((p): p is ImagePart => p.type === 'image' && p.timestampS !== undefined);
    const stampText = frameTimestampsText(frames);
    const out: OpenAiContentPart[] = [];
    let stampsPlaced = false;
    for (const part of parts) {
      switch (part.type) {
        case 'text':
          out.push({ type: 'text', text: part.text });
          break;
        case 'image': {
          if (part.timestampS !== undefined && stampText && !stampsPlaced) {
            // One sentence before the first frame: models read the timestamps before the pictures they describe.
            out.push({ type: 'text', text: stampText });
            stampsPlaced = true;
          }
          const url = dataUrl(part.mimeType, part.data);
          out.push({ type: 'image_url', image_url: this.#imageDetail ? { url, detail: this.#imageDetail } : { url } });
          break;
        }
        case 'audio': {
          if (this.#audioTransport === 'audio_url') {
            // vLLM decodes any format its audio loader reads, so the original file goes as it is.
            const original = part.data.byteLength > 0 && !/^audio\/(pcm|l16)/i.test(part.mimeType);
            out.push({ type: 'audio_url', audio_url: { url: original ? dataUrl(part.mimeType, part.data) : dataUrl('audio/wav', audioAsWav(part)) } });
          } else if (/^audio\/(mpeg|mp3)$/i.test(part.mimeType)) {
            // input_audio takes exactly two formats, wav and mp3; mp3 goes untouched.
            out.push({ type: 'input_audio', input_audio: { data: toBase64(part.data), format: 'mp3' } });
          } else {
            out.push({ type: 'input_audio', input_audio: { data: toBase64(audioAsWav(part)), format: 'wav' } });
          }
          break;
        }
        case 'video':
          if (this.#videoTransport === 'frames') {
            throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
              detail: `model ${this.#config.id} takes video as sampled frames (options.videoTransport "frames"); pass frames as image parts, or set videoTransport to "video_url"`,
            });
          }
          out.push({ type: 'video_url', video_url: { url: dataUrl(part.mimeType, await readVideo(part, request.signal)) } });
          break;
      }
    }
    return out;
  }
}

/**
 * OpenAI's `finish_reason` (stop, length, content_filter, tool_calls and the
 * deprecated function_call) in evalgate's terms. A tool call ends the turn
 * normally. OpenAI-compatible servers add their own: vLLM's `abort` (the
 * request was dropped server-side) is no answer. A missing reason (servers
 * that omit it) counts as a normal stop, as it did before; any other value is
 * kept as a stop with a warning naming it, so a new server's spelling shows
 * up without failing every sample.
 */
export function finishReasonOf(reason: string | null | undefined, warnings: string[]): FinishReason {
  switch (reason) {
    case 'stop':
    case 'tool_calls':
    case 'function_call':
    case null:
    case undefined:
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'filter';
    case 'abort':
    case 'error':
      return 'error';
    default:
      warnings.push(`unrecognised finish_reason "${reason}", treated as a normal stop`);
      return 'stop';
  }
}

/** The response with `message.audio.data` left out (kept: id, transcript, expiry). */
function withoutAudioData(json: ChatCompletion): ChatCompletion {
  return {
    ...json,
    choices: json.choices?.map((c) => {
      const audio = c.message?.audio;
      if (!audio) return c;
      const { data: _data, ...kept } = audio;
      return { ...c, message: { ...c.message, audio: kept } };
    }),
  };
}

function usageOf(u: ChatCompletion['usage'] | null | undefined): ModelResult['usage'] {
  if (!u) return undefined;
  return { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens };
}

/** An error object inside an SSE stream (vLLM and OpenAI send these after a 200). */
function streamError(error: NonNullable<ChatChunk['error']>, data: string): ModelCallError {
  const status = typeof error.code === 'number' ? error.code : undefined;
  return new ModelCallError(`Provider reported an error mid-stream: ${error.message ?? 'unknown error'}`, {
    statusCode: status,
    // Without a status, an error after a 200 is usually an overloaded backend: worth another try.
    retryable: status === undefined ? true : undefined,
    responseBody: data.slice(0, 2000),
  });
}

/** Factory used by createModel. */
export function createOpenAiChatModel(config: ModelConfig, deps?: AdapterDeps): ModelV1 {
  return new OpenAiChatModel(config, deps);
}
