import { describe, expect, it } from 'vitest';
import type { VadEvent } from '../../experts/vad/silero-vad-segmenter.js';
import type { TurnDetection } from '../../gateway/live/live-event.js';
import { TurnDetector, type DetectedTurn, type TurnDetectorOptions, type TurnVad } from '../../gateway/live/turn-detector.js';
import { defined } from '../helpers/defined.js';

const vadOn: TurnDetection = {
  type: 'server_vad',
  threshold: 0.5,
  silenceDurationMs: 500,
  prefixPaddingMs: 300,
  createResponse: true,
  interruptResponse: false,
};
const rate16k = { encoding: 'pcm16', sampleRateHz: 16000 } as const;

/** Samples whose values are their stream positions (mod 2^15), so a cut can be checked sample by sample. */
function ramp(from: number, n: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => (from + i) % 32768);
}

const ev = (type: VadEvent['type'], sampleIndex: number): VadEvent => ({ type, sampleIndex, timeS: sampleIndex / 16000 });

/** A VAD that answers each push with the next scripted list of events (positions count from its last reset). */
class ScriptedVad implements TurnVad {
  readonly pushed: number[] = [];
  resets = 0;
  constructor(
    readonly script: VadEvent[][] = [],
    readonly gate?: Promise<void>,
  ) {}
  async push(samples: Float32Array): Promise<VadEvent[]> {
    this.pushed.push(samples.length);
    await this.gate;
    return this.script.shift() ?? [];
  }
  reset(): void {
    this.resets++;
  }
}

/** A detector whose hooks record what they hear. */
function detector(vad: TurnVad | undefined, over: Partial<TurnDetectorOptions> = {}) {
  const log: string[] = [];
  const turns: DetectedTurn[] = [];
  const errors: unknown[] = [];
  const backpressure: boolean[] = [];
  const d = new TurnDetector({
    maxBufferedAudioS: 2,
    maxVadQueue: 32,
    createVad: async () => vad!,
    onBackpressure: (p) => backpressure.push(p),
    onSpeechStarted: (itemId, ms) => log.push(`started ${itemId} ${ms}`),
    onSpeechStopped: (itemId, ms) => log.push(`stopped ${itemId} ${ms}`),
    onTurnEnded: (t) => turns.push(t),
    onError: (e) => errors.push(e),
    ...over,
  });
  const feed = (pcm: Int16Array): void => {
    d.append(pcm);
    d.detect(pcm);
  };
  return { d, log, turns, errors, backpressure, feed };
}

describe('TurnDetector without VAD (explicit commits)', () => {
  it('commits everything buffered as one turn at its stream offsets, then starts empty', async () => {
    const { d, feed } = detector(undefined);
    await d.configure({ format: rate16k });
    feed(ramp(0, 8000));
    feed(ramp(8000, 8000));
    const first = d.commit();
    expect(first.audio).toEqual(ramp(0, 16000));
    expect([first.startS, first.endS]).toEqual([0, 1]);
    expect(first.itemId).toMatch(/^item_[0-9a-f]{20}$/);
    expect(d.bufferedSamples).toBe(0);
    feed(ramp(16000, 4000));
    const second = d.commit();
    expect([second.startS, second.endS]).toEqual([1, 1.25]);
    expect(second.itemId).not.toBe(first.itemId);
  });

  it('refuses a commit with nothing buffered', () => {
    const { d } = detector(undefined);
    expect(() => d.commit()).toThrow(expect.objectContaining({ code: 'EVALGATE_ERR_WS_OUT_OF_ORDER' }));
  });

  it('refuses a chunk that would pass the buffer bound, whole, and keeps what was there', async () => {
    const { d, feed } = detector(undefined);
    await d.configure({ format: rate16k });
    feed(ramp(0, 30000)); // bound: 2 s = 32000 samples
    expect(() => d.append(ramp(30000, 2001))).toThrow(expect.objectContaining({ code: 'EVALGATE_ERR_BUFFER_FULL' }));
    expect(d.bufferedSamples).toBe(30000);
    d.append(ramp(30000, 2000));
    expect(d.bufferedSamples).toBe(32000);
  });

  it('changes the rate only while the buffer is empty', async () => {
    const { d, feed } = detector(undefined);
    await d.configure({ format: rate16k });
    feed(ramp(0, 160));
    await expect(d.configure({ format: { encoding: 'pcm16', sampleRateHz: 24000 } })).rejects.toMatchObject({ code: 'EVALGATE_ERR_WS_OUT_OF_ORDER' });
    expect(d.format.sampleRateHz).toBe(16000);
    d.clear();
    await d.configure({ format: { encoding: 'pcm16', sampleRateHz: 24000 } });
    expect(d.format.sampleRateHz).toBe(24000);
  });
});

