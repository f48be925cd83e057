import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { limited, readLines, slug, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

/**
 * A Common Voice split TSV (`test.tsv`, `validated.tsv`…): a header row naming
 * at least `path` and `sentence`, clips in `clips/` beside the TSV (or
 * `--media-dir`). `locale` sets the language; a non-empty `accents` (or older
 * `accent`) column adds `asr/accented`; `gender` and `age` become tags so
 * results can be broken down by speaker group.
 */
export async function importCommonVoice(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const file = resolve(path);
  const lines = await readLines(file);
  const header = lines.shift();
  if (!header) throw new ManifestError(file, 1, '(header)', 'empty file');
  const cols = header.text.split('\t').map((c) => c.trim());
  const col = (name: string): number => cols.indexOf(name);
  for (const need of ['path', 'sentence']) {
    if (col(need) < 0) throw new ManifestError(file, header.line, need, `column missing from the header (found: ${cols.join(', ')})`);
  }
  const clipsDir = opts.mediaDir ? resolve(opts.mediaDir) : join(dirname(file), 'clips');
  const samples: ImportedSample[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const { line, text } of lines) {
    const cells = text.split('\t');
    const get = (name: string): string => (col(name) >= 0 ? (cells[col(name)] ?? '').trim() : '');
    const clip = get('path');
    if (!clip) throw new ManifestError(file, line, 'path', 'empty clip path');
    const audio = join(clipsDir, clip);
    const id = basename(clip, extname(clip));
    if (!existsSync(audio)) {
      skipped.push({ id, reason: `clip ${audio} not found` });
      continue;
    }
    const accents = get('accents') || get('accent');
    const gender = get('gender');
    const age = get('age');
    const tags = ['asr/crowd-sourced'];
    if (accents) tags.push('asr/accented');
    if (gender) tags.push(`speaker/gender/${slug(gender)}`);
    if (age) tags.push(`speaker/age/${slug(age)}`);
    const lang = opts.lang ?? (get('locale') || undefined);
    samples.push({ id, task: 'asr', audio, reference: get('sentence'), ...(lang ? { lang } : {}), tags: withTags(tags, opts) });
  }
  return { samples: limited(samples, opts), sourceDir: dirname(file), skipped };
}
