/**
 * openai-chat request bodies against the documented examples, deep-equal:
 * - OpenAI API reference, "Create chat completion" (system + user text);
 * - OpenAI vision guide (text + `image_url` data URL, `max_tokens`);
 * - OpenAI audio guide (`input_audio` {data, format: "wav"}, `modalities`);
 * - vLLM multimodal client example (`audio_url`, `video_url`, `max_completion_tokens`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { createModel } from '../../gateway/models/create-model.js';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { ScriptedHttpServer } from './servers/scripted-http-server.js';
import { openAiChatScript } from './servers/provider-scripts.js';

const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
const b64 = (u: Uint8Array): string => Buffer.from(u).toString('base64');

let server: ScriptedHttpServer;
let dir: string;
beforeAll(async () => {
  server = await ScriptedHttpServer.start();
  dir = await mkdtemp(join(tmpdir(), 'evalgate-oa-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function config(model: string, options: Record<string, unknown> = {}, baseSuffix = ''): ModelConfig {
  return { id: 'm', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.url + baseSuffix, model, options };
}

async function sentBody(cfg: ModelConfig, request: Parameters<NonNullable<Awaited<ReturnType<typeof createModel>>['doGenerate']>>[0]): Promise<unknown> {
  server.requests.length = 0;
  server.script(openAiChatScript.ok('x'));
  const model = await createModel(cfg, { env: {} });
  await model.doGenerate(request);
  expect(server.requests).toHaveLength(1);
  return server.requests[0]?.body;
}

describe('openai-chat wire format', () => {
  it('system + user text, as in the API reference example (string content)', async () => {
    const body = await sentBody(config('gpt-4o'), { system: 'You are a helpful assistant.', parts: [{ type: 'text', text: 'Hello!' }] });
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello!' },
      ],
    });
  });

  it('image as a base64 data URL, as in the vision guide', async () => {
    const body = await sentBody(config('gpt-4o-mini'), {
      parts: [
        { type: 'text', text: 'What’s in this image?' },
        { type: 'image', data: jpeg, mimeType: 'image/jpeg' },
      ],
      maxOutputTokens: 300,
    });
    expect(body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What’s in this image?' },
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${b64(jpeg)}` } },
          ],
        },
      ],
      max_tokens: 300,
    });
  });

  it('uses max_completion_tokens for OpenAI reasoning models, which refuse max_tokens (others keep max_tokens)', async () => {
    for (const [model, field] of [
      ['o3-mini', 'max_completion_tokens'],
      ['gpt-5-mini', 'max_completion_tokens'],
      ['Qwen/Qwen2-VL-7B-Instruct', 'max_tokens'],
    ] as const) {
      const body = (await sentBody(config(model), { parts: [{ type: 'text', text: 'hi' }], maxOutputTokens: 50 })) as Record<string, unknown>;
      expect(body[field], model).toBe(50);
      expect(
        Object.keys(body).filter((k) => k.startsWith('max_')),
        model,
      ).toEqual([field]);
    }
    const forced = (await sentBody(config('o3-mini', { maxTokensField: 'max_tokens' }), {
      parts: [{ type: 'text', text: 'hi' }],
      maxOutputTokens: 5,
    })) as Record<string, unknown>;
    expect(forced.max_tokens).toBe(5);
  });

  it('audio as input_audio base64 WAV, as in the audio guide (extraBody adds modalities)', async () => {
    const samples = new Float32Array(160).map((_, i) => Math.sin(i / 5) * 0.5);
    const wav = encodeWav16(samples, 16000);
    const body = await sentBody(config('gpt-4o-audio-preview', { extraBody: { modalities: ['text'] } }), {
      parts: [
        { type: 'text', text: 'What is in this recording?' },
        { type: 'audio', data: wav, mimeType: 'audio/wav' },
      ],
    });
    expect(body).toEqual({
      model: 'gpt-4o-audio-preview',
      modalities: ['text'],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this recording?' },
            { type: 'input_audio', input_audio: { data: b64(wav), format: 'wav' } },
          ],
        },
      ],
    });
  });

  it('encodes decoded samples to WAV when the part is not WAV already', async () => {
    const samples = new Float32Array([0, 0.5, -0.5, 1]);
    const body = (await sentBody(config('q'), {
      parts: [{ type: 'audio', data: new Uint8Array([1, 2, 3]), mimeType: 'audio/flac', samples, sampleRateHz: 16000 }],
    })) as { messages: Array<{ content: Array<{ input_audio: { data: string } }> }> };
    expect(body.messages[0]?.content[0]?.input_audio.data).toBe(b64(encodeWav16(samples, 16000)));
  });

  it('mp3 goes as input_audio format mp3; audio_url keeps the original file (vLLM decodes it)', async () => {
    const mp3 = new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 1]);
    const ogg = new Uint8Array([0x4f, 0x67, 0x67, 0x53, 0, 2]);
    const a = (await sentBody(config('gpt-4o-audio-preview'), { parts: [{ type: 'audio', data: mp3, mimeType: 'audio/mpeg' }] })) as {
      messages: Array<{ content: unknown[] }>;
    };
    expect(a.messages[0]?.content).toEqual([{ type: 'input_audio', input_audio: { data: b64(mp3), format: 'mp3' } }]);
    const b = (await sentBody(config('q', { audioTransport: 'audio_url' }), { parts: [{ type: 'audio', data: ogg, mimeType: 'audio/ogg' }] })) as {
      messages: Array<{ content: unknown[] }>;
    };
    expect(b.messages[0]?.content).toEqual([{ type: 'audio_url', audio_url: { url: `data:audio/ogg;base64,${b64(ogg)}` } }]);
    const model = await createModel(config('q'), { env: {} });
    await expect(model.doGenerate({ parts: [{ type: 'audio', data: ogg, mimeType: 'audio/ogg' }] })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_BAD_INPUT',
      message: expect.stringContaining('audio/ogg'),
    });
  });

  it('audio_url and max_completion_tokens, as in the vLLM Qwen2-Audio example; baseUrl may end in /v1', async () => {
    const wav = encodeWav16(new Float32Array(8), 16000);
    const body = await sentBody(config('Qwen/Qwen2-Audio-7B-Instruct', { audioTransport: 'audio_url', maxTokensField: 'max_completion_tokens' }, '/v1'), {
      parts: [
        { type: 'text', text: 'What’s in this audio?' },
        { type: 'audio', data: wav, mimeType: 'audio/wav' },
      ],
      maxOutputTokens: 64,
      temperature: 0,
    });
    expect(server.requests[0]?.url).toBe('/v1/chat/completions');
    expect(body).toEqual({
      model: 'Qwen/Qwen2-Audio-7B-Instruct',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What’s in this audio?' },
            { type: 'audio_url', audio_url: { url: `data:audio/wav;base64,${b64(wav)}` } },
          ],
        },
      ],
      temperature: 0,
      max_completion_tokens: 64,
    });
  });

  it('video as sampled frames: several image_url parts, timestamps stated before them', async () => {
    const body = await sentBody(config('Qwen/Qwen2-VL-7B-Instruct'), {
      parts: [
        { type: 'image', data: jpeg, mimeType: 'image/jpeg', timestampS: 0.3 },
        { type: 'image', data: jpeg, mimeType: 'image/jpeg', timestampS: 5 },
        { type: 'text', text: 'What is the person doing?' },
      ],
    });
    const url = `data:image/jpeg;base64,${b64(jpeg)}`;
    expect(body).toEqual({
      model: 'Qwen/Qwen2-VL-7B-Instruct',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'The following 2 frames were sampled from the video at 0.3s, 5s.' },
            { type: 'image_url', image_url: { url } },
            { type: 'image_url', image_url: { url } },
            { type: 'text', text: 'What is the person doing?' },
          ],
        },
      ],
    });
  });

  it('video as video_url (vLLM), with the file inlined as a data URL', async () => {
    const video = join(dir, 'v.mp4');
    const bytes = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]);
    await writeFile(video, bytes);
    const body = await sentBody(config('Qwen/Qwen2-VL-7B-Instruct', { videoTransport: 'video_url' }), {
      parts: [
        { type: 'text', text: 'Why is this video funny?' },
        { type: 'video', path: video, mimeType: 'video/mp4' },
      ],
    });
    expect(body).toEqual({
      model: 'Qwen/Qwen2-VL-7B-Instruct',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Why is this video funny?' },
            { type: 'video_url', video_url: { url: `data:video/mp4;base64,${b64(bytes)}` } },
          ],
        },
      ],
    });
  });

  it('refuses a whole video in frames mode instead of dropping it silently', async () => {
    const model = await createModel(config('q'), { env: {} });
    await expect(model.doGenerate({ parts: [{ type: 'video', path: '/x.mp4', mimeType: 'video/mp4' }] })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_BAD_INPUT',
    });
  });

  it('sends stream: true with include_usage, and reads usage from the last chunk', async () => {
    server.requests.length = 0;
    server.script(openAiChatScript.stream(['A', 'B']));
    const model = await createModel(config('gpt-4o'), { env: {} });
    let finish: unknown;
    for await (const ev of model.doStream!({ parts: [{ type: 'text', text: 'hi' }] })) if (ev.type === 'finish') finish = ev.result;
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
    expect(finish).toMatchObject({ text: 'AB', usage: { inputTokens: 9, outputTokens: 2 } });
  });

  it('turns an error object inside the stream into a ModelCallError', async () => {
    server.script({ kind: 'sse', chunks: ['data: {"error":{"message":"model overloaded","code":503}}\n\n'] });
    const model = await createModel(config('q'), { env: {} });
    const run = async (): Promise<void> => {
      for await (const _ of model.doStream!({ parts: [{ type: 'text', text: 'hi' }] })) {
        // drain
      }
    };
    await expect(run()).rejects.toMatchObject({ statusCode: 503, retryable: true, message: expect.stringContaining('model overloaded') });
  });

  it('maps finish_reason: length, content_filter, tool_calls, a missing one, vLLM abort, and an unknown value (with a warning)', async () => {
    const model = await createModel(config('q'), { env: {} });
    const cases = [
      ['length', 'length'],
      ['content_filter', 'filter'],
      ['tool_calls', 'stop'],
      [null, 'stop'],
      ['abort', 'error'],
      ['eos_token', 'stop'],
    ] as const;
    for (const [wire, expected] of cases) {
      server.script({ kind: 'json', status: 200, body: { choices: [{ index: 0, message: { role: 'assistant', content: 'The answ' }, finish_reason: wire }] } });
      const result = await model.doGenerate({ parts: [{ type: 'text', text: 'hi' }] });
      expect(result.text).toBe('The answ');
      expect(result.finishReason, String(wire)).toBe(expected);
      expect(result.warnings).toEqual(wire === 'eos_token' ? [expect.stringContaining('"eos_token"')] : []);
    }
  });

  it('fails at creation on an invalid option type, naming it', async () => {
    await expect(createModel(config('q', { audioTransport: 'mp3' }))).rejects.toMatchObject({
      code: 'EVALGATE_ERR_CONFIG_INVALID',
      message: expect.stringContaining('options.audioTransport'),
    });
  });
});