describe('TurnDetector with VAD', () => {
  it('cuts the turn exactly at the VAD boundaries and names started, stopped and the turn with one item id', async () => {
    // Chunk 1 (0–3200): speech starts at 1000; chunk 2 (3200–6400): it ends at 4800 (the VAD was reset at stream position 0).
    const vad = new ScriptedVad([[ev('speech_start', 1000)], [ev('speech_end', 4800)]]);
    const { d, log, turns, feed } = detector(vad);
    await d.configure({ format: rate16k, turnDetection: vadOn });
    feed(ramp(0, 3200));
    feed(ramp(3200, 3200));
    await d.settled();
    expect(turns).toHaveLength(1);
    const t = defined(turns[0], 'the first turn');
    expect(t.audio).toEqual(ramp(1000, 3800));
    expect([t.startS, t.endS]).toEqual([1000 / 16000, 4800 / 16000]);
    expect(log).toEqual([`started ${t.itemId} 63`, `stopped ${t.itemId} 300`]);
    expect(vad.pushed).toEqual([3200, 3200]);
  });

  it('counts VAD positions from the stream position of its last reset (after a commit)', async () => {
    const vad = new ScriptedVad([[], [ev('speech_start', 100), ev('speech_end', 900)]]);
    const { d, turns, feed } = detector(vad);
    await d.configure({ format: rate16k, turnDetection: vadOn });
    feed(ramp(0, 1600));
    await d.settled();
    d.commit(); // resets the VAD at stream position 1600
    expect(vad.resets).toBe(1);
    feed(ramp(1600, 1600));
    await d.settled();
    expect(turns).toHaveLength(1);
    expect(turns[0]?.audio).toEqual(ramp(1700, 800));
    expect(turns[0]?.startS).toBeCloseTo(1700 / 16000, 12);
  });

  it('ignores a speech end that leaves no audio, and results of a VAD that was replaced', async () => {
    const stale = new ScriptedVad([[ev('speech_start', 0), ev('speech_end', 800)]]);
    let vad: TurnVad = stale;
    const { d, log, turns, feed } = detector(undefined, { createVad: async () => vad });
    await d.configure({ format: rate16k, turnDetection: vadOn });
    feed(ramp(0, 1600));
    vad = new ScriptedVad([[ev('speech_end', 0)]]);
    await d.configure({ turnDetection: vadOn }); // the first VAD's events arrive after it was replaced
    await d.settled();
    expect(log).toEqual([]);
    d.clear(); // the new VAD counts from 1600, where the buffer now starts: its speech_end at 0 cuts nothing
    feed(ramp(1600, 1600));
    await d.settled();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^stopped item_/);
    expect(turns).toEqual([]);
  });

  it('asks the client to pause when the VAD falls maxVadQueue chunks behind, and to resume when it catches up', async () => {
    let open!: () => void;
    const vad = new ScriptedVad([], new Promise<void>((r) => (open = r)));
    const { d, backpressure, feed } = detector(vad, { maxVadQueue: 2 });
    await d.configure({ format: rate16k, turnDetection: vadOn });
    feed(ramp(0, 160));
    expect(backpressure).toEqual([]);
    feed(ramp(160, 160));
    expect(backpressure).toEqual([true]);
    open();
    await d.settled();
    expect(backpressure).toEqual([true, false]);
  });

  it('reports a VAD failure and a throwing hook through onError, and goes on', async () => {
    const failing: TurnVad = { push: () => Promise.reject(new Error('onnx broke')), reset: () => undefined };
    const { d, errors, feed } = detector(failing);
    await d.configure({ format: rate16k, turnDetection: vadOn });
    feed(ramp(0, 160));
    await d.settled();
    expect(errors).toEqual([new Error('onnx broke')]);

    const vad = new ScriptedVad([[ev('speech_start', 0), ev('speech_end', 160)]]);
    const h = detector(vad, {
      onTurnEnded: () => {
        throw new Error('no response for you');
      },
    });
    await h.d.configure({ format: rate16k, turnDetection: vadOn });
    h.feed(ramp(0, 160));
    await h.d.settled();
    expect(h.errors).toEqual([new Error('no response for you')]);
  });

  it('outside speech keeps only a short lookback behind what the VAD has seen', async () => {
    const vad = new ScriptedVad();
    const { d, feed } = detector(vad, { maxBufferedAudioS: 10 });
    await d.configure({ format: rate16k, turnDetection: vadOn });
    for (let i = 0; i < 5; i++) feed(ramp(i * 16000, 16000));
    await d.settled();
    // 5 s heard, no speech: 2 s of lookback remain (the bound would otherwise fill).
    expect(d.bufferedSamples).toBe(32000);
  });
});
