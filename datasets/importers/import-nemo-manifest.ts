import { existsSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { readJsonItems } from './import-ocrbench.js';
import { limited, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

/** One line of a NeMo ASR manifest. */
interface NemoLine {
  audio_filepath?: unknown;
  text?: unknown;
  duration?: unknown;
  offset?: unknown;
  lang?: unknown;
  utt_id?: unknown;
}

/**
 * A NeMo ASR manifest: JSON lines `{"audio_filepath", "text", "duration",
 * "offset"?, "lang"?}`. With an `offset` the utterance is the segment
 * [offset, offset + duration) of the file, as NeMo's audio loader reads it;
 * without one it is the whole file. Relative paths are resolved against the
 * manifest's folder. Ids come from `utt_id`, else the audio file's name (with
 * the offset in milliseconds for segments, and the line number where a name
 * would repeat).
 */
export async function importNemoManifest(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const file = resolve(path);
  if (!existsSync(file)) throw new ManifestError(file, 0, '(file)', 'missing: expected a NeMo manifest (JSON lines)');
  const baseDir = dirname(file);
  const samples: ImportedSample[] = [];
  const items = await readJsonItems<NemoLine>(file);
  // Ids the manifest names itself win: generated ids step aside for them.
  const named = new Set(items.flatMap(({ item }) => (typeof item.utt_id === 'string' && item.utt_id ? [item.utt_id] : [])));
  const seen = new Set<string>();
  for (const { item, line } of items) {
    const at = (field: string, why: string): ManifestError => new ManifestError(file, line, field, why);
    if (typeof item.audio_filepath !== 'string' || !item.audio_filepath) throw at('audio_filepath', 'must be a non-empty string');
    if (typeof item.text !== 'string') throw at('text', 'must be a string');
    const num = (v: unknown, field: string): number | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw at(field, 'must be a non-negative number of seconds');
      return v;
    };
    const duration = num(item.duration, 'duration');
    const offset = num(item.offset, 'offset');
    if (offset !== undefined && !duration) throw at('duration', 'a segment (offset) needs its duration');
    const audio = isAbsolute(item.audio_filepath) ? item.audio_filepath : resolve(baseDir, item.audio_filepath);
    const stem = basename(audio, extname(audio));
    const own = typeof item.utt_id === 'string' && item.utt_id ? item.utt_id : undefined;
    let id = own ?? (offset !== undefined ? `${stem}_${Math.round(offset * 1000)}` : stem);
    if (own !== undefined && seen.has(own)) throw at('utt_id', `duplicate id ${own}`);
    if (own === undefined && (seen.has(id) || named.has(id))) id = `${id}_l${line}`;
    seen.add(id);
    samples.push({
      id,
      task: 'asr',
      audio,
      reference: item.text,
      ...(typeof item.lang === 'string' ? { lang: item.lang } : opts.lang ? { lang: opts.lang } : {}),
      tags: withTags([], opts),
      // `duration` is the utterance's length; for a whole file that is the media duration.
      ...(offset !== undefined ? { start_s: offset, end_s: offset + duration! } : duration !== undefined ? { duration_s: duration } : {}),
    });
  }
  return { samples: limited(samples, opts), sourceDir: baseDir, skipped: [] };
}
