import { describe, expect, it } from 'vitest';
import type { EvalgateError } from '../../gateway/errors.js';
import type { RealtimeConnection, RealtimeUpstreamEvent } from '../../gateway/models/spec/realtime-model-v1.js';
import { RealtimeResponder } from '../../gateway/live/realtime-responder.js';
import type { ResponderTurn } from '../../gateway/live/responder.js';

/** An in-memory upstream: the test plays its events; commits, cancels and audio are recorded. */
class FakeUpstream implements RealtimeConnection {
  readonly commits: string[] = [];
  readonly audio: number[] = [];
  cancels = 0;
  clears = 0;
  closed = false;
  refuseCommit = false;
  readonly #queue: (RealtimeUpstreamEvent | null)[] = [];
  #wake: (() => void) | undefined;

  appendAudio(pcm: Int16Array): void {
    this.audio.push(pcm.length);
  }
  commit(opts?: { responseEventId?: string }): void {
    if (this.refuseCommit) throw new Error('socket gone');
    this.commits.push(opts?.responseEventId ?? '');
  }
  clear(): void {
    this.clears++;
  }
  cancel(): void {
    this.cancels++;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.end();
  }
  /** Plays events (null ends the stream). */
  play(...events: (RealtimeUpstreamEvent | null)[]): void {
    this.#queue.push(...events);
    this.#wake?.();
  }
  end(): void {
    this.play(null);
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
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

function setup(opts: { upstream?: FakeUpstream | null; inputSampleRateHz?: number } = {}) {
  const up = opts.upstream === null ? undefined : (opts.upstream ?? new FakeUpstream());
  const reported: EvalgateError[] = [];
  let closed = false;
  const responder = new RealtimeResponder({
    upstream: up,
    modelId: 'rt',
    inputSampleRateHz: opts.inputSampleRateHz ?? 24000,
    isClosed: () => closed,
    reportError: (e) => reported.push(e),
  });
  const ask = (signal: AbortSignal = new AbortController().signal) => {
    const deltas: string[] = [];
    const answer = responder.respond(turn, signal, (d) => deltas.push(d));
    answer.catch(() => undefined); // inspected by the test
    return { deltas, answer };
  };
  return { up: up!, responder, reported, ask, close: () => (closed = true) };
}

describe('RealtimeResponder: commit ↔ response correlation', () => {
  it('answers each commit with the response that the upstream created next, in order', async () => {
    const { up, ask } = setup();
    const a = ask();
    const b = ask();
    expect(up.commits).toEqual(['evalgate_response_1', 'evalgate_response_2']);
    up.play(
      { type: 'response-created', responseId: 'r1' },
      { type: 'response-created', responseId: 'r2' },
      { type: 'transcript-delta', responseId: 'r2', delta: 'second' },
      { type: 'transcript-delta', responseId: 'r1', delta: 'first' },
      { type: 'response-done', responseId: 'r1', text: 'first answer' },
      { type: 'response-done', responseId: 'r2', text: 'second answer', status: 'incomplete', statusReason: 'max_output_tokens' },
    );
    await expect(a.answer).resolves.toEqual({ text: 'first answer' });
    await expect(b.answer).resolves.toEqual({ text: 'second answer', incomplete: 'max_output_tokens' });
    expect(a.deltas).toEqual(['first']);
    expect(b.deltas).toEqual(['second']);
  });

  it('drops the response of a commit given up on, cancelling it upstream, so it cannot answer the next one', async () => {
    const { up, ask } = setup();
    const ac = new AbortController();
    const a = ask(ac.signal);
    ac.abort(new Error('client cancelled'));
    await expect(a.answer).rejects.toThrow('client cancelled');
    expect(up.cancels).toBe(1);
    const b = ask();
    up.play(
      { type: 'response-created', responseId: 'r1' }, // claims the abandoned commit: cancelled, events dropped
      { type: 'transcript-delta', responseId: 'r1', delta: 'stale' },
      { type: 'response-done', responseId: 'r1', text: 'stale', status: 'cancelled' },
      { type: 'response-created', responseId: 'r2' },
      { type: 'response-done', responseId: 'r2', text: 'fresh' },
    );
    await expect(b.answer).resolves.toEqual({ text: 'fresh' });
    expect(b.deltas).toEqual([]);
    expect(up.cancels).toBe(2);
  });

  it('fails only the commit whose response.create the upstream refused (by event id)', async () => {
    const { up, ask } = setup();
    const a = ask();
    const b = ask();
    up.play(
      { type: 'error', message: 'bad request', clientEventId: 'evalgate_response_1' },
      { type: 'response-created', responseId: 'r9' },
      { type: 'response-done', responseId: 'r9', text: 'for b' },
    );
    await expect(a.answer).rejects.toMatchObject({ code: 'EVALGATE_ERR_MODEL_CALL_FAILED' });
    await expect(b.answer).resolves.toEqual({ text: 'for b' });
  });

  it('fails a response the upstream cancelled, and ignores benign codes', async () => {
    const { up, ask, reported } = setup();
    const a = ask();
    up.play(
      { type: 'error', message: 'late cancel', code: 'response_cancel_not_active' },
      { type: 'response-created', responseId: 'r1' },
      { type: 'response-done', responseId: 'r1', text: '', status: 'cancelled', statusReason: 'turn_detected' },
    );
    await expect(a.answer).rejects.toThrow(/the upstream cancelled the response \(turn_detected\)/);
    expect(reported).toEqual([]);
  });

  it('reports an upstream error tied to nothing when no utterance is in progress', async () => {
    const { up, reported } = setup();
    up.play({ type: 'error', message: 'rate limited' });
    await tick();
    expect(reported.map((e) => e.code)).toEqual(['EVALGATE_ERR_MODEL_CALL_FAILED']);
    expect(reported[0]?.message).toContain('rate limited');
  });

  it('without response ids, events belong to the utterance in progress', async () => {
    const { up, ask } = setup();
    const a = ask();
    up.play({ type: 'transcript-delta', delta: 'hel' }, { type: 'transcript-delta', delta: 'lo' }, { type: 'response-done', text: 'hello' });
    await expect(a.answer).resolves.toEqual({ text: 'hello' });
    expect(a.deltas).toEqual(['hel', 'lo']);
  });

  it('fails the utterance in progress when the upstream closes, but not once the session is closing', async () => {
    const s = setup();
    const a = s.ask();
    s.up.end();
    await expect(a.answer).rejects.toThrow(/the upstream connection closed/);

    const t = setup();
    const b = t.ask();
    t.close();
    t.up.end();
    await tick();
    let settled = false;
    void b.answer.finally(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
  });

  it('fails at once when the commit cannot be sent, or there is no upstream', async () => {
    const up = new FakeUpstream();
    up.refuseCommit = true;
    await expect(setup({ upstream: up }).ask().answer).rejects.toThrow('socket gone');
    await expect(setup({ upstream: null }).ask().answer).rejects.toThrow('no upstream connection');
  });
});

describe('RealtimeResponder: input audio', () => {
  it('forwards audio at the upstream rate as is, resamples other rates, and forwards clears', async () => {
    const { up, responder } = setup({ inputSampleRateHz: 24000 });
    responder.setInputFormat({ encoding: 'pcm16', sampleRateHz: 24000 });
    responder.appendAudio(new Int16Array(2400));
    responder.setInputFormat({ encoding: 'pcm16', sampleRateHz: 16000 });
    for (let i = 0; i < 10; i++) responder.appendAudio(new Int16Array(1600));
    responder.clearAudio();
    expect(up.audio[0]).toBe(2400);
    // 1 s at 16 kHz becomes about 1 s at 24 kHz (a streaming resampler holds back a few samples).
    const resampled = up.audio.slice(1).reduce((a, b) => a + b, 0);
    expect(resampled).toBeGreaterThan(23800);
    expect(resampled).toBeLessThanOrEqual(24000);
    expect(up.clears).toBe(1);
    await responder.close();
    expect(up.closed).toBe(true);
  });
});
