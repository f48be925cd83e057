import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { limited, slug, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

interface OcrBenchItem {
  dataset_name?: string;
  id?: string | number;
  image_path?: string;
  question?: string;
  answers?: string | string[];
  answer?: string | string[];
  type?: string;
}

/** Reads a JSON array, or JSON Lines, into objects with their 1-based positions. */
export async function readJsonItems<T>(file: string): Promise<{ item: T; line: number }[]> {
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  if (text.trimStart().startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (err) {
      throw new ManifestError(file, 1, '(file)', `not valid JSON (${(err as Error).message})`);
    }
    return (arr as T[]).map((item, i) => ({ item, line: i + 1 }));
  }
  const out: { item: T; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      out.push({ item: JSON.parse(raw) as T, line: i + 1 });
    } catch (err) {
      throw new ManifestError(file, i + 1, '(line)', `not valid JSON (${(err as Error).message})`);
    }
  });
  return out;
}

/** Recognition types (the model transcribes the text) versus question answering about it. */
function isRecognition(type: string): boolean {
  return /recognition/i.test(type);
}

/**
 * OCRBench-style JSON: a list of `{dataset_name, id, image_path, question,
 * answers, type}` (OCRBench's own `OCRBench.json`). Images resolve against
 * `--media-dir`, else the JSON's folder. Recognition types become task `ocr`,
 * the VQA and key-information types task `vqa`; `type` becomes the tag
 * `ocr/<type>` (so the OCRBench scorer can apply its handwritten-math rule)
 * and `dataset_name` the tag `ocrbench/<name>`. Entry positions are "lines"
 * in error messages (array index + 1 for a JSON array).
 */
export async function importOcrBench(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const file = resolve(path);
  const base = opts.mediaDir ? resolve(opts.mediaDir) : dirname(file);
  const items = await readJsonItems<OcrBenchItem>(file);
  const samples: ImportedSample[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const { item, line } of items) {
    if (typeof item !== 'object' || item === null) throw new ManifestError(file, line, '(entry)', 'expected an object');
    const id = item.id !== undefined ? String(item.id) : String(line);
    if (!item.image_path) throw new ManifestError(file, line, 'image_path', 'missing');
    const raw = item.answers ?? item.answer;
    const answers = (Array.isArray(raw) ? raw : raw !== undefined ? [raw] : []).map(String);
    if (answers.length === 0) throw new ManifestError(file, line, 'answers', 'missing');
    const type = item.type ?? 'Text Recognition';
    const image = isAbsolute(item.image_path) ? item.image_path : resolve(base, item.image_path);
    if (!existsSync(image)) {
      skipped.push({ id, reason: `image ${image} not found` });
      continue;
    }
    samples.push({
      id,
      task: isRecognition(type) ? 'ocr' : 'vqa',
      image,
      ...(item.question ? { question: item.question } : {}),
      reference: answers.length === 1 ? answers[0]! : answers,
      ...(opts.lang ? { lang: opts.lang } : {}),
      tags: withTags([`ocr/${slug(type)}`, ...(item.dataset_name ? [`ocrbench/${slug(item.dataset_name)}`] : [])], opts),
    });
  }
  return { samples: limited(samples, opts), sourceDir: dirname(file), skipped };
}
