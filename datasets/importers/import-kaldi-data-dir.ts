import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { writeManifestStreamed, type StreamedManifest } from './write-manifest-streamed.js';
import { limited, readLines, splitKey, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

/**
 * A Kaldi data directory: `wav.scp` (`<recording-id> <path>`), `text`
 * (`<utterance-id> <transcript>`) and, optionally, `segments`
 * (`<utterance-id> <recording-id> <start> <end> [<channel>]`, seconds; an end
 * of -1 means the end of the recording, as in Kaldi's extract-segments; only
 * channel 0 is accepted, since evalgate decodes a mono downmix).
 * Without `segments` the utterance id is the recording id. Transcript words
 * are re-joined with single spaces, since Kaldi splits them on any whitespace.
 * Piped commands (`... |`) and archive offsets (`foo.ark:1234`) in wav.scp are
 * refused: evalgate hashes files, not command output or archive members.
 * Relative paths are resolved against the folder that holds `data/` (Kaldi
 * recipes run from there), falling back to the data dir itself.
 */
export async function importKaldiDataDir(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const { dir, textFile, wavs, segments } = await readKaldiTables(path);
  const samples: ImportedSample[] = [];
  const tables = { wavs, segments };
  for (const { line, text } of await readLines(textFile)) samples.push(kaldiSample(textFile, line, text, tables, opts));
  return { samples: limited(samples, opts), sourceDir: dir, skipped: [] };
}

interface KaldiTables {
  /** Recording id → absolute audio path (wav.scp). */
  readonly wavs: ReadonlyMap<string, string>;
  /** Utterance id → its segment (segments), empty without that file. */
  readonly segments: ReadonlyMap<string, { rec: string; startS: number; endS: number | undefined }>;
}

/** wav.scp and segments as lookups (one entry per recording or segment; the transcripts are read apart, a line at a time). */
async function readKaldiTables(path: string): Promise<KaldiTables & { dir: string; textFile: string }> {
  const dir = resolve(path);
  const scpFile = join(dir, 'wav.scp');
  const textFile = join(dir, 'text');
  for (const f of [scpFile, textFile]) if (!existsSync(f)) throw new ManifestError(f, 0, '(file)', 'missing: a Kaldi data dir needs wav.scp and text');
  const recipeDir = dirname(dirname(dir));
  const wavs = new Map<string, string>();
  for (const { line, text } of await readLines(scpFile)) {
    const [rec, value] = splitKey(scpFile, line, text);
    if (value.endsWith('|')) throw new ManifestError(scpFile, line, 'path', `piped command for ${rec} is not supported; extract the audio to files first`);
    if (!value) throw new ManifestError(scpFile, line, 'path', `no path for ${rec}`);
    if (/\.ark:\d+$/.test(value)) {
      throw new ManifestError(scpFile, line, 'path', `${rec} points into an archive (${value}); extract it to a file first (e.g. with wav-copy)`);
    }
    const abs = isAbsolute(value) ? value : ([resolve(recipeDir, value), resolve(dir, value)].find((p) => existsSync(p)) ?? resolve(recipeDir, value));
    wavs.set(rec, abs);
  }
  const segments = new Map<string, { rec: string; startS: number; endS: number | undefined }>();
  const segFile = join(dir, 'segments');
  if (existsSync(segFile)) {
    for (const { line, text } of await readLines(segFile)) {
      const parts = text.trim().split(/\s+/);
      if (parts.length !== 4 && parts.length !== 5) {
        throw new ManifestError(segFile, line, '(line)', 'expected "<utt-id> <recording-id> <start> <end> [<channel>]"');
      }
      const [utt, rec, start, end, channel] = parts as [string, string, string, string, string | undefined];
      if (channel !== undefined && channel !== '0') {
        // extract-segments would take that channel of a multi-channel recording; evalgate decodes a mono downmix.
        throw new ManifestError(segFile, line, 'channel', `channel ${channel} is not supported: split the recording into one file per channel first`);
      }
      const startS = Number(start);
      const endS = Number(end) === -1 ? undefined : Number(end);
      if (!Number.isFinite(startS) || startS < 0 || (endS !== undefined && (!Number.isFinite(endS) || endS <= startS))) {
        throw new ManifestError(segFile, line, 'start_s', `bad segment times ${start} ${end}`);
      }
      if (!wavs.has(rec)) throw new ManifestError(segFile, line, 'recording', `recording ${rec} is not in wav.scp`);
      segments.set(utt, { rec, startS, endS });
    }
  }
  return { dir, textFile, wavs, segments };
}

/** One `text` line as an asr sample. */
function kaldiSample(textFile: string, line: number, text: string, { wavs, segments }: KaldiTables, opts: ImporterOptions): ImportedSample {
  const [utt, transcript] = splitKey(textFile, line, text);
  const seg = segments.get(utt);
  const audio = seg ? wavs.get(seg.rec) : wavs.get(utt);
  if (!audio) {
    throw new ManifestError(
      textFile,
      line,
      'audio',
      segments.size > 0 ? `utterance ${utt} has no entry in segments` : `utterance ${utt} has no entry in wav.scp`,
    );
  }
  return {
    id: utt,
    task: 'asr',
    audio,
    reference: transcript.split(/\s+/).filter(Boolean).join(' '),
    ...(opts.lang ? { lang: opts.lang } : {}),
    tags: withTags([], opts),
    ...(seg ? { start_s: seg.startS, ...(seg.endS !== undefined ? { end_s: seg.endS } : {}) } : {}),
  };
}

/**
 * {@link importKaldiDataDir} and writeImportedManifest (in place) in one
 * streamed pass over `text`: wav.scp and segments are held as lookups (one
 * entry per recording or segment), the transcripts are read a batch at a time
 * and each manifest line written as it is made. Every bad line is reported at
 * once. The manifest is byte for byte what the in-memory pair writes.
 */
export async function writeKaldiManifest(path: string, opts: ImporterOptions, out: { readonly fileName?: string } = {}): Promise<StreamedManifest> {
  const { dir, textFile, wavs, segments } = await readKaldiTables(path);
  const tables = { wavs, segments };
  return writeManifestStreamed(textFile, dir, out.fileName, opts.limit, (line, text) => kaldiSample(textFile, line, text.replace(/^\uFEFF/, ''), tables, opts));
}
