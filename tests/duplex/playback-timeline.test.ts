import { describe, expect, it } from 'vitest';
import { PlaybackTimeline } from '../../gateway/duplex/playback-timeline.js';

// The model's channel as a client plays it (gateway/duplex/playback-timeline.ts), at 10 Hz for readable numbers.
const pcm = (n: number, v: number): Int16Array => new Int16Array(n).fill(v);

describe('PlaybackTimeline', () => {
  it('plays chunks in order: each from its arrival or the end of the audio queued before it', () => {
    const t = new PlaybackTimeline(10);
    t.add(1, pcm(10, 1)); // 1.0–2.0
    t.add(1.2, pcm(5, 2)); // queued: 2.0–2.5
    t.add(4, pcm(5, 3)); // arrives after a silence: 4.0–4.5
    expect(t.endS).toBe(4.5);
    expect(t.firstAudioS).toBe(1);
    expect(t.audioS).toBe(2);
    expect(t.segments).toEqual([
      [1, 1],
      [2, 0.5],
      [4, 0.5],
    ]);
    expect(Array.from(t.render(5))).toEqual([
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...Array(10).fill(1),
      ...Array(5).fill(2),
      ...Array(15).fill(0),
      ...Array(5).fill(3),
      ...Array(5).fill(0),
    ]);
  });

  it('stops at an interruption: queued audio after it is dropped, audio arriving later plays again', () => {
    const t = new PlaybackTimeline(10);
    t.add(0, pcm(30, 1)); // would play 0–3
    t.interrupt(1.5);
    expect(t.endS).toBe(1.5);
    expect(t.audioS).toBe(1.5);
    t.add(1.6, pcm(5, 2)); // a model talking on is heard again from its arrival
    expect(Array.from(t.render(0))).toEqual([...Array(15).fill(1), 0, ...Array(5).fill(2)]);
    // An interruption after everything played changes nothing.
    t.interrupt(10);
    expect(t.endS).toBeCloseTo(2.1, 9);
  });

  it('renders at least the length asked, silence where nothing plays', () => {
    const t = new PlaybackTimeline(10);
    expect(t.firstAudioS).toBeNull();
    expect(t.render(1.2).length).toBe(12);
    expect(() => new PlaybackTimeline(0)).toThrow(RangeError);
  });
});
