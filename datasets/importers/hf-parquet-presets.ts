import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { slug } from './imported-set.js';
import { stripOptionLabel } from './import-video-mme.js';

/** A bad cell: the importer reports it with the shard, row and this column. */
export class RowError extends Error {
  constructor(
    /** The column (or manifest field) at fault. */
    readonly field: string,
    /** What is wrong. */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'RowError';
  }
}

/** Where a row sits, and what a preset may need besides the row. */
export interface HfRowContext {
  /** The split, from the shard's name (`test-00000-of-00002.parquet` → `test`). */
  readonly split: string;
  /** 0-based position of the row within its split, counted across the split's shards (what `datasets` calls the index). */
  readonly index: number;
  /** `--videos DIR`, for tables whose videos ship apart from the parquet. */
  readonly videosDir?: string;
}

/** A media value before it is stored: an embedded cell (`struct{bytes, path}`) or a file on disk. */
export type HfMediaValue = { readonly bytes?: Uint8Array | null; readonly path?: string | null } | { readonly file: string };

/**
 * A manifest sample whose `audio`, `image`, `images` and `video` hold
 * {@link HfMediaValue}s; the importer stores them and writes paths.
 */
export type HfDraftSample = Record<string, unknown> & { readonly id: string; readonly tags: readonly string[] };

/** A row the preset leaves out on purpose (e.g. its video is not on disk), with the reason. */
export interface HfSkip {
  readonly skip: string;
}

/** A known published layout: its columns and how a row becomes a sample. */
export interface HfPreset {
  /** `--preset` name. */
  readonly name: string;
  /** The Hugging Face dataset the mapping follows. */
  readonly dataset: string;
  /** Revision (commit) whose card and evaluation code the mapping was checked against. */
  readonly revision: string;
  /** Columns every shard must have (checked before any row is read). */
  readonly columns: readonly string[];
  /** True when the table names videos that `--videos DIR` holds. */
  readonly needsVideos?: boolean;
  /** One row → one sample (or a skip); throws RowError for a bad cell. */
  toSample(row: Readonly<Record<string, unknown>>, ctx: HfRowContext): HfDraftSample | HfSkip;
}

