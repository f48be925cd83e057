import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFrames } from '../../gateway/media/extract-frames.js';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { defaultPromptTemplates } from '../../gateway/models/prompt-templates.js';
import { audioDecodeRateFor, buildRequest, scrubPaths, type BuildRequestOptions, type RunnerSample } from '../../gateway/runner/build-request.js';

const base: Omit<RunnerSample, 'media'> = {
  id: 'x',
  key: 'v1',
  task: 'mcq',
  reference: null,
  question: 'What moves?',
  choices: ['A square', 'A circle'],
  answer: 'A',
  lang: null,
  durationS: 2,
};

describe('buildRequest with media', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-build-'));
    const { ffmpegPath } = await resolveFfmpeg();
    // 2 s at 10 fps: frames 0..19.
    execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=64x48:rate=10', '-pix_fmt', 'yuv420p', join(dir, 'v.mp4')]);
    await writeFile(join(dir, 'a.wav'), Buffer.alloc(10));
    // 1 s of a 440 Hz tone at 44.1 kHz, as FLAC and as Ogg, and as a PCM WAV.
    for (const name of ['tone.flac', 'tone.ogg', 'tone.wav']) {
      execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1:sample_rate=44100', join(dir, name)]);
    }
  }, 60_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const opts = (over: Partial<BuildRequestOptions> = {}): BuildRequestOptions => ({
    rootDir: dir,
    promptTemplate: defaultPromptTemplates.mcq,
    temperature: 0,
    video: { mode: 'frames', strategy: 'uniform', count: 4 },
    ...over,
  });

  it('sends sampled frames (from the media layer sampler) with their timestamps, then the prompt', async () => {
    const { request } = await buildRequest({ ...base, media: [{ kind: 'video', path: 'v.mp4', sha256: '' }] }, opts());
    const images = request.parts.filter((p) => p.type === 'image');
    expect(images).toHaveLength(4);
    // The frames and timestamps are exactly those of the media layer's extractor for the same strategy.
    const direct = await extractFrames(join(dir, 'v.mp4'), { strategy: 'uniform', count: 4 });
    expect(images.map((p) => (p.type === 'image' ? p.timestampS : undefined))).toEqual(direct.frames.map((f) => f.timestampS));
    const stamps = direct.frames.map((f) => f.timestampS);
    // Strictly increasing: already sorted, and no repeats.
    expect(stamps).toEqual([...new Set(stamps)].sort((a, b) => a - b));
    expect(images.every((p) => p.type === 'image' && p.mimeType === 'image/jpeg' && p.data.length > 100)).toBe(true);
    const last = request.parts.at(-1);
    expect(last?.type === 'text' && last.text.endsWith('A. A square\nB. A circle\nThe best answer is:')).toBe(true);
    expect(request.temperature).toBe(0);
  }, 60_000);

  it('sends the whole file as a video part when the model takes video', async () => {
    const { request } = await buildRequest(
      { ...base, media: [{ kind: 'video', path: 'v.mp4', sha256: '' }] },
      opts({ video: { mode: 'video', strategy: 'uniform', count: 4 } }),
    );
    expect(request.parts[0]).toMatchObject({ type: 'video', path: join(dir, 'v.mp4'), mimeType: 'video/mp4', durationS: 2 });
  });

  it('decodes FLAC and Ogg audio (adapters can only pass WAV/MP3 bytes through) and leaves WAV as bytes', async () => {
    const asr = (path: string): RunnerSample => ({ ...base, task: 'asr', durationS: null, media: [{ kind: 'audio', path, sha256: '' }] });
    for (const [name, mimeType] of [
      ['tone.flac', 'audio/flac'],
      ['tone.ogg', 'audio/ogg'],
    ] as const) {
      const { request, audioSeconds } = await buildRequest(asr(name), opts());
      const part = request.parts[0];
      expect(part).toMatchObject({ type: 'audio', mimeType, sampleRateHz: 16_000 });
      const samples = part?.type === 'audio' ? part.samples! : new Float32Array();
      expect(Math.abs(samples.length - 16_000)).toBeLessThan(400);
      expect(Math.max(...samples.map(Math.abs))).toBeGreaterThan(0.1); // the tone, not silence
      expect(audioSeconds).toBeCloseTo(1, 1);
    }
    const wav = (await buildRequest(asr('tone.wav'), opts())).request.parts[0];
    expect(wav).toMatchObject({ type: 'audio' });
    expect(wav?.type === 'audio' && wav.samples).toBe(undefined);
  }, 60_000);

  it('decodes all audio at the rate of adapters that consume PCM (realtime 24 kHz, local ASR 16 kHz)', async () => {
    expect(audioDecodeRateFor({ adapter: 'openai-realtime', kind: 'generalist' }, 'asr')).toBe(24_000);
    expect(audioDecodeRateFor({ adapter: 'openai-realtime', kind: 'generalist' }, 'vqa')).toBe(24_000);
    for (const adapter of ['pocketsphinx', 'onnx-ctc', 'whisper-onnx']) expect(audioDecodeRateFor({ adapter, kind: 'specialist' }, 'asr')).toBe(16_000);
    expect(audioDecodeRateFor({ adapter: 'openai-chat', kind: 'generalist' }, 'asr')).toBeUndefined();
    expect(audioDecodeRateFor({ adapter: 'ppocr', kind: 'specialist' }, 'ocr')).toBeUndefined();
    const asr = (path: string): RunnerSample => ({ ...base, task: 'asr', durationS: null, media: [{ kind: 'audio', path, sha256: '' }] });
    for (const name of ['tone.ogg', 'tone.wav']) {
      const part = (await buildRequest(asr(name), opts({ decodeAudioSampleRateHz: 24_000 }))).request.parts[0];
      expect(part).toMatchObject({ type: 'audio', sampleRateHz: 24_000 });
      expect(Math.abs((part?.type === 'audio' ? part.samples!.length : 0) - 24_000)).toBeLessThan(600);
    }
  }, 60_000);

  it('sends PNG/JPEG images as they are and converts a BMP to PNG (no hosted API takes BMP)', async () => {
    const { ffmpegPath } = await resolveFfmpeg();
    execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=32x24', '-frames:v', '1', join(dir, 'page.bmp')]);
    execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=32x24', '-frames:v', '1', join(dir, 'page.jpg')]);
    const ocr = (path: string): RunnerSample => ({ ...base, task: 'ocr', media: [{ kind: 'image', path, sha256: '' }] });
    const bmp = (await buildRequest(ocr('page.bmp'), opts())).request.parts[0];
    expect(bmp).toMatchObject({ type: 'image', mimeType: 'image/png' });
    expect(
      Buffer.from(bmp?.type === 'image' ? bmp.data : [])
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect((await buildRequest(ocr('page.jpg'), opts())).request.parts[0]).toMatchObject({ type: 'image', mimeType: 'image/jpeg' });
  });

  it('reads media outside the dataset root (issue #18: media stays where it is); an absent one is MEDIA_NOT_FOUND', async () => {
    const far = `${dir}-far`;
    await mkdir(far, { recursive: true });
    try {
      const { ffmpegPath } = await resolveFfmpeg();
      execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=16x12', '-frames:v', '1', join(far, 'p.png')]);
      const bytes = await readFile(join(far, 'p.png'));
      const rel = relative(dir, join(far, 'p.png'));
      for (const path of [rel, join(far, 'p.png')]) {
        const part = (await buildRequest({ ...base, task: 'ocr', media: [{ kind: 'image', path, sha256: '' }] }, opts())).request.parts[0];
        expect(Buffer.from(part?.type === 'image' ? part.data : [])).toEqual(bytes);
      }
      await expect(buildRequest({ ...base, media: [{ kind: 'image', path: '../absent/passwd', sha256: '' }] }, opts())).rejects.toMatchObject({
        code: 'EVALGATE_ERR_MEDIA_NOT_FOUND',
      });
    } finally {
      await rm(far, { recursive: true, force: true });
    }
  });

  it('reads only the file recorded at import when there is one: a link accepted with --follow-symlinks is read, a size change is refused', async () => {
    const far = `${dir}-recorded`;
    await mkdir(far, { recursive: true });
    try {
      const { ffmpegPath } = await resolveFfmpeg();
      execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=16x12', '-frames:v', '1', join(far, 'x.png')]);
      const bytes = await readFile(join(far, 'x.png'));
      await symlink(join(far, 'x.png'), join(dir, 'linked.png'));
      const sample: RunnerSample = {
        ...base,
        task: 'ocr',
        media: [{ kind: 'image', path: 'linked.png', sha256: '' }],
        mediaFiles: [{ realPath: join(far, 'x.png'), sizeBytes: bytes.length }],
      };
      const part = (await buildRequest(sample, opts())).request.parts[0];
      expect(Buffer.from(part?.type === 'image' ? part.data : [])).toEqual(bytes);
      // Without the record the same link leads out of the root and is refused.
      await expect(buildRequest({ ...sample, mediaFiles: undefined }, opts())).rejects.toMatchObject({ code: 'EVALGATE_ERR_PATH_ESCAPE' });
      // The recorded file grows: not the file recorded at import.
      await writeFile(join(far, 'x.png'), Buffer.concat([bytes, Buffer.from([0])]));
      await expect(buildRequest(sample, opts())).rejects.toMatchObject({
        code: 'EVALGATE_ERR_MEDIA_NOT_FOUND',
        message: expect.stringContaining('linked.png') as unknown,
      });
    } finally {
      await rm(far, { recursive: true, force: true });
      await rm(join(dir, 'linked.png'), { force: true });
    }
  });

  it('names media without the server path, also when the dataset root is reached through a link', async () => {
    const linkedRoot = `${dir}-link`;
    await symlink(dir, linkedRoot);
    try {
      const msg = `Could not decode ${join(dir, 'sub', 'a.wav')}: bad header in ${dir}`;
      expect(scrubPaths(msg, linkedRoot)).toBe('Could not decode sub/a.wav: bad header in <dataset root>');
    } finally {
      await rm(linkedRoot, { force: true });
    }
  });

  it('refuses a link inside the root that leads out of it (a file swapped for a link after import never reaches a model)', async () => {
    await symlink('/etc/passwd', join(dir, 'leak.wav'));
    await symlink('/etc/hostname', join(dir, 'leak.png'));
    for (const m of [
      { kind: 'audio', path: 'leak.wav' },
      { kind: 'image', path: 'leak.png' },
    ] as const) {
      await expect(buildRequest({ ...base, media: [{ ...m, sha256: '' }] }, opts())).rejects.toMatchObject({ code: 'EVALGATE_ERR_PATH_ESCAPE' });
    }
  });
});
