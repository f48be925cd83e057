import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { limited, readLines, splitKey, walkFiles, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

/** Finds the transcript and the folder to search for audio from a file or an AISHELL root. */
function locate(path: string): { transcript: string; root: string } {
  const abs = resolve(path);
  if (statSync(abs).isFile()) {
    // data_aishell/transcript/aishell_transcript_v0.8.txt → data_aishell/
    const parent = dirname(abs);
    return { transcript: abs, root: basename(parent) === 'transcript' ? dirname(parent) : parent };
  }
  const candidates = [join(abs, 'transcript', 'aishell_transcript_v0.8.txt'), join(abs, 'aishell_transcript_v0.8.txt')];
  const transcript = candidates.find((c) => existsSync(c));
  if (!transcript) throw new ManifestError(abs, 0, '(folder)', 'no transcript/aishell_transcript_v0.8.txt: pass the transcript file itself');
  return { transcript, root: abs };
}

/**
 * AISHELL-1: a transcript file of `<utt-id> <word> <word> …` (words separated
 * by spaces) and audio at `wav/<split>/<speaker>/<utt-id>.wav` under the same
 * root. The words are joined without spaces, as WeNet's and ESPnet's AISHELL
 * recipes do, because Mandarin is scored per character. The transcript covers
 * every split, so utterances whose audio is not on disk are skipped (and
 * counted), not errors; the split folder name becomes a tag (`aishell/test`).
 */
export async function importAishell(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const { transcript, root } = locate(path);
  const audioDir = opts.mediaDir ? resolve(opts.mediaDir) : root;
  const wavs = new Map<string, string>();
  for (const f of await walkFiles(audioDir)) if (extname(f).toLowerCase() === '.wav') wavs.set(basename(f, extname(f)), f);
  const samples: ImportedSample[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const { line, text } of await readLines(transcript)) {
    const [id, words] = splitKey(transcript, line, text);
    if (!words) throw new ManifestError(transcript, line, 'reference', `empty transcript for ${id}`);
    const audio = wavs.get(id);
    if (!audio) {
      skipped.push({ id, reason: 'audio not found' });
      continue;
    }
    const split = /[/\\]wav[/\\](train|dev|test)[/\\]/.exec(audio)?.[1];
    samples.push({
      id,
      task: 'asr',
      audio,
      reference: words.split(/\s+/).join(''),
      lang: opts.lang ?? 'zh',
      tags: withTags(['asr/read-speech', ...(split ? [`aishell/${split}`] : [])], opts),
    });
  }
  return { samples: limited(samples, opts), sourceDir: root, skipped };
}
