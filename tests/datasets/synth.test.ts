import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { sha256File } from '../../datasets/dataset-digest.js';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { planNeedles, synthNeedleVideo } from '../../datasets/synth/needle-video.js';
import { synthSpeech, wavDataRange } from '../../datasets/synth/speech-clips.js';
import { renderTextImage } from '../../datasets/synth/text-images.js';
import { probeMedia } from '../../gateway/media/probe-media.js';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const speechTools = has('espeak-ng') && has('sox');

/** The RGB pixel at (x, y) of frame `index`, decoded exactly (select by frame number). */
function pixelAt(ffmpeg: string, video: string, index: number, x: number, y: number): number[] {
  const r = spawnSync(ffmpeg, [
    '-v',
    'error',
    '-i',
    video,
    '-vf',
    `select=eq(n\\,${index}),format=rgb24,crop=1:1:${x}:${y}`,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return [...r.stdout];
}

describe('needle video', () => {
  let ffmpeg: string;
  beforeAll(async () => {
    ffmpeg = (await resolveFfmpeg()).ffmpegPath;
  });

  it('plans one needle per slot, in order, frame-aligned', () => {
    const needles = planNeedles({ durationS: 600, needles: 6, fps: 25, needleDurationS: 1, seed: 3 });
    expect(needles).toHaveLength(6);
    needles.forEach((n, i) => {
      expect(n.endFrame - n.startFrame).toBe(25);
      expect(n.startFrame).toBeGreaterThan((i * 15000) / 6);
      expect(n.endFrame).toBeLessThan(((i + 1) * 15000) / 6);
      expect(n.startS).toBe(n.startFrame / 25);
    });
    expect(new Set(needles.map((n) => n.code)).size).toBe(6);
    expect(planNeedles({ durationS: 600, needles: 6, fps: 25, needleDurationS: 1, seed: 3 })).toEqual(needles);
    expect(() => planNeedles({ durationS: 2, needles: 5, fps: 25, needleDurationS: 1, seed: 1 })).toThrow(/do not fit/);
  });

  it('shows each needle exactly on its frames, writes valid questions, and is repeatable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-needle-'));
    const r = await synthNeedleVideo({ outDir: dir, durationS: 30, needles: 3, width: 160, height: 120, fps: 10, gop: 50, seed: 9, ffmpegPath: ffmpeg });
    const info = await probeMedia(r.videoPath);
    expect(info.video).toMatchObject({ width: 160, height: 120, fps: 10, frameCount: 300, codec: 'h264' });
    // The box fill sits at the frame centre's left edge region, outside the text.
    const x = 160 / 2 - 160 * 0.25 + 3;
    const y = 120 / 2;
    for (const n of r.needles) {
      const on = pixelAt(ffmpeg, r.videoPath, n.startFrame, x, y);
      const last = pixelAt(ffmpeg, r.videoPath, n.endFrame - 1, x, y);
      const before = pixelAt(ffmpeg, r.videoPath, n.startFrame - 1, x, y);
      const after = pixelAt(ffmpeg, r.videoPath, n.endFrame, x, y);
      const bright = (p: number[]): number => Math.max(...p);
      expect(bright(on), `needle ${n.code} first frame`).toBeGreaterThan(120);
      expect(bright(last), `needle ${n.code} last frame`).toBeGreaterThan(120);
      expect(bright(before), `frame before ${n.code}`).toBeLessThan(90);
      expect(bright(after), `frame after ${n.code}`).toBeLessThan(90);
    }
    const m = await parseManifest(r.manifestPath);
    expect(m.samples.length).toBe(3 * 2 + 2);
    for (const q of m.samples) {
      expect(q.video).toBe('needle.mp4');
      expect(q.tags).toContain('video/needle');
    }
    const codeQ = m.samples.find((s) => s.id === 'needle-2-code')!;
    expect(codeQ.choices![codeQ.answer!.charCodeAt(0) - 65]).toBe(defined(r.needles[1], 'needle #1').code);
    const order = m.samples.find((s) => s.id === 'needle-order-first')!;
    expect(order.choices![order.answer!.charCodeAt(0) - 65]).toBe(
      defined(r.needles.filter((n) => order.choices!.includes(n.code)).sort((a, b) => a.startFrame - b.startFrame)[0], 'a needle among the choices').code,
    );
    const needlesJson = JSON.parse(await readFile(r.needlesPath, 'utf8')) as { needles: unknown[] };
    expect(needlesJson.needles).toEqual(JSON.parse(JSON.stringify(r.needles)));

    const dir2 = await mkdtemp(join(tmpdir(), 'eg-needle-'));
    const r2 = await synthNeedleVideo({ outDir: dir2, durationS: 30, needles: 3, width: 160, height: 120, fps: 10, gop: 50, seed: 9, ffmpegPath: ffmpeg });
    expect(await sha256File(r2.videoPath)).toBe(await sha256File(r.videoPath));
  }, 180_000);
});

describe.skipIf(!speechTools)('speech clips (espeak-ng + sox)', () => {
  it('writes 16 kHz mono WAV, byte-identical on rerun, noise included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-speech-'));
    const spec = { text: '今天天气很好', voice: 'cmn', speedWpm: 160, pitch: 50, noiseSnrDb: 10, noiseSeed: 4 };
    const d1 = await synthSpeech(spec, join(dir, 'a.wav'));
    const d2 = await synthSpeech(spec, join(dir, 'b.wav'));
    expect(d1).toBe(d2);
    expect(d1).toBeGreaterThan(0.5);
    expect(await sha256File(join(dir, 'a.wav'))).toBe(await sha256File(join(dir, 'b.wav')));
    const info = await probeMedia(join(dir, 'a.wav'));
    expect(info.audio).toMatchObject({ sampleRateHz: 16000, channels: 1 });
    await synthSpeech({ ...spec, noiseSnrDb: undefined }, join(dir, 'clean.wav'));
    const noisy = await readFile(join(dir, 'a.wav'));
    const clean = await readFile(join(dir, 'clean.wav'));
    expect(wavDataRange(noisy).length).toBe(wavDataRange(clean).length);
    expect(noisy.equals(clean)).toBe(false);
  });
});

describe('text images', () => {
  it('renders repeatable crops with ink, in Latin and CJK fonts', async () => {
    const sharp = (await import('sharp')).default;
    for (const spec of [
      { lines: ['Invoice No. 58213'], font: 'DejaVu Serif', sizePx: 24, style: 'line' as const, seed: 1 },
      { lines: ['会议通知', '周四下午三点'], font: 'Noto Sans CJK SC', sizePx: 22, style: 'block' as const, seed: 2 },
      { lines: ['老王面馆'], font: 'Noto Sans CJK SC', sizePx: 34, style: 'scene' as const, rotateDeg: 4, seed: 3 },
    ]) {
      const a = await renderTextImage(spec);
      const b = await renderTextImage(spec);
      expect(a.data.equals(b.data)).toBe(true);
      const stats = await sharp(a.data).stats();
      // Text present: the darkest pixel is far from the brightest.
      expect(Math.max(...stats.channels.map((c) => c.max - c.min))).toBeGreaterThan(150);
      if (spec.style === 'line') expect(a.height).toBeLessThan(60);
    }
  });
});