function str(row: Readonly<Record<string, unknown>>, column: string, required = true): string | undefined {
  const v = row[column];
  if (v === null || v === undefined || v === '') {
    if (required) throw new RowError(column, 'missing');
    return undefined;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new RowError(column, `expected a string, got ${typeof v}`);
}

function strings(row: Readonly<Record<string, unknown>>, column: string): string[] {
  const v = row[column];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined;
  if (!list || list.length === 0) throw new RowError(column, 'expected a non-empty list of strings');
  return list.map((x) => (typeof x === 'string' ? x : String(x)));
}

function cell(row: Readonly<Record<string, unknown>>, column: string): HfMediaValue {
  const v = row[column];
  if (!v || typeof v !== 'object') throw new RowError(column, 'missing media (expected struct{bytes, path})');
  return v as HfMediaValue;
}

const tag = (prefix: string, value: string | undefined): string[] => (value ? [`${prefix}/${slug(value)}`] : []);

/** The row's id column, or `<split>-<index>` for tables that have none (the `datasets` index within the split). */
const indexId = (ctx: HfRowContext): string => `${ctx.split}-${ctx.index}`;

/** OCRBench's recognition types are transcription (task ocr); the rest ask about the text (task vqa), as the ocrbench importer does. */
const ocrTask = (type: string): 'ocr' | 'vqa' => (/recognition/i.test(type) ? 'ocr' : 'vqa');

const ocrbench: HfPreset = {
  name: 'ocrbench',
  dataset: 'lmms-lab/OCRBench (same table as echo840/OCRBench)',
  revision: 'echo840/OCRBench 276bd0b (card); lmms-eval tasks/ocrbench',
  columns: ['dataset', 'question', 'question_type', 'answer', 'image'],
  toSample(row, ctx) {
    const type = str(row, 'question_type')!;
    const answers = strings(row, 'answer');
    return {
      id: indexId(ctx),
      task: ocrTask(type),
      image: cell(row, 'image'),
      question: str(row, 'question'),
      reference: answers.length === 1 ? answers[0] : answers,
      tags: [...tag('ocr', type), ...tag('ocrbench', str(row, 'dataset', false))],
    };
  },
};

const ocrbenchV2: HfPreset = {
  name: 'ocrbench-v2',
  dataset: 'lmms-lab/OCRBench-v2 (columns as ling99/OCRBench_v2)',
  revision: 'lmms-lab/OCRBench-v2 cc08f91; ling99/OCRBench_v2 4408d90 (card)',
  columns: ['id', 'dataset_name', 'question', 'type', 'answers', 'image', 'eval'],
  toSample(row) {
    const type = str(row, 'type')!;
    const answers = strings(row, 'answers');
    return {
      id: str(row, 'id')!,
      task: ocrTask(type),
      image: cell(row, 'image'),
      question: str(row, 'question'),
      reference: answers.length === 1 ? answers[0] : answers,
      // The type and eval mode pick OCRBench v2's per-type metric (TEDS, IoU, …); kept as tags for a scorer to key on.
      tags: [
        ...tag('ocrbench-v2/type', type),
        ...tag('ocrbench-v2/eval', str(row, 'eval', false)),
        ...tag('ocrbench-v2/dataset', str(row, 'dataset_name', false)),
      ],
      ...(/ cn$/.test(type) ? { lang: 'zh' } : / en$/.test(type) ? { lang: 'en' } : {}),
    };
  },
};

const mmau: HfPreset = {
  name: 'mmau',
  dataset: 'lmms-lab/mmau (test_mini and test splits)',
  revision: 'bd09999 (card); lmms-eval tasks/mmau utils.py',
  columns: ['id', 'audio', 'question', 'choices', 'answer', 'task', 'category', 'sub-category', 'difficulty'],
  toSample(row) {
    // `choices` is a JSON list in a string column; `answer` is the correct choice's text (lmms-eval matches it case-insensitively).
    let choices: unknown;
    try {
      choices = JSON.parse(str(row, 'choices')!);
    } catch {
      throw new RowError('choices', 'expected a JSON list of strings');
    }
    if (!Array.isArray(choices) || choices.length < 2) throw new RowError('choices', 'expected a JSON list of at least two choices');
    const texts = choices.map(String);
    const answer = str(row, 'answer')!;
    const at = texts.findIndex((c) => c.trim().toLowerCase() === answer.trim().toLowerCase());
    if (at < 0) throw new RowError('answer', `"${answer}" is none of the choices`);
    return {
      id: str(row, 'id')!,
      task: 'mmau',
      audio: cell(row, 'audio'),
      question: str(row, 'question'),
      choices: texts,
      answer: String.fromCharCode(65 + at),
      lang: 'en',
      tags: [
        ...tag('mmau/task', str(row, 'task', false)),
        ...tag('mmau/category', str(row, 'category', false)),
        ...tag('mmau/sub-category', str(row, 'sub-category', false)),
        ...tag('mmau/difficulty', str(row, 'difficulty', false)),
      ],
    };
  },
};

const voicebenchSdQa: HfPreset = {
  name: 'voicebench-sd-qa',
  dataset: 'hlt-lab/voicebench, config sd-qa (one split per accent: aus, gbr, ind_n, …)',
  revision: 'd312abe (card); lmms-lab/voicebench 84c585d is a clone',
  columns: ['audio', 'prompt', 'reference'],
  toSample(row, ctx) {
    // The question is spoken in the audio; `prompt` is its transcript, so it is not given to the model as text.
    return {
      id: indexId(ctx),
      task: 'vqa',
      audio: cell(row, 'audio'),
      reference: str(row, 'reference'),
      lang: 'en',
      tags: [`voicebench/sd-qa/${slug(ctx.split)}`],
    };
  },
};

const audiobench: HfPreset = {
  name: 'audiobench',
  dataset: 'AudioLLMs/* AudioBench sets (context audio, instruction, answer)',
  revision: 'AudioLLMs/MMAU-mini-do-not-use db5fcbf (card layout)',
  columns: ['context', 'instruction', 'answer'],
  toSample(row, ctx) {
    const attrs = row.other_attributes && typeof row.other_attributes === 'object' ? (row.other_attributes as Record<string, unknown>) : {};
    const id = typeof attrs.id === 'string' && attrs.id ? attrs.id : indexId(ctx);
    return {
      id,
      task: 'vqa',
      audio: cell(row, 'context'),
      question: str(row, 'instruction'),
      reference: str(row, 'answer'),
      tags: [`audiobench/${slug(ctx.split)}`],
    };
  },
};

const videoExts = ['.mp4', '.mkv', '.webm', '.avi', '.mov'];

const videoMme: HfPreset = {
  name: 'video-mme',
  dataset: 'lmms-lab/Video-MME, config videomme (question table; videos from its videos_chunked_*.zip)',
  revision: 'ead1408',
  columns: ['videoID', 'question_id', 'question', 'options', 'answer', 'duration', 'domain', 'sub_category', 'task_type'],
  needsVideos: true,
  toSample(row, ctx) {
    const videoId = str(row, 'videoID')!;
    const id = str(row, 'question_id')!;
    const options = strings(row, 'options');
    if (options.length < 2) throw new RowError('options', 'expected at least two options');
    const choices = options.map((o, i) => stripOptionLabel(o, String.fromCharCode(65 + i)));
    const answer = str(row, 'answer')!.trim().toUpperCase();
    if (!/^[A-Z]$/.test(answer) || answer.charCodeAt(0) - 65 >= choices.length) throw new RowError('answer', `"${answer}" is not one of the option letters`);
    const dirs = ctx.videosDir ? [ctx.videosDir, join(ctx.videosDir, 'data'), join(ctx.videosDir, 'videos')] : [];
    const file = dirs.flatMap((d) => videoExts.map((e) => join(d, `${videoId}${e}`))).find((f) => existsSync(f));
    if (!file) return { skip: `video ${videoId} not found in ${ctx.videosDir ?? '(no --videos)'}` };
    return {
      id,
      task: 'mcq',
      video: { file },
      question: str(row, 'question'),
      choices,
      answer,
      lang: 'en',
      tags: [
        ...tag('video/duration', str(row, 'duration', false)),
        ...tag('video/domain', str(row, 'domain', false)),
        ...tag('video/sub-category', str(row, 'sub_category', false)),
        ...tag('video/task', str(row, 'task_type', false)),
      ],
    };
  },
};

/** Presets by `--preset` name. */
export const hfPresets: Readonly<Record<string, HfPreset>> = Object.freeze(
  Object.fromEntries([ocrbench, ocrbenchV2, mmau, voicebenchSdQa, audiobench, videoMme].map((p) => [p.name, p])),
);
