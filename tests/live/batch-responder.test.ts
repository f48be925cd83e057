import { describe, expect, it } from 'vitest';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { BatchResponder, batchRequest } from '../../gateway/live/batch-responder.js';
import type { ModelRequest, ModelStreamEvent, ModelV1 } from '../../gateway/models/spec/model-v1.js';

/** A model that records its requests and answers `text`, streamed in pieces when `streaming`. */
function model(text: string, streaming: boolean): ModelV1 & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    requests,
    specificationVersion: 'v1',
    adapter: 'test',
    adapterVersion: '0',
    modelName: 'm',
    capabilities: { streaming, input: ['audio', 'text'] },
    doGenerate: async (req: ModelRequest) => {
      requests.push(req);
      return { text, finishReason: 'stop', warnings: [] };
    },
    ...(streaming
      ? {
          doStream: async function* (req: ModelRequest): AsyncIterable<ModelStreamEvent> {
            requests.push(req);
            for (const w of text.split(' ')) yield { type: 'text-delta', delta: `${w} ` };
            yield { type: 'finish', result: { text, finishReason: 'stop', warnings: [] } };
          },
        }
      : {}),
  } as unknown as ModelV1 & { requests: ModelRequest[] };
}

describe('batchRequest', () => {
  it('joins the turn audio into one WAV part at the turn rate, followed by its other parts and the system prompt', () => {
    const a = Int16Array.from([1, 2, 3]);
    const b = Int16Array.from([4, 5]);
    const req = batchRequest({ audio: [a, b], audioSamples: 5, sampleRateHz: 16000, parts: [{ type: 'text', text: 'what was said?' }], system: 'be brief' });
    expect(req.system).toBe('be brief');
    expect(req.parts.map((p) => p.type)).toEqual(['audio', 'text']);
    const audio = req.parts[0] as { data: Uint8Array; samples: Float32Array; sampleRateHz: number; durationS: number; mimeType: string };
    expect(audio.mimeType).toBe('audio/wav');
    expect(audio.sampleRateHz).toBe(16000);
    expect(audio.durationS).toBeCloseTo(5 / 16000, 12);
    const wav = parseWav(audio.data);
    expect(wav.sampleRateHz).toBe(16000);
    expect(Array.from(wav.samples, (x) => Math.round(x * 32768))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(audio.samples, (x) => Math.round(x * 32768))).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends no audio part for a turn without audio, and no system prompt when it is empty', () => {
    const req = batchRequest({ audio: [], audioSamples: 0, sampleRateHz: 24000, parts: [{ type: 'text', text: 'hi' }], system: '' });
    expect(req).toEqual({ parts: [{ type: 'text', text: 'hi' }] });
  });
});

describe('BatchResponder', () => {
  it('streams the deltas of a streaming model and answers with its final text', async () => {
    const m = model('ask not what your country', true);
    const deltas: string[] = [];
    const answer = await new BatchResponder(m).respond(
      { audio: [], audioSamples: 0, sampleRateHz: 24000, parts: [{ type: 'text', text: 'q' }] },
      new AbortController().signal,
      (d) => deltas.push(d),
    );
    expect(answer).toEqual({ text: 'ask not what your country' });
    expect(deltas.join('')).toBe('ask not what your country ');
    expect(m.requests[0]?.temperature).toBe(0);
  });

  it('gives the whole answer of a non-streaming model as one delta', async () => {
    const deltas: string[] = [];
    const answer = await new BatchResponder(model('whole', false)).respond(
      { audio: [], audioSamples: 0, sampleRateHz: 24000, parts: [] },
      new AbortController().signal,
      (d) => deltas.push(d),
    );
    expect(answer.text).toBe('whole');
    expect(deltas).toEqual(['whole']);
  });

  it('rejects when the signal aborted while the model answered', async () => {
    const ac = new AbortController();
    const m = model('late', false);
    const slow = { ...m, doGenerate: async (req: ModelRequest) => (ac.abort(new Error('cancelled by the client')), m.doGenerate(req)) } as ModelV1;
    await expect(new BatchResponder(slow).respond({ audio: [], audioSamples: 0, sampleRateHz: 24000, parts: [] }, ac.signal, () => undefined)).rejects.toThrow(
      'cancelled by the client',
    );
  });
});

describe('BatchResponder: calls that did not finish', () => {
  const turn = { audio: [], audioSamples: 0, sampleRateHz: 24000, parts: [{ type: 'text' as const, text: 'q' }] };

  /** A model whose answer ends with `finishReason`, or (streaming, `finish: false`) whose stream stops before `finish`. */
  function ending(finishReason: 'stop' | 'length' | 'filter' | 'error', streaming: boolean, finish = true): ModelV1 {
    const result = { text: 'half an answ', finishReason, warnings: [] };
    return {
      specificationVersion: 'v1',
      adapter: 'test',
      adapterVersion: '0',
      modelName: 'm',
      capabilities: { streaming, input: ['text'] },
      doGenerate: async () => result,
      ...(streaming
        ? {
            doStream: async function* (): AsyncIterable<ModelStreamEvent> {
              yield { type: 'text-delta', delta: 'half an answ' };
              if (finish) yield { type: 'finish', result };
            },
          }
        : {}),
    } as unknown as ModelV1;
  }

  for (const streaming of [false, true]) {
    it(`rejects a finish reason "error" instead of answering with its text (${streaming ? 'streamed' : 'one call'})`, async () => {
      await expect(new BatchResponder(ending('error', streaming)).respond(turn, new AbortController().signal, () => {})).rejects.toThrow(
        /finish reason "error"/,
      );
    });

    it(`marks an answer cut at the token limit or by a filter as incomplete (${streaming ? 'streamed' : 'one call'})`, async () => {
      const signal = new AbortController().signal;
      expect(await new BatchResponder(ending('length', streaming)).respond(turn, signal, () => {})).toEqual({
        text: 'half an answ',
        incomplete: 'max_output_tokens',
      });
      expect(await new BatchResponder(ending('filter', streaming)).respond(turn, signal, () => {})).toEqual({
        text: 'half an answ',
        incomplete: 'content_filter',
      });
    });
  }

  it('rejects a stream that ends without its finish event (its text is partial)', async () => {
    await expect(new BatchResponder(ending('stop', true, false)).respond(turn, new AbortController().signal, () => {})).rejects.toThrow(
      /without a finish event after 12 characters/,
    );
  });
});
