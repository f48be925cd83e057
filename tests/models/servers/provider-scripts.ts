import type { ModelConfig } from '../../../gateway/config/config-schema.js';
import type { Reply } from './scripted-http-server.js';
import { sseData } from './scripted-http-server.js';

/**
 * How each remote HTTP provider speaks, for the shared conformance suite: a
 * model config pointing at the scripted server, and scripted replies in the
 * provider's documented wire format.
 */
export interface ProviderScript {
  /** Adapter name in the config. */
  readonly adapter: string;
  /** A config whose baseUrl is the scripted server. */
  config(baseUrl: string, options?: Record<string, unknown>): ModelConfig;
  /** The request path the adapter must call (non-streaming, streaming). */
  readonly paths: { readonly generate: string; readonly stream: string };
  /** A successful non-streaming answer with this text, stopped for the provider's `reason` (default: its normal stop). */
  ok(text: string, reason?: string): Reply;
  /** A successful stream delivering these deltas, complete, stopped for the provider's `reason`. */
  stream(deltas: readonly string[], reason?: string): Reply;
  /** The provider's own spelling of a cut-off (token limit) and a content-filter stop. */
  readonly stopReasons: { readonly length: string; readonly filter: string };
  /** The same stream, cut off (socket destroyed) after the deltas. */
  streamDropped(deltas: readonly string[]): Reply;
  /** The same stream, ended cleanly by the server but without the provider's end marker. */
  streamEndsEarly(deltas: readonly string[]): Reply;
  /** An error answer in the provider's error shape. */
  error(status: number, message: string, headers?: Record<string, string>): Reply;
  /** The header that carries the API key, and its expected value for key `k`. */
  authHeader(key: string): readonly [name: string, value: string];
}

const apiKeyEnv = 'EVALGATE_TEST_KEY';

export const openAiChatScript: ProviderScript = {
  adapter: 'openai-chat',
  config: (baseUrl, options = {}) => ({ id: 'oa', adapter: 'openai-chat', kind: 'generalist', baseUrl, model: 'gpt-4o', apiKeyEnv, options }),
  paths: { generate: '/v1/chat/completions', stream: '/v1/chat/completions' },
  ok: (text, reason = 'stop') => ({
    kind: 'json',
    status: 200,
    body: {
      id: 'chatcmpl-123',
      object: 'chat.completion',
      created: 1677652288,
      model: 'gpt-4o-2024-08-06',
      system_fingerprint: 'fp_44709d6fcb',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: reason }],
      usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
    },
  }),
  stream: (deltas, reason) => ({ kind: 'sse', chunks: sseData(openAiChunks(deltas, reason)) }),
  stopReasons: { length: 'length', filter: 'content_filter' },
  streamDropped: (deltas) => ({ kind: 'sse', chunks: sseData(openAiChunks(deltas).slice(0, -2), false), drop: true }),
  streamEndsEarly: (deltas) => ({ kind: 'sse', chunks: sseData(openAiChunks(deltas), false) }),
  error: (status, message, headers) => ({
    kind: 'json',
    status,
    headers,
    body: { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', param: null, code: null } },
  }),
  authHeader: (key) => ['authorization', `Bearer ${key}`],
};

/** Chunks as in the OpenAI streaming reference, with the usage chunk `stream_options.include_usage` adds. */
function openAiChunks(deltas: readonly string[], reason = 'stop'): unknown[] {
  const base = { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1694268190, model: 'gpt-4o-mini', system_fingerprint: 'fp_44709d6fcb' };
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
    ...deltas.map((d) => ({ ...base, choices: [{ index: 0, delta: { content: d }, logprobs: null, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: reason }] },
    { ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: deltas.length, total_tokens: 9 + deltas.length } },
  ];
}

export const testApiKeyEnv = apiKeyEnv;

/** SSE with `event:` names, as Anthropic sends them. */
function namedSse(events: ReadonlyArray<Record<string, unknown>>): string[] {
  return events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`);
}

/** The event sequence of the Anthropic streaming reference for a text answer. */
function anthropicEvents(deltas: readonly string[], reason = 'end_turn'): Array<Record<string, unknown>> {
  return [
    {
      type: 'message_start',
      message: {
        id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-3-5-sonnet-20241022',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 25, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    ...deltas.map((text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: 15 } },
    { type: 'message_stop' },
  ];
}

export const anthropicScript: ProviderScript = {
  adapter: 'anthropic',
  config: (baseUrl, options = {}) => ({
    id: 'claude',
    adapter: 'anthropic',
    kind: 'generalist',
    baseUrl,
    model: 'claude-3-5-sonnet-20241022',
    apiKeyEnv,
    options,
  }),
  paths: { generate: '/v1/messages', stream: '/v1/messages' },
  ok: (text, reason = 'end_turn') => ({
    kind: 'json',
    status: 200,
    body: {
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text }],
      model: 'claude-3-5-sonnet-20241022',
      stop_reason: reason,
      stop_sequence: null,
      usage: { input_tokens: 2095, output_tokens: 503 },
    },
  }),
  stream: (deltas, reason) => ({ kind: 'sse', chunks: namedSse(anthropicEvents(deltas, reason)) }),
  stopReasons: { length: 'max_tokens', filter: 'refusal' },
  streamDropped: (deltas) => ({ kind: 'sse', chunks: namedSse(anthropicEvents(deltas).slice(0, -3)), drop: true }),
  streamEndsEarly: (deltas) => ({ kind: 'sse', chunks: namedSse(anthropicEvents(deltas).slice(0, -1)) }),
  error: (status, message, headers) => ({
    kind: 'json',
    status,
    headers,
    body: { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error', message } },
  }),
  authHeader: (key) => ['x-api-key', key],
};

function geminiChunk(text: string, finishReason?: string): Record<string, unknown> {
  return {
    candidates: [{ content: { parts: [{ text }], role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 4, totalTokenCount: 12 },
    modelVersion: 'gemini-2.0-flash',
  };
}

export const geminiScript: ProviderScript = {
  adapter: 'gemini',
  config: (baseUrl, options = {}) => ({ id: 'gem', adapter: 'gemini', kind: 'generalist', baseUrl, model: 'gemini-2.0-flash', apiKeyEnv, options }),
  paths: {
    generate: '/v1beta/models/gemini-2.0-flash:generateContent',
    stream: '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
  },
  ok: (text, reason = 'STOP') => ({ kind: 'json', status: 200, body: geminiChunk(text, reason) }),
  // Gemini's SSE stream has no [DONE]; the last chunk carries finishReason.
  stream: (deltas, reason = 'STOP') => ({
    kind: 'sse',
    chunks: deltas.map((d, i) => `data: ${JSON.stringify(geminiChunk(d, i === deltas.length - 1 ? reason : undefined))}\r\n\r\n`),
  }),
  stopReasons: { length: 'MAX_TOKENS', filter: 'SAFETY' },
  streamDropped: (deltas) => ({ kind: 'sse', chunks: deltas.map((d) => `data: ${JSON.stringify(geminiChunk(d))}\r\n\r\n`), drop: true }),
  streamEndsEarly: (deltas) => ({ kind: 'sse', chunks: deltas.map((d) => `data: ${JSON.stringify(geminiChunk(d))}\r\n\r\n`) }),
  error: (status, message, headers) => ({
    kind: 'json',
    status,
    headers,
    body: { error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT' } },
  }),
  authHeader: (key) => ['x-goog-api-key', key],
};
