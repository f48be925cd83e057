import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioBuffer, decodeAudioFile, decodeAudioStream } from '../../gateway/media/decode-audio.js';
import { isEvalgateError } from '../../gateway/errors.js';
import { probeMedia } from '../../gateway/media/probe-media.js';
import { ffmpegRun, realdataDir, tempDir } from './media-fixtures.js';

let dir: string;
let toneWav: string;
let stereoFlac: string;

beforeAll(async () => {
  dir = tempDir();
  toneWav = join(dir, 'tone-44k1.wav');
  stereoFlac = join(dir, 'stereo-48k.flac');
  // 1.5 s of 440 Hz at 44.1 kHz, and 2.25 s of stereo at 48 kHz (left 300 Hz, right silent).
  await ffmpegRun(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1.5', '-c:a', 'pcm_s16le', toneWav]);
  await ffmpegRun([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=300:sample_rate=48000:duration=2.25',
    '-f',
    'lavfi',
    '-i',
    'anullsrc=r=48000:cl=mono',
    '-filter_complex',
    '[0:a][1:a]amerge=inputs=2,atrim=duration=2.25',
    '-ac',
    '2',
    '-c:a',
    'flac',
    stereoFlac,
  ]);
});

describe('probeMedia (audio)', () => {
  it('reports rate, channels, codec and duration', async () => {
    const info = await probeMedia(stereoFlac);
    expect(info.audio).toMatchObject({ sampleRateHz: 48000, channels: 2, codec: 'flac' });
    expect(info.durationS).toBeCloseTo(2.25, 3);
    expect(info.video).toBeUndefined();
  });
});

describe('decodeAudioStream / decodeAudioFile', () => {
  it.each([8000, 16000, 22050, 44100, 48000])('resampling 44.1 kHz to %i Hz keeps the duration within one sample', async (rate) => {
    const out = await decodeAudioFile(toneWav, { sampleRateHz: rate });
    expect(out.sampleRateHz).toBe(rate);
    expect(Math.abs(out.durationS - 1.5)).toBeLessThanOrEqual(1 / rate);
  });

  it('downmixes stereo to mono and keeps the duration at 16 kHz', async () => {
    const out = await decodeAudioFile(stereoFlac);
    expect(Math.abs(out.samples.length - 2.25 * 16000)).toBeLessThanOrEqual(1);
    let peak = 0;
    for (const s of out.samples) peak = Math.max(peak, Math.abs(s));
    expect(peak).toBeGreaterThan(0.05); // the 0.125-amplitude tone survives the downmix
    expect(peak).toBeLessThanOrEqual(1);
  });

  it('streams fixed-size chunks in the requested format', async () => {
    const sizes: number[] = [];
    let kind = '';
    for await (const chunk of decodeAudioStream(toneWav, { sampleRateHz: 16000, format: 's16', chunkSamples: 4000 })) {
      sizes.push(chunk.length);
      kind = chunk.constructor.name;
    }
    expect(kind).toBe('Int16Array');
    expect(sizes.slice(0, -1).every((n) => n === 4000)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(24000);
  });

  it('stops ffmpeg when the consumer stops early', async () => {
    let seen = 0;
    for await (const chunk of decodeAudioStream(stereoFlac, { chunkSamples: 1600 })) {
      seen += chunk.length;
      if (seen >= 3200) break;
    }
    expect(seen).toBe(3200);
  });

  it('honours an AbortSignal', async () => {
    const ctrl = new AbortController();
    ctrl.abort(new Error('stop now'));
    await expect(decodeAudioFile(toneWav, { signal: ctrl.signal })).rejects.toThrow('stop now');
  });

  it.skipIf(!realdataDir)('decodes the real jfk.wav to 11.0 s at 16 kHz', async () => {
    const out = await decodeAudioFile(join(realdataDir ?? '', 'jfk.wav'));
    expect(Math.abs(out.durationS - 11.0)).toBeLessThanOrEqual(1 / 16000);
  });
});

describe('decodeAudioBuffer', () => {
  it('decodes in-memory WAV bytes through stdin', async () => {
    const bytes = new Uint8Array(readFileSync(toneWav));
    const out = await decodeAudioBuffer(bytes, { sampleRateHz: 16000 });
    expect(Math.abs(out.samples.length - 24000)).toBeLessThanOrEqual(1);
  });
  it('rejects garbage bytes with a clear decode error', async () => {
    const err: unknown = await decodeAudioBuffer(new Uint8Array(4096).fill(7), { label: 'client-audio' }).catch((e: unknown) => e);
    expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_MEDIA_DECODE_FAILED');
    expect((err as Error).message).toMatch(/client-audio/);
  });
});

describe('errors', () => {
  it('names a missing file', async () => {
    const missing = join(dir, 'nope.wav');
    await expect(decodeAudioFile(missing)).rejects.toMatchObject({ code: 'EVALGATE_ERR_MEDIA_NOT_FOUND' });
    await expect(probeMedia(missing)).rejects.toMatchObject({ code: 'EVALGATE_ERR_MEDIA_NOT_FOUND' });
  });
  it('gives a clear error for a corrupt file', async () => {
    const corrupt = join(dir, 'corrupt.wav');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WAVEjunk'), Buffer.alloc(2000, 3)]));
    const err = (await probeMedia(corrupt).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('EVALGATE_ERR_MEDIA_DECODE_FAILED');
    expect(err.message).toContain(corrupt);
    await expect(decodeAudioFile(corrupt)).rejects.toMatchObject({ code: 'EVALGATE_ERR_MEDIA_DECODE_FAILED' });
  });
  it('says so when a file has no audio stream', async () => {
    const video = join(dir, 'silent-video.mp4');
    await ffmpegRun(['-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=10:d=1', '-c:v', 'libx264', video]);
    const err = (await decodeAudioFile(video).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('EVALGATE_ERR_MEDIA_DECODE_FAILED');
    expect(err.message).toMatch(/silent-video\.mp4/);
  });
});
