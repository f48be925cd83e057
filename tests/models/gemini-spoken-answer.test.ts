// gemini answering in speech (issue 17): `options.outputAudio.voice` asks for
// `responseModalities: ["AUDIO"]` with a prebuilt voice (Gemini's speech
// generation request), and the `inlineData` audio parts of the reply, raw
// 16-bit PCM as `audio/L16;codec=pcm;rate=24000`, become the spoken answer,
// whole and streamed. The base64 audio is not kept in the stored response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { answersInSpeech } from '../../gateway/models/answers-in-speech.js';
import { createModel } from '../../gateway/models/create-model.js';
import type { ModelStreamEvent } from '../../gateway/models/spec/model-v1.js';
import { ScriptedHttpServer, sseData } from './servers/scripted-http-server.js';

let server: ScriptedHttpServer;
beforeAll(async () => {
  server = await ScriptedHttpServer.start();
});
afterAll(async () => {
  await server.close();
});

const config = (options: Record<string, unknown>): ModelConfig => ({
  id: 'g',
  adapter: 'gemini',
  kind: 'generalist',
  baseUrl: server.url,
  model: 'gemini-2.5-flash-preview-tts',
  options,
});
const pcmA = Buffer.from([1, 0, 2, 0]);
const pcmB = Buffer.from([3, 0, 4, 0, 5, 0]);
const audioPart = (b: Buffer) => ({ inlineData: { mimeType: 'audio/L16;codec=pcm;rate=24000', data: b.toString('base64') } });
const reply = (parts: unknown[], finishReason?: string) => ({ candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}) }] });

describe('gemini spoken answers', () => {
  it('asks for audio with the voice and reads the inline PCM as 24 kHz audio/pcm', async () => {
    server.requests.length = 0;
    server.script({ kind: 'json', status: 200, body: reply([audioPart(pcmA), audioPart(pcmB)], 'STOP') });
    const model = await createModel(config({ outputAudio: { voice: 'Kore' } }), { env: {} });
    const result = await model.doGenerate({ parts: [{ type: 'text', text: 'Say hello' }] });
    expect((server.requests[0]!.body as { generationConfig: unknown }).generationConfig).toEqual({
      responseModalities: ['AUDIO'],
      speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
    });
    expect(result.finishReason).toBe('stop');
    expect(result.text).toBe('');
    expect(Buffer.from(result.audio!.data)).toEqual(Buffer.concat([pcmA, pcmB]));
    expect(result.audio).toMatchObject({ mimeType: 'audio/pcm', sampleRateHz: 24000 });
    expect(result.audio!.chunks.map((c) => c.byteOffset)).toEqual([0, 4]);
    expect(JSON.stringify(result.raw)).not.toContain(pcmB.toString('base64'));
  });

  it('streams audio deltas as they come and finishes with all of it', async () => {
    server.script({ kind: 'sse', chunks: sseData([reply([audioPart(pcmA)]), reply([audioPart(pcmB)], 'STOP')], false) });
    const model = await createModel(config({ outputAudio: { voice: 'Kore' } }), { env: {} });
    const events: ModelStreamEvent[] = [];
    for await (const ev of model.doStream!({ parts: [{ type: 'text', text: 'Say hello' }] })) events.push(ev);
    const deltas = events.filter((e): e is Extract<ModelStreamEvent, { type: 'audio-delta' }> => e.type === 'audio-delta');
    expect(deltas.map((d) => Buffer.from(d.data))).toEqual([pcmA, pcmB]);
    const finish = events.at(-1) as Extract<ModelStreamEvent, { type: 'finish' }>;
    expect(Buffer.from(finish.result.audio!.data)).toEqual(Buffer.concat([pcmA, pcmB]));
  });

  it('a model without outputAudio ignores audio parts; bad outputAudio is a config error; answersInSpeech follows the option', async () => {
    server.script({ kind: 'json', status: 200, body: reply([{ text: 'hi' }, audioPart(pcmA)], 'STOP') });
    const plain = await createModel(config({}), { env: {} });
    const r = await plain.doGenerate({ parts: [{ type: 'text', text: 'x' }] });
    expect(r.text).toBe('hi');
    expect(r.audio).toBeUndefined();
    await expect(createModel(config({ outputAudio: { voice: '' } }), { env: {} })).rejects.toThrow(/outputAudio/);
    expect(answersInSpeech(config({ outputAudio: { voice: 'Kore' } }))).toBe(true);
    expect(answersInSpeech(config({}))).toBe(false);
  });
});
