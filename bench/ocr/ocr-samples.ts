// The OCR benchmarks' inputs: the realdata crops plus rendered multi-line pages
// with exact ground truth, and PaddleOCR's norm_edit_dis to score them.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import type { Ppocr } from '../../experts/ocr/ppocr-pipeline.js';
import { multiLineSamples, renderTextImage } from './render-text-image.js';

/** One image and the text it shows. */
export interface Sample {
  readonly file: string;
  readonly reference: string;
}

/** PaddleOCR's norm_edit_dis for one sample: 1 − Levenshtein ÷ max length, whitespace ignored. */
export function normEditSimilarity(pred: string, ref: string): number {
  const p = pred.replace(/\s/g, '');
  const r = ref.replace(/\s/g, '');
  return 1 - distance(p, r) / Math.max(p.length, r.length, 1);
}

/** Mean norm_edit_dis of texts against the samples' references, in order. */
export const meanSimilarity = (texts: readonly string[], samples: readonly Sample[]): number => {
  // The texts come back from an engine (or the peer process): one per sample, or the figure is wrong.
  if (texts.length !== samples.length) throw new Error(`got ${texts.length} texts for ${samples.length} samples`);
  return samples.reduce((acc, s, i) => acc + normEditSimilarity(texts[i]!, s.reference), 0) / samples.length;
};

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) throw new RangeError('median of no rounds');
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Reads every sample once, one at a time or all at once; returns the wall time and the texts in sample order. */
export async function timedRound(engine: Ppocr, samples: readonly Sample[], concurrent = false): Promise<{ ms: number; texts: string[] }> {
  const started = performance.now();
  const texts: string[] = [];
  if (concurrent) {
    texts.push(...(await Promise.all(samples.map((s) => engine.recognize(s.file)))).map((r) => r.text));
  } else {
    for (const s of samples) texts.push((await engine.recognize(s.file)).text);
  }
  return { ms: performance.now() - started, texts };
}

/** The realdata crops (when `realdata` holds them) and `rendered` pages written into `dir`. */
export async function buildSamples(dir: string, realdata: string, rendered: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  if (existsSync(path.join(realdata, 'en_rec.jpg'))) {
    samples.push(
      { file: path.join(realdata, 'en_rec.jpg'), reference: 'To facilitate the shot type analysis in videos, we collect MovieShots, a large-scale' },
      { file: path.join(realdata, 'text_rec.jpg'), reference: '韩国小馆' },
    );
  } else {
    process.stderr.write(`realdata not found at ${realdata}: rendered pages only\n`);
  }
  for (const s of multiLineSamples(rendered)) {
    const file = path.join(dir, `${s.name}.png`);
    await writeFile(file, await renderTextImage(s.spec));
    samples.push({ file, reference: s.reference });
  }
  return samples;
}

/**
 * Copies samples into `dir` with a `samples.json` beside them, so that a machine
 * without the fonts (or without realdata) can run the same set.
 */
export async function saveSamples(samples: readonly Sample[], dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const list = [];
  for (const s of samples) {
    const name = path.basename(s.file);
    await copyFile(s.file, path.join(dir, name));
    list.push({ file: name, reference: s.reference });
  }
  await writeFile(path.join(dir, 'samples.json'), `${JSON.stringify(list, null, 1)}\n`);
}

/** Samples saved by {@link saveSamples}. */
export async function loadSamples(dir: string): Promise<Sample[]> {
  const list = JSON.parse(await readFile(path.join(dir, 'samples.json'), 'utf8')) as Sample[];
  return list.map((s) => ({ file: path.join(dir, s.file), reference: s.reference }));
}
