import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, baseUrlOf, joinVersioned, readApiKey, unknownProviderOptionWarnings, type AdapterDeps } from '../adapter-support.js';
import { postForResponse, postJson, type FetchLike } from '../http/post-json.js';
import { sseEvents } from '../http/sse-events.js';
import { frameTimestampsText, toBase64, type ImagePart } from '../media/media-encoding.js';
import { ModelCallError } from '../spec/model-call-error.js';
import type { FinishReason, ModelCapabilities, ModelRequest, ModelResult, ModelStreamEvent, ModelV1 } from '../spec/model-v1.js';

const adapterName = 'anthropic';

/** A content block of a user message. */
type AnthropicBlock = { type: 'text'; text: string } | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } };

interface AnthropicMessage {
  content?: Array<{ type?: string; text?: string }>;
  stop_reason?: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
}

interface AnthropicStreamEvent {
  type?: string;
  message?: AnthropicMessage & { id?: string; model?: string };
  delta?: { type?: string; text?: string; stop_reason?: string | null };
  usage?: { output_tokens?: number; input_tokens?: number };
  error?: { type?: string; message?: string };
}

/** Anthropic's error types that are worth retrying (server side or load). */
const retryableStreamErrors = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

/**
 * Anthropic Messages API (`/v1/messages`): text and base64 image blocks,
 * video as sampled frames, SSE streaming. Claude takes no audio, so audio
 * parts fail clearly rather than being dropped.
 */
