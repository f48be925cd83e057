/**
 * Anthropic and Gemini request bodies, deep-equal to the providers' documented
 * examples:
 * - Anthropic Messages reference ("Hello, world"), vision guide (base64 image
 *   source block before the text), streaming (`stream: true`), system prompt;
 * - Gemini REST docs: text generation, system_instruction, image and audio as
 *   inline_data, generationConfig.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import type { ModelRequest } from '../../gateway/models/spec/model-v1.js';
import { ScriptedHttpServer } from './servers/scripted-http-server.js';
import { anthropicScript, geminiScript, testApiKeyEnv, type ProviderScript } from './servers/provider-scripts.js';

const env = { [testApiKeyEnv]: 'k' };
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 9, 8, 7, 0xff, 0xd9]);
const mp3 = new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0]);
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

let server: ScriptedHttpServer;
let dir: string;
beforeAll(async () => {
  server = await ScriptedHttpServer.start();
  dir = await mkdtemp(join(tmpdir(), 'evalgate-wire-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
});

async function sent(script: ProviderScript, request: ModelRequest, options: Record<string, unknown> = {}): Promise<unknown> {
  server.script(script.ok('x'));
  const model = await createModel(script.config(server.url, options), { env });
  await model.doGenerate(request);
  return server.requests[0]?.body;
}

describe('anthropic wire format', () => {
  it('text: string content, max_tokens 1024, version header', async () => {
    const body = await sent(anthropicScript, { parts: [{ type: 'text', text: 'Hello, world' }] });
    expect(body).toEqual({ model: 'claude-3-5-sonnet-20241022', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }] });
    expect(server.requests[0]?.headers['anthropic-version']).toBe('2023-06-01');
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('vision: base64 image source block, then text', async () => {
    const body = await sent(anthropicScript, {
      parts: [
        { type: 'image', data: jpeg, mimeType: 'image/jpeg' },
        { type: 'text', text: 'Describe this image.' },
      ],
    });
    expect(body).toEqual({
      model: 'claude-3-5-sonnet-20241022',
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: b64(jpeg) } },
            { type: 'text', text: 'Describe this image.' },
          ],
        },
      ],
    });
  });

  it('system, temperature, max tokens and stream: true', async () => {
    server.script(anthropicScript.stream(['Hi']));
    const model = await createModel(anthropicScript.config(server.url), { env });
    const events = [];
    for await (const ev of model.doStream!({
      system: 'Today is January 1, 2024.',
      parts: [{ type: 'text', text: 'Hello' }],
      temperature: 0,
      maxOutputTokens: 256,
    }))
      events.push(ev);
    expect(server.requests[0]?.body).toEqual({
      model: 'claude-3-5-sonnet-20241022',
      max_tokens: 256,
      system: 'Today is January 1, 2024.',
      messages: [{ role: 'user', content: 'Hello' }],
      temperature: 0,
      stream: true,
    });
    expect(events.at(-1)).toMatchObject({ type: 'finish', result: { text: 'Hi', usage: { inputTokens: 25, outputTokens: 15 } } });
  });

  it('an overloaded_error event mid-stream is retryable; invalid_request_error is not', async () => {
    const model = await createModel(anthropicScript.config(server.url), { env });
    const drain = async (): Promise<void> => {
      for await (const _ of model.doStream!({ parts: [{ type: 'text', text: 'x' }] })) {
        // drain
      }
    };
    server.script({ kind: 'sse', chunks: ['event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'] });
    await expect(drain()).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('Overloaded') });
    server.script({ kind: 'sse', chunks: ['event: error\ndata: {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}\n\n'] });
    await expect(drain()).rejects.toMatchObject({ retryable: false });
  });

  it('maps stop_reason: stop_sequence and tool_use stop, model_context_window_exceeded is length, pause_turn is no answer', async () => {
    const model = await createModel(anthropicScript.config(server.url), { env });
    for (const [wire, expected] of [
      ['stop_sequence', 'stop'],
      ['tool_use', 'stop'],
      ['model_context_window_exceeded', 'length'],
      ['refusal', 'filter'],
      ['pause_turn', 'error'],
    ] as const) {
      server.script(anthropicScript.ok('Partial', wire));
      expect((await model.doGenerate({ parts: [{ type: 'text', text: 'x' }] })).finishReason, wire).toBe(expected);
    }
  });

  it('refuses audio instead of dropping it', async () => {
    const model = await createModel(anthropicScript.config(server.url), { env });
    expect(model.capabilities.audio).toBe(false);
    await expect(model.doGenerate({ parts: [{ type: 'audio', data: mp3, mimeType: 'audio/wav' }] })).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('gemini wire format', () => {
  it('text, with the key in x-goog-api-key and never in the URL', async () => {
    const body = await sent(geminiScript, { parts: [{ type: 'text', text: 'Explain how AI works' }] });
    expect(body).toEqual({ contents: [{ parts: [{ text: 'Explain how AI works' }] }] });
    expect(server.requests[0]?.headers['x-goog-api-key']).toBe('k');
    expect(server.requests[0]?.url).not.toContain('key=');
  });

  it('system_instruction and generationConfig', async () => {
    const body = await sent(geminiScript, {
      system: 'You are a cat. Your name is Neko.',
      parts: [{ type: 'text', text: 'Hello there' }],
      temperature: 1.0,
      maxOutputTokens: 800,
    });
    expect(body).toEqual({
      system_instruction: { parts: [{ text: 'You are a cat. Your name is Neko.' }] },
      contents: [{ parts: [{ text: 'Hello there' }] }],
      generationConfig: { temperature: 1.0, maxOutputTokens: 800 },
    });
  });

  it('image and audio as inline_data', async () => {
    const body = await sent(geminiScript, {
      parts: [
        { type: 'image', data: jpeg, mimeType: 'image/jpeg' },
        { type: 'text', text: 'Caption this image.' },
        { type: 'audio', data: mp3, mimeType: 'audio/mp3' },
      ],
    });
    expect(body).toEqual({
      contents: [
        {
          parts: [
            { inline_data: { mime_type: 'image/jpeg', data: b64(jpeg) } },
            { text: 'Caption this image.' },
            { inline_data: { mime_type: 'audio/mp3', data: b64(mp3) } },
          ],
        },
      ],
    });
  });

  it('video inline as video/mp4 (videoTransport video_url); frames carry their timestamps', async () => {
    const video = join(dir, 'clip.mp4');
    const bytes = new Uint8Array([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70]);
    await writeFile(video, bytes);
    const inline = await sent(
      geminiScript,
      {
        parts: [
          { type: 'video', path: video, mimeType: 'video/mp4' },
          { type: 'text', text: 'Summarize this video.' },
        ],
      },
      { videoTransport: 'video_url' },
    );
    expect(inline).toEqual({ contents: [{ parts: [{ inline_data: { mime_type: 'video/mp4', data: b64(bytes) } }, { text: 'Summarize this video.' }] }] });
    server.requests.length = 0;
    const frames = await sent(geminiScript, {
      parts: [
        { type: 'image', data: jpeg, mimeType: 'image/jpeg', timestampS: 1.25 },
        { type: 'text', text: 'Q?' },
      ],
    });
    expect(frames).toEqual({
      contents: [
        {
          parts: [
            { text: 'The following 1 frames were sampled from the video at 1.25s.' },
            { inline_data: { mime_type: 'image/jpeg', data: b64(jpeg) } },
            { text: 'Q?' },
          ],
        },
      ],
    });
  });

  it('a blocked prompt is a failed call, not an empty answer', async () => {
    server.script({ kind: 'json', status: 200, body: { promptFeedback: { blockReason: 'SAFETY' } } });
    const model = await createModel(geminiScript.config(server.url), { env });
    await expect(model.doGenerate({ parts: [{ type: 'text', text: 'x' }] })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('SAFETY'),
    });
  });

  it('a safety stop after some text keeps the partial answer as finishReason filter; with no text it fails', async () => {
    const model = await createModel(geminiScript.config(server.url), { env });
    server.script({ kind: 'json', status: 200, body: { candidates: [{ content: { parts: [{ text: 'The sign says' }] }, finishReason: 'SAFETY' }] } });
    const partial = await model.doGenerate({ parts: [{ type: 'text', text: 'x' }] });
    expect(partial.text).toBe('The sign says');
    expect(partial.finishReason).toBe('filter');
    expect(partial.warnings).toEqual([]);
    for (const [reason, expected] of [
      ['RECITATION', 'filter'],
      ['PROHIBITED_CONTENT', 'filter'],
      ['OTHER', 'error'],
      ['MALFORMED_FUNCTION_CALL', 'error'],
      ['LANGUAGE', 'error'],
    ] as const) {
      server.script({ kind: 'json', status: 200, body: { candidates: [{ content: { parts: [{ text: 'Some' }] }, finishReason: reason }] } });
      expect((await model.doGenerate({ parts: [{ type: 'text', text: 'x' }] })).finishReason, reason).toBe(expected);
    }
    // A reason this adapter has never seen keeps the answer, and says so.
    server.script({ kind: 'json', status: 200, body: { candidates: [{ content: { parts: [{ text: 'Some' }] }, finishReason: 'SOMETHING_NEW' }] } });
    expect(await model.doGenerate({ parts: [{ type: 'text', text: 'x' }] })).toMatchObject({
      finishReason: 'stop',
      warnings: [expect.stringContaining('SOMETHING_NEW')],
    });
    server.script({ kind: 'json', status: 200, body: { candidates: [{ content: { parts: [] }, finishReason: 'SAFETY' }] } });
    await expect(model.doGenerate({ parts: [{ type: 'text', text: 'x' }] })).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining('SAFETY'),
    });
  });
});
