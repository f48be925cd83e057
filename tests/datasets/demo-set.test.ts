import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifest, resolveMediaPath } from '../../datasets/parse-manifest.js';
import { mapPool, mediaRefs, prepareDataset } from '../../datasets/prepare-dataset.js';
import { probeMedia } from '../../gateway/media/probe-media.js';

const manifestPath = fileURLToPath(new URL('../../datasets/demo/manifest.jsonl', import.meta.url));

describe('bundled demo set', () => {
  it('validates, meets the promised counts, and tags every sample', async () => {
    const m = await parseManifest(manifestPath);
    const asr = m.samples.filter((s) => s.task === 'asr');
    expect(asr.filter((s) => s.lang === 'en').length).toBeGreaterThanOrEqual(20);
    expect(asr.filter((s) => s.lang === 'zh').length).toBeGreaterThanOrEqual(20);
    const images = m.samples.filter((s) => s.task === 'ocr');
    expect(images.length).toBeGreaterThanOrEqual(20);
    for (const lang of ['en', 'zh']) {
      const tags = new Set(images.filter((s) => s.lang === lang).flatMap((s) => s.tags));
      expect([...tags]).toEqual(expect.arrayContaining(['ocr/single-line', 'ocr/multi-line', 'ocr/scene-text']));
    }
    const videos = new Set(m.samples.flatMap((s) => (s.video ? [s.video] : [])));
    expect(videos.size).toBeGreaterThanOrEqual(2);
    expect(m.samples.filter((s) => s.task === 'mcq' && s.video).length).toBeGreaterThanOrEqual(10);
    for (const s of m.samples) expect(s.tags.length, s.id).toBeGreaterThan(0);
    const prepared = await prepareDataset(m);
    expect(prepared.problems).toEqual([]);
    expect(prepared.samples.reduce((n, s) => n + s.media.length, 0)).toBeGreaterThan(60);
  });

  it('decodes: audio is 16 kHz mono, videos are under 60 s, images are readable', async () => {
    const m = await parseManifest(manifestPath);
    const paths = new Map<string, 'audio' | 'image' | 'images' | 'video'>();
    for (const s of m.samples) for (const r of mediaRefs(s)) paths.set(r.path, r.kind);
    await mapPool([...paths], 4, async ([p, kind]) => {
      const info = await probeMedia(resolveMediaPath(m.root, p)!, { countFrames: false });
      if (kind === 'audio') {
        expect(info.audio, p).toMatchObject({ sampleRateHz: 16000, channels: 1, codec: 'pcm_s16le' });
        expect(info.durationS, p).toBeGreaterThan(0.5);
        expect(info.durationS, p).toBeLessThan(6);
      } else if (kind === 'video') {
        expect(info.video?.codec, p).toBe('h264');
        expect(info.durationS, p).toBeGreaterThan(5);
        expect(info.durationS, p).toBeLessThan(60);
      } else {
        expect(info.video?.width, p).toBeGreaterThan(20);
      }
    });
  }, 180_000);
});
