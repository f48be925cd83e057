import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ManifestError } from '../parse-manifest.js';
import { readJsonItems } from './import-ocrbench.js';
import { limited, slug, withTags, type ImportedSample, type ImportedSet, type ImporterOptions } from './imported-set.js';

interface VideoMmeQuestion {
  question_id?: string;
  task_type?: string;
  question?: string;
  options?: string[];
  answer?: string;
}

interface VideoMmeRow extends VideoMmeQuestion {
  video_id?: string;
  videoID?: string;
  duration?: string;
  domain?: string;
  sub_category?: string;
  questions?: VideoMmeQuestion[];
}

const videoExts = ['.mp4', '.mkv', '.webm', '.avi', '.mov'];

/** Strips the `A. ` / `(A)` / `A)` label that Video-MME writes in front of each option. */
export function stripOptionLabel(option: string, letter: string): string {
  const m = new RegExp(`^\\s*\\(?${letter}\\s*[.):：]\\s*`).exec(option);
  return m ? option.slice(m[0].length) : option.trim();
}

/**
 * Video-MME-style JSON, either the flat rows of its parquet/JSON release
 * (`video_id`, `videoID`, `duration`, `domain`, `sub_category`,
 * `question_id`, `task_type`, `question`, `options`, `answer`) or the nested
 * layout its `eval_your_results.py` reads (one entry per video with a
 * `questions` list). Videos are looked up as `<videoID>.<ext>` (then
 * `<video_id>.<ext>`) in `--media-dir`, else `videos/` or `data/` beside the
 * JSON; questions whose video is absent are skipped and counted. Duration
 * class, domain, sub-category and task type become tags.
 */
export async function importVideoMme(path: string, opts: ImporterOptions): Promise<ImportedSet> {
  const file = resolve(path);
  const dirs = opts.mediaDir ? [resolve(opts.mediaDir)] : ['videos', 'data', '.'].map((d) => join(dirname(file), d));
  const findVideo = (names: (string | undefined)[]): string | undefined => {
    for (const name of names) {
      if (!name) continue;
      for (const d of dirs) for (const ext of videoExts) if (existsSync(join(d, `${name}${ext}`))) return join(d, `${name}${ext}`);
    }
    return undefined;
  };
  const samples: ImportedSample[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const { item: row, line } of await readJsonItems<VideoMmeRow>(file)) {
    if (typeof row !== 'object' || row === null) throw new ManifestError(file, line, '(entry)', 'expected an object');
    const video = findVideo([row.videoID, row.video_id]);
    const questions = row.questions ?? [row];
    questions.forEach((q, qi) => {
      const id = q.question_id ?? `${row.video_id ?? row.videoID ?? line}-${qi + 1}`;
      const field = (f: string): string => (row.questions ? `questions[${qi}].${f}` : f);
      if (!q.question) throw new ManifestError(file, line, field('question'), 'missing');
      if (!Array.isArray(q.options) || q.options.length < 2) throw new ManifestError(file, line, field('options'), 'expected at least two options');
      const choices = q.options.map((o, i) => stripOptionLabel(String(o), String.fromCharCode(65 + i)));
      const answer = (q.answer ?? '').trim().toUpperCase();
      if (!/^[A-Z]$/.test(answer) || answer.charCodeAt(0) - 65 >= choices.length) {
        throw new ManifestError(file, line, field('answer'), `"${q.answer}" is not one of the option letters`);
      }
      if (!video) {
        skipped.push({ id, reason: `video ${row.videoID ?? row.video_id ?? '(no id)'} not found in ${dirs.join(', ')}` });
        return;
      }
      const tags = [
        ...(row.duration ? [`video/duration/${slug(row.duration)}`] : []),
        ...(row.domain ? [`video/domain/${slug(row.domain)}`] : []),
        ...(row.sub_category ? [`video/sub-category/${slug(row.sub_category)}`] : []),
        ...(q.task_type ? [`video/task/${slug(q.task_type)}`] : []),
      ];
      samples.push({ id, task: 'mcq', video, question: q.question, choices, answer, lang: opts.lang ?? 'en', tags: withTags(tags, opts) });
    });
  }
  return { samples: limited(samples, opts), sourceDir: dirname(file), skipped };
}