export class AnthropicMessagesModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly adapter = adapterName;
  readonly adapterVersion = '1.0.0';
  readonly modelName: string;
  readonly capabilities: ModelCapabilities = {
    text: true,
    audio: false,
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
  readonly #version: string;
  readonly #defaultMaxTokens: number;
  readonly #configWarnings: readonly string[];

  constructor(config: ModelConfig, deps: AdapterDeps = {}) {
    if (!config.model) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: `model ${config.id}`, detail: 'anthropic needs "model"' });
    }
    this.#config = config;
    this.modelName = config.model;
    this.#fetch = deps.fetch ?? fetch;
    this.#env = deps.env ?? process.env;
    const opts = new AdapterOptions(config);
    this.#url = joinVersioned(baseUrlOf(config, 'https://api.anthropic.com'), '/v1/messages');
    this.#version = opts.string('anthropicVersion') ?? '2023-06-01';
    // The API requires max_tokens; 1024 is the value its own examples use.
    this.#defaultMaxTokens = opts.number('maxTokens') ?? 1024;
    this.#configWarnings = opts.unknownKeyWarnings(adapterName);
  }

  /** The exact JSON body for a request. */
  buildBody(request: ModelRequest, stream: boolean): { body: Record<string, unknown>; warnings: string[] } {
    const warnings = [...this.#configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], adapterName)];
    const body: Record<string, unknown> = {
      model: this.modelName,
      max_tokens: request.maxOutputTokens ?? this.#defaultMaxTokens,
    };
    if (request.system !== undefined) body.system = request.system;
    body.messages = [{ role: 'user', content: this.#content(request) }];
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (stream) body.stream = true;
    return { body, warnings };
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    const { body, warnings } = this.buildBody(request, false);
    const { json } = await postJson<AnthropicMessage>({ url: this.#url, headers: this.#headers(), body, fetch: this.#fetch, signal: request.signal });
    const text = (json.content ?? [])
      .filter((b) => b.type === 'text')
      .map((b) => b.text ?? '')
      .join('');
    return {
      text,
      finishReason: stopReasonOf(json.stop_reason, warnings),
      raw: json,
      warnings,
      usage: { inputTokens: json.usage?.input_tokens, outputTokens: json.usage?.output_tokens },
    };
  }

  async *doStream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const { body, warnings } = this.buildBody(request, true);
    for (const message of warnings) yield { type: 'warning', message };
    const response = await postForResponse({
      url: this.#url,
      headers: this.#headers(),
      body,
      fetch: this.#fetch,
      signal: request.signal,
      accept: 'text/event-stream',
    });
    let text = '';
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let stopReason: string | null | undefined;
    let id: string | undefined;
    for await (const sse of sseEvents(response.body, request.signal)) {
      let ev: AnthropicStreamEvent;
      try {
        ev = JSON.parse(sse.data) as AnthropicStreamEvent;
      } catch {
        throw new ModelCallError('Provider sent a stream event that is not JSON', { statusCode: 200, retryable: true, responseBody: sse.data.slice(0, 2000) });
      }
      switch (ev.type) {
        case 'message_start':
          id = ev.message?.id;
          inputTokens = ev.message?.usage?.input_tokens;
          outputTokens = ev.message?.usage?.output_tokens;
          break;
        case 'content_block_delta':
          if (ev.delta?.type === 'text_delta' && ev.delta.text) {
            text += ev.delta.text;
            yield { type: 'text-delta', delta: ev.delta.text };
          }
          break;
        case 'message_delta':
          stopReason = ev.delta?.stop_reason ?? stopReason;
          outputTokens = ev.usage?.output_tokens ?? outputTokens;
          break;
        case 'error':
          throw new ModelCallError(`Provider reported an error mid-stream: ${ev.error?.message ?? 'unknown'}`, {
            retryable: retryableStreamErrors.has(ev.error?.type ?? ''),
            responseBody: sse.data.slice(0, 2000),
          });
        case 'message_stop':
          yield {
            type: 'finish',
            result: {
              text,
              finishReason: stopReasonOf(stopReason, warnings),
              raw: { id, stop_reason: stopReason, usage: { input_tokens: inputTokens, output_tokens: outputTokens } },
              warnings,
              usage: { inputTokens, outputTokens },
            },
          };
          return;
        default:
          // ping, content_block_start/stop and future event types carry no answer text
          break;
      }
    }
    throw new ModelCallError('The stream ended before message_stop (connection dropped mid-answer)', { retryable: true });
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { 'anthropic-version': this.#version };
    const key = readApiKey(this.#config, this.#env);
    if (key) headers['x-api-key'] = key;
    return headers;
  }

  #content(request: ModelRequest): string | AnthropicBlock[] {
    const parts = request.parts;
    const [only] = parts;
    if (parts.length === 1 && only?.type === 'text') return only.text;
    const stampText = frameTimestampsText(parts.filter((p): p is ImagePart => p.type === 'image' && p.timestampS !== undefined));
    let stampsPlaced = false;
    const out: AnthropicBlock[] = [];
    for (const part of parts) {
      switch (part.type) {
        case 'text':
          out.push({ type: 'text', text: part.text });
          break;
        case 'image':
          if (part.timestampS !== undefined && stampText && !stampsPlaced) {
            out.push({ type: 'text', text: stampText });
            stampsPlaced = true;
          }
          out.push({ type: 'image', source: { type: 'base64', media_type: part.mimeType, data: toBase64(part.data) } });
          break;
        case 'audio':
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `model ${this.#config.id} (Anthropic Messages) takes no audio input` });
        case 'video':
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
            detail: `model ${this.#config.id} (Anthropic Messages) takes video only as sampled frames; pass frames as image parts`,
          });
      }
    }
    return out;
  }
}

/**
 * Anthropic's `stop_reason` in evalgate's terms: end_turn, stop_sequence and
 * tool_use end the turn; max_tokens and model_context_window_exceeded cut the
 * answer off; refusal is the safety classifier stopping it. pause_turn (a
 * server-tool loop paused mid-turn) leaves the turn unfinished, so it is no
 * answer. Any other value is kept as a stop with a warning naming it.
 */
export function stopReasonOf(reason: string | null | undefined, warnings: string[]): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
    case null:
    case undefined:
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'filter';
    case 'pause_turn':
      return 'error';
    default:
      warnings.push(`unrecognised stop_reason "${reason}", treated as a normal stop`);
      return 'stop';
  }
}

/** Factory used by createModel. */
export function createAnthropicMessagesModel(config: ModelConfig, deps?: AdapterDeps): ModelV1 {
  return new AnthropicMessagesModel(config, deps);
}
