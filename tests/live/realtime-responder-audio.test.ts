// A realtime responder in a session that hears spoken replies (issue 17):
// each response's audio deltas are gathered for that response only, with
// arrival times from its commit, forwarded as they come, and returned with
// the model's own transcript; the audio of a response given up on never
// reaches the next one. Without an output rate nothing is gathered.
import { describe, expect, it } from 'vitest';
import { RealtimeResponder } from '../../gateway/live/realtime-responder.js';
import type { ResponderTurn } from '../../gateway/live/responder.js';
import type { RealtimeConnection, RealtimeUpstreamEvent } from '../../gateway/models/spec/realtime-model-v1.js';

/** An in-memory upstream whose events the test plays. */
class PlayedUpstream implements RealtimeConnection {
  cancels = 0;
  readonly #queue: (RealtimeUpstreamEvent | null)[] = [];
  #wake: (() => void) | undefined;
  appendAudio(): void {}
  commit(): void {}
  clear(): void {}
  cancel(): void {
    this.cancels++;
  }
  async close(): Promise<void> {
    this.play(null);
  }
  play(...events: (RealtimeUpstreamEvent | null)[]): void {
    this.#queue.push(...events);
    this.#wake?.();
  }
  async *events(): AsyncIterable<RealtimeUpstreamEvent> {
    for (;;) {
      const ev = this.#queue.shift();
      if (ev === null) return;
      if (ev) yield ev;
      else await new Promise<void>((r) => (this.#wake = r));
    }
  }
}

const turn: ResponderTurn = { audio: [], audioSamples: 0, sampleRateHz: 24000, parts: [] };
const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

function setup(outputSampleRateHz?: number) {
  const up = new PlayedUpstream();
  const responder = new RealtimeResponder({
    upstream: up,
    modelId: 'rt',
    inputSampleRateHz: 24000,
    isClosed: () => false,
    reportError: () => undefined,
    ...(outputSampleRateHz ? { outputSampleRateHz } : {}),
  });
  const ask = (signal: AbortSignal = new AbortController().signal) => {
    const heard: { data: number[]; rate: number }[] = [];
    const answer = responder.respond(
      turn,
      signal,
      () => undefined,
      (pcm, rate) => heard.push({ data: [...pcm], rate }),
    );
    answer.catch(() => undefined);
    return { heard, answer };
  };
  return { up, ask };
}

describe('RealtimeResponder: spoken replies', () => {
  it("gathers each response's audio with its arrival times and the model's transcript, forwarding every chunk", async () => {
    const { up, ask } = setup(24000);
    const a = ask();
    await new Promise((r) => setTimeout(r, 20));
    up.play(
      { type: 'response-created', responseId: 'r1' },
      { type: 'audio-delta', responseId: 'r1', data: bytes(1, 2) },
      { type: 'transcript-delta', responseId: 'r1', delta: 'goodbye ' },
      { type: 'audio-delta', responseId: 'r1', data: bytes(3, 4, 5, 6) },
      { type: 'transcript-delta', responseId: 'r1', delta: 'moon' },
      { type: 'response-done', responseId: 'r1', text: 'goodbye moon' },
    );
    const answer = await a.answer;
    expect(answer.text).toBe('goodbye moon');
    expect(answer.audio).toMatchObject({ mimeType: 'audio/pcm', sampleRateHz: 24000, selfTranscript: 'goodbye moon' });
    expect([...answer.audio!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(answer.audio!.chunks.map((c) => c.byteOffset)).toEqual([0, 2]);
    // Timed from the commit, which came at least 20 ms before the first chunk.
    expect(answer.audio!.chunks[0]!.arrivedMs).toBeGreaterThanOrEqual(19);
    expect(answer.audio!.chunks[1]!.arrivedMs).toBeGreaterThanOrEqual(answer.audio!.chunks[0]!.arrivedMs);
    expect(a.heard).toEqual([
      { data: [1, 2], rate: 24000 },
      { data: [3, 4, 5, 6], rate: 24000 },
    ]);
  });

  it('takes the final text as the self transcript when no transcript deltas came, and has no audio when none came', async () => {
    const { up, ask } = setup(24000);
    const a = ask();
    const b = ask();
    up.play(
      { type: 'response-created', responseId: 'r1' },
      { type: 'audio-delta', responseId: 'r1', data: bytes(7, 8) },
      { type: 'response-done', responseId: 'r1', text: 'said this' },
      { type: 'response-created', responseId: 'r2' },
      { type: 'response-done', responseId: 'r2', text: 'silent' },
    );
    expect((await a.answer).audio?.selfTranscript).toBe('said this');
    const silent = await b.answer;
    expect(silent.text).toBe('silent');
    expect(silent.audio).toBeUndefined();
  });

  it('never gives the audio of a response given up on to the next one', async () => {
    const { up, ask } = setup(24000);
    const ac = new AbortController();
    const a = ask(ac.signal);
    ac.abort(new Error('client cancelled'));
    await expect(a.answer).rejects.toThrow('client cancelled');
    const b = ask();
    up.play(
      { type: 'response-created', responseId: 'r1' },
      { type: 'audio-delta', responseId: 'r1', data: bytes(9, 9) },
      { type: 'response-done', responseId: 'r1', text: 'stale', status: 'cancelled' },
      { type: 'response-created', responseId: 'r2' },
      { type: 'audio-delta', responseId: 'r2', data: bytes(1, 1) },
      { type: 'response-done', responseId: 'r2', text: 'fresh' },
    );
    const fresh = await b.answer;
    expect([...fresh.audio!.data]).toEqual([1, 1]);
    expect(b.heard).toEqual([{ data: [1, 1], rate: 24000 }]);
    expect(a.heard).toEqual([]);
  });

  it('gathers nothing for a session that does not hear speech (no output rate)', async () => {
    const { up, ask } = setup();
    const a = ask();
    up.play(
      { type: 'response-created', responseId: 'r1' },
      { type: 'audio-delta', responseId: 'r1', data: bytes(1, 2) },
      { type: 'response-done', responseId: 'r1', text: 'text only' },
    );
    expect(await a.answer).toEqual({ text: 'text only' });
    expect(a.heard).toEqual([]);
  });
});
