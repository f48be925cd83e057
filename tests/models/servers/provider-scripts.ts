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
  /** A successful non-streaming answer with this text. */
  ok(text: string): Reply;
  /** A successful stream delivering these deltas, complete. */
  stream(deltas: readonly string[]): Reply;
  /** The same stream, cut off (socket destroyed) after the deltas. */
  streamDropped(deltas: readonly string[]): Reply;
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
  ok: (text) => ({
    kind: 'json',
    status: 200,
    body: {
      id: 'chatcmpl-123',
      object: 'chat.completion',
      created: 1677652288,
      model: 'gpt-4o-2024-08-06',
      system_fingerprint: 'fp_44709d6fcb',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
    },
  }),
  stream: (deltas) => ({ kind: 'sse', chunks: sseData(openAiChunks(deltas)) }),
  streamDropped: (deltas) => ({ kind: 'sse', chunks: sseData(openAiChunks(deltas).slice(0, -2), false), drop: true }),
  error: (status, message, headers) => ({
    kind: 'json',
    status,
    headers,
    body: { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', param: null, code: null } },
  }),
  authHeader: (key) => ['authorization', `Bearer ${key}`],
};

/** Chunks as in the OpenAI streaming reference, with the usage chunk `stream_options.include_usage` adds. */
function openAiChunks(deltas: readonly string[]): unknown[] {
  const base = { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1694268190, model: 'gpt-4o-mini', system_fingerprint: 'fp_44709d6fcb' };
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
    ...deltas.map((d) => ({ ...base, choices: [{ index: 0, delta: { content: d }, logprobs: null, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: deltas.length, total_tokens: 9 + deltas.length } },
  ];
}

export const testApiKeyEnv = apiKeyEnv;
