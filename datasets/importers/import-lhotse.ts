import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ManifestError } from '../parse-manifest.js';
import { limited, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';
import { RowProblems } from './row-problems.js';

/** One audio source of a lhotse Recording. */
interface LhotseSource {
  type?: unknown;
  channels?: unknown;
  source?: unknown;
}

/** The parts of a lhotse Recording the importer keeps (one per recording, so small). */
interface Recording {
  readonly line: number;
  readonly durationS: number;
  /** Each file source: its absolute path and the channels it holds. */
  readonly files: readonly { readonly path: string; readonly channels: readonly number[] }[];
}

/** Language names lhotse recipes write, as the codes evalgate's normalizers and reports use. */
const languageCodes: Readonly<Record<string, string>> = {
  english: 'en',
  chinese: 'zh',
  mandarin: 'zh',
  cantonese: 'yue',
  japanese: 'ja',
  korean: 'ko',
  german: 'de',
  french: 'fr',
  spanish: 'es',
  italian: 'it',
  portuguese: 'pt',
  russian: 'ru',
  arabic: 'ar',
  hindi: 'hi',
};

/** Reads JSON lines from a file that may be gzip-compressed (judged by its magic bytes, not its name). */
export async function* readJsonLines(file: string): AsyncGenerator<{ line: number; value: unknown } | { line: number; error: string }> {
  const fh = await open(file, 'r').catch(() => {
    throw new ManifestError(file, 0, '(file)', 'missing or unreadable');
  });
  const head = Buffer.alloc(2);
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const raw = createReadStream(file);
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    try {
      yield { line: n, value: JSON.parse(n === 1 ? text.replace(/^\uFEFF/, '') : text) as unknown };
    } catch (err) {
      yield { line: n, error: `not valid JSON (${(err as Error).message})` };
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/**
 * lhotse's recordings and supervisions manifests (JSONL, gzip or not), as its
 * recipes write them: a Recording `{id, sources: [{type: "file", channels,
 * source}], sampling_rate, num_samples, duration}` and a SupervisionSegment
 * `{id, recording_id, start, duration, channel, text, language, speaker}`.
 * Each supervision becomes an `asr` sample; one that covers only part of its
 * recording becomes the segment `start_s`/`end_s` of the shared file (as Kaldi
 * `segments` do). Relative source paths resolve from the recordings
 * manifest's folder. Sources of type `url`, `command`, `memory` or `shar`, and
 * recordings with `transforms`, are refused: evalgate reads plain files and
 * applies no effects. A channel is accepted when its file holds only that
 * channel (lhotse's one-file-per-channel layout): evalgate decodes a mono
 * downmix, so a channel of a multi-channel file is refused, as in the Kaldi
 * importer. Bad lines of both files are reported together.
 */
export async function importLhotse(recordingsPath: string, supervisionsPath: string, opts: ImporterOptions): Promise<ImportedSet> {
  const recFile = resolve(recordingsPath);
  const supFile = resolve(supervisionsPath);
  const base = dirname(recFile);
  const problems = new RowProblems('line');
  const recordings = new Map<string, Recording>();
  // Recordings refused above: their supervisions are not reported a second time.
  const badRecordings = new Set<string>();

  for await (const item of readJsonLines(recFile)) {
    const r = 'value' in item ? item.value : undefined;
    const bad = (field: string, detail: string): void => {
      problems.add(new ManifestError(recFile, item.line, field, detail));
      if (isObject(r) && typeof r.id === 'string') badRecordings.add(r.id);
    };
    if ('error' in item) {
      bad('(line)', item.error);
      continue;
    }
    if (!isObject(r)) {
      bad('(line)', 'expected a Recording object');
      continue;
    }
    if (typeof r.id !== 'string' || !r.id) {
      bad('id', 'must be a non-empty string');
      continue;
    }
    if (recordings.has(r.id)) {
      problems.add(new ManifestError(recFile, item.line, 'id', `duplicate recording id "${r.id}" (first on line ${recordings.get(r.id)!.line})`));
      continue;
    }
    if (typeof r.duration !== 'number' || !(r.duration > 0)) {
      bad('duration', 'must be a positive number of seconds');
      continue;
    }
    if (Array.isArray(r.transforms) && r.transforms.length > 0) {
      bad('transforms', 'recordings with transforms (speed or volume perturbation, resampling) are not supported: evalgate applies no effects');
      continue;
    }
    if (!Array.isArray(r.sources) || r.sources.length === 0) {
      bad('sources', 'expected a non-empty list of audio sources');
      continue;
    }
    const files: { path: string; channels: number[] }[] = [];
    for (const [i, s] of (r.sources as LhotseSource[]).entries()) {
      if (!isObject(s) || s.type !== 'file') {
        bad(
          `sources[${i}].type`,
          `source type ${JSON.stringify(isObject(s) ? s.type : s)} is not supported; only "file" sources (url, command, memory and shar sources are not read)`,
        );
        continue;
      }
      if (typeof s.source !== 'string' || !s.source) {
        bad(`sources[${i}].source`, 'must be a file path');
        continue;
      }
      const channels = Array.isArray(s.channels) && s.channels.every((c) => Number.isInteger(c)) ? (s.channels as number[]) : [0];
      files.push({ path: isAbsolute(s.source) ? s.source : resolve(base, s.source), channels });
    }
    if (files.length === (r.sources as unknown[]).length) recordings.set(r.id, { line: item.line, durationS: r.duration, files });
  }

  const samples: ImportedSample[] = [];
  const seen = new Map<string, number>();
  const limit = opts.limit ?? Infinity;
  for await (const item of readJsonLines(supFile)) {
    if (samples.length >= limit) break;
    const bad = (field: string, detail: string): void => problems.add(new ManifestError(supFile, item.line, field, detail));
    if ('error' in item) {
      bad('(line)', item.error);
      continue;
    }
    const s = item.value;
    if (!isObject(s)) {
      bad('(line)', 'expected a SupervisionSegment object');
      continue;
    }
    if (typeof s.id !== 'string' || !s.id) {
      bad('id', 'must be a non-empty string');
      continue;
    }
    if (seen.has(s.id)) {
      bad('id', `duplicate supervision id "${s.id}" (first on line ${seen.get(s.id)})`);
      continue;
    }
    seen.set(s.id, item.line);
    if (typeof s.text !== 'string') {
      bad('text', 'must be a string (the transcript)');
      continue;
    }
    if (typeof s.recording_id !== 'string') {
      bad('recording_id', 'must be a string');
      continue;
    }
    const rec = recordings.get(s.recording_id);
    if (!rec) {
      if (!badRecordings.has(s.recording_id)) bad('recording_id', `no recording "${s.recording_id}" in ${recFile}`);
      continue;
    }
    if (typeof s.start !== 'number' || s.start < 0 || typeof s.duration !== 'number' || !(s.duration > 0)) {
      bad(typeof s.start !== 'number' || s.start < 0 ? 'start' : 'duration', 'start must be ≥ 0 and duration > 0 (seconds)');
      continue;
    }
    const endS = round6(s.start + s.duration);
    // lhotse tolerates a few samples of rounding at the end; so does this (1 ms).
    if (endS > rec.durationS + 1e-3) {
      bad('duration', `the segment ends at ${endS} s, after the recording's ${rec.durationS} s`);
      continue;
    }
    const channel = Array.isArray(s.channel) ? s.channel : s.channel === undefined || s.channel === null ? undefined : [s.channel];
    const holdsExactly = (f: { channels: readonly number[] }): boolean =>
      channel !== undefined && channel.length === f.channels.length && channel.every((c) => f.channels.includes(c as number));
    const file = channel === undefined ? (rec.files.length === 1 ? rec.files[0] : undefined) : rec.files.find(holdsExactly);
    if (!file) {
      const wider = rec.files.find((f) => channel?.every((c) => f.channels.includes(c as number)));
      bad(
        'channel',
        channel === undefined
          ? 'the recording has one file per channel: the supervision must name its channel'
          : wider
            ? `channel ${JSON.stringify(s.channel)} of a ${wider.channels.length}-channel file: evalgate decodes a mono downmix; split the channels into files`
            : `no file of recording "${s.recording_id}" holds channel ${JSON.stringify(s.channel)}`,
      );
      continue;
    }
    const path = file.path;
    const whole = s.start === 0 && Math.abs(endS - rec.durationS) <= 1e-3;
    const lang = opts.lang ?? (typeof s.language === 'string' && s.language ? (languageCodes[s.language.toLowerCase()] ?? s.language) : undefined);
    const gender =
      typeof s.gender === 'string' && s.gender
        ? [`speaker/${s.gender.toLowerCase() === 'm' ? 'male' : s.gender.toLowerCase() === 'f' ? 'female' : s.gender.toLowerCase()}`]
        : [];
    samples.push({
      id: s.id,
      task: 'asr',
      audio: path,
      reference: s.text,
      ...(lang ? { lang } : {}),
      tags: withTags(gender, opts),
      ...(whole ? { duration_s: rec.durationS } : { start_s: round6(s.start), end_s: endS }),
    });
  }
  problems.throwIfAny();
  if (samples.length === 0) throw new ManifestError(supFile, 0, '(file)', 'no supervisions: an empty manifest is not a dataset');
  return { samples: limited(samples, opts), sourceDir: dirname(supFile), skipped: [] };
}
