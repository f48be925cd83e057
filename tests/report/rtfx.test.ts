import { describe, expect, it } from 'vitest';
import { formatRtfx, rtfx } from '../../gateway/rtfx.js';

describe('rtfx (the one definition)', () => {
  it('is total audio seconds ÷ total model-call seconds of the answered samples', () => {
    // 3 s + 5 s of audio in 0.5 s + 1.5 s of calls: 8 / 2 = 4, not the mean of the ratios (6 and 3.33).
    expect(
      rtfx([
        { status: 'ok', audioSeconds: 3, latencyRequestMs: 500 },
        { status: 'ok', audioSeconds: 5, latencyRequestMs: 1500 },
      ]),
    ).toBe(4);
  });

  it('leaves out failed samples, cache hits (no call) and samples without audio, from both sums', () => {
    const value = rtfx([
      { status: 'ok', audioSeconds: 2, latencyRequestMs: 1000 },
      { status: 'failed', audioSeconds: 10, latencyRequestMs: 100 },
      { status: 'ok', audioSeconds: 4, latencyRequestMs: null },
      { status: 'ok', audioSeconds: null, latencyRequestMs: 3000 },
      { status: 'skipped' },
    ]);
    expect(value).toBe(2);
  });

  it('is null when no answered sample has both audio and a call time', () => {
    expect(rtfx([])).toBeNull();
    expect(rtfx([{ status: 'ok', audioSeconds: null, latencyRequestMs: 10 }])).toBeNull();
    expect(rtfx([{ status: 'failed', audioSeconds: 1, latencyRequestMs: 10 }])).toBeNull();
  });

  it('prints with two decimals, or - when there is none', () => {
    expect(formatRtfx(0.5449)).toBe('0.54');
    expect(formatRtfx(150.5)).toBe('150.50');
    expect(formatRtfx(null)).toBe('-');
    expect(formatRtfx(undefined)).toBe('-');
  });
});
