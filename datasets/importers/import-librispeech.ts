import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { limited, readLines, splitKey, walkFiles, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

const audioExts = ['.flac', '.wav'];

/**
 * LibriSpeech layout: `<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt`
 * with one `<utt-id> <TRANSCRIPT>` per line, and `<utt-id>.flac` (or `.wav`)
 * beside it. The transcript is kept as written (upper case, no punctuation);
 * the scorer's normalizer decides how to compare. A subset folder name such as
 * `test-clean` becomes the tag `librispeech/test-clean`.
 */
export async function importLibriSpeech(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const root = resolve(path);
  const transFiles = (await walkFiles(root)).filter((f) => f.endsWith('.trans.txt'));
  if (transFiles.length === 0) throw new ManifestError(root, 0, '(folder)', 'no *.trans.txt files found: is this a LibriSpeech folder?');
  const samples: ImportedSample[] = [];
  for (const file of transFiles) {
    const subset = dirname(file)
      .split(sep)
      .find((part) => /^(dev|test|train)-(clean|other)(-\d+)?$/.test(part));
    for (const { line, text } of await readLines(file)) {
      const [id, transcript] = splitKey(file, line, text);
      const audio = audioExts.map((ext) => join(dirname(file), `${id}${ext}`)).find((p) => existsSync(p));
      if (!audio) throw new ManifestError(file, line, 'audio', `no ${id}.flac or ${id}.wav next to ${basename(file)}`);
      samples.push({
        id,
        task: 'asr',
        audio,
        reference: transcript,
        lang: opts.lang ?? 'en',
        tags: withTags(['asr/read-speech', ...(subset ? [`librispeech/${subset}`] : [])], opts),
      });
    }
  }
  samples.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { samples: limited(samples, opts), sourceDir: root, skipped: [] };
}
