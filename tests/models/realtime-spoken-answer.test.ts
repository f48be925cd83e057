// openai-realtime answering in speech (issue 17): the batch model gathers the
// output audio of both dialects (beta `response.audio.delta`, GA
// `response.output_audio.delta`) with arrival times, keeps the transcript
// deltas as the model's own transcript, and reports 24 kHz PCM16. Events
// are typed with the `openai` package's own realtime types.
import type * as Beta from 'openai/resources/beta/realtime/realtime';
import type * as Ga from 'openai/resources/realtime/realtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { createModel } from '../../gateway/models/create-model.js';
import { ScriptedRealtimeServer, type RealtimeScript } from './servers/scripted-realtime-server.js';

let server: ScriptedRealtimeServer;
beforeAll(async () => {
  server = await ScriptedRealtimeServer.start();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.sessions.length = 0;
});

const env = { RT_KEY: 'sk-test' };
const config = (options: Record<string, unknown>): ModelConfig => ({
  id: 'rt',
  adapter: 'openai-realtime',
  kind: 'generalist',
  baseUrl: server.url,
  model: 'gpt-4o-realtime-preview',
  apiKeyEnv: 'RT_KEY',
  options,
});
const audioPart = { type: 'audio', data: new Uint8Array(), mimeType: 'audio/pcm', samples: new Float32Array(1600), sampleRateHz: 16000 } as const;
const pieces = [Buffer.from([1, 0, 2, 0, 3, 0]), Buffer.from([4, 0]), Buffer.from([5, 0, 6, 0])];

const gaSpeech: RealtimeScript = (ev, send) => {
  if (ev.type !== 'response.create') return;
  pieces.forEach((p, i) => {
    const audio: Ga.ResponseAudioDeltaEvent = {
      type: 'response.output_audio.delta',
      event_id: `ea${i}`,
      response_id: 'resp_1',
      item_id: 'item_1',
      output_index: 0,
      content_index: 0,
      delta: p.toString('base64'),
    };
    send(audio);
  });
  for (const [i, delta] of ['goodbye', ' moon'].entries()) {
    const t: Ga.ResponseAudioTranscriptDeltaEvent = {
      type: 'response.output_audio_transcript.delta',
      event_id: `et${i}`,
      response_id: 'resp_1',
      item_id: 'item_1',
      output_index: 0,
      content_index: 0,
      delta,
    };
    send(t);
  }
  const done: Ga.ResponseDoneEvent = { type: 'response.done', event_id: 'ed', response: { id: 'resp_1', object: 'realtime.response', status: 'completed' } };
  send(done);
};

const betaSpeech: RealtimeScript = (ev, send) => {
  if (ev.type !== 'response.create') return;
  const audio: Beta.ResponseAudioDeltaEvent = {
    type: 'response.audio.delta',
    event_id: 'ea',
    response_id: 'resp_2',
    item_id: 'item_2',
    output_index: 0,
    content_index: 0,
    delta: Buffer.concat(pieces).toString('base64'),
  };
  send(audio);
  const t: Beta.ResponseAudioTranscriptDeltaEvent = {
    type: 'response.audio_transcript.delta',
    event_id: 'et',
    response_id: 'resp_2',
    item_id: 'item_2',
    output_index: 0,
    content_index: 0,
    delta: 'goodbye moon',
  };
  send(t);
  const done: Beta.ResponseDoneEvent = { type: 'response.done', event_id: 'ed', response: { id: 'resp_2', object: 'realtime.response', status: 'completed' } };
  send(done);
};

describe('openai-realtime spoken answers (outputModality "audio")', () => {
  it('GA: gathers output_audio deltas in order with arrival times; the transcript is kept as the model’s own', async () => {
    server.script = gaSpeech;
    const model = await createModel(config({ outputModality: 'audio' }), { env });
    const result = await model.doGenerate({ parts: [audioPart] });
    expect(server.sessions[0]!.received[0]).toMatchObject({ type: 'session.update', session: { output_modalities: ['audio'] } });
    expect(result.audio).toBeDefined();
    expect(Buffer.from(result.audio!.data)).toEqual(Buffer.concat(pieces));
    expect(result.audio!.mimeType).toBe('audio/pcm');
    expect(result.audio!.sampleRateHz).toBe(24000);
    expect(result.audio!.chunks.map((c) => c.byteOffset)).toEqual([0, 6, 8]);
    const times = result.audio!.chunks.map((c) => c.arrivedMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeGreaterThanOrEqual(0);
    expect(result.audio!.selfTranscript).toBe('goodbye moon');
  });

  it('beta: response.audio.delta is captured the same way', async () => {
    server.script = betaSpeech;
    const model = await createModel(config({ api: 'beta', outputModality: 'audio' }), { env });
    const result = await model.doGenerate({ parts: [audioPart] });
    expect(server.sessions[0]!.received[0]).toMatchObject({ type: 'session.update', session: { modalities: ['audio'] } });
    expect(Buffer.from(result.audio!.data)).toEqual(Buffer.concat(pieces));
    expect(result.audio!.chunks).toHaveLength(1);
    expect(result.audio!.selfTranscript).toBe('goodbye moon');
  });

  it('a text session carries no audio even when the upstream sends some', async () => {
    server.script = gaSpeech;
    const model = await createModel(config({}), { env });
    const result = await model.doGenerate({ parts: [audioPart] });
    expect(result.audio).toBeUndefined();
    expect(result.text).toBe('goodbye moon');
  });
});
