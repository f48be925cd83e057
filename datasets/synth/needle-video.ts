import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ManifestSample } from '../manifest-schema.js';
import { bitexactFlags, ffmpegBinary, findFontFile, runTool } from './run-tool.js';
import { SeededRandom } from './seeded-random.js';

/** Video codecs the needle generator can write. */
export type NeedleCodec = 'h264' | 'hevc' | 'vp9' | 'mpeg4';

/** Options of {@link synthNeedleVideo}. */
export interface NeedleVideoOptions {
  /** Output folder (created). */
  readonly outDir: string;
  /** Video length in seconds (default 3600). */
  readonly durationS?: number;
  /** Number of needles (default 5). */
  readonly needles?: number;
  /** Frame width in pixels (default 320). */
  readonly width?: number;
  /** Frame height in pixels (default 240). */
  readonly height?: number;
  /** Codec (default h264). */
  readonly codec?: NeedleCodec;
  /** Frames per second (default 25). */
  readonly fps?: number;
  /** Fixed keyframe interval in frames (default 250); scene-cut keyframes are off so needles never start a GOP. */
  readonly gop?: number;
  /** How long each needle stays on screen, seconds (default 1). */
  readonly needleDurationS?: number;
  /** Seed for needle times, codes and colours (default 1). */
  readonly seed?: number;
  /** ffmpeg executable (default FFMPEG_PATH or `ffmpeg`). */
  readonly ffmpegPath?: string;
  /** Font file for the codes (default: fontconfig's DejaVu Sans Bold). */
  readonly fontFile?: string;
  /** Cancels the encode. */
  readonly signal?: AbortSignal;
}

/** One needle: a code in a coloured box, shown on a known frame range. */
export interface Needle {
  /** 0-based, in time order. */
  readonly index: number;
  /** The code drawn (4 characters, no look-alike letters or digits). */
  readonly code: string;
  /** Box colour name. */
  readonly color: string;
  /** First frame showing the needle. */
  readonly startFrame: number;
  /** Frame after the last one showing it (exclusive). */
  readonly endFrame: number;
  /** `startFrame / fps`. */
  readonly startS: number;
  /** `endFrame / fps`. */
  readonly endS: number;
}

/** What {@link synthNeedleVideo} wrote. */
export interface NeedleVideoResult {
  /** The video file. */
  readonly videoPath: string;
  /** `manifest.jsonl` with the multiple-choice questions. */
  readonly manifestPath: string;
  /** `needles.json`: settings and every needle's frames and times. */
  readonly needlesPath: string;
  /** The needles in time order. */
  readonly needles: readonly Needle[];
  /** The questions, as written to the manifest. */
  readonly questions: readonly ManifestSample[];
  /** Total frames in the video. */
  readonly frameCount: number;
}

// No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a model that read the code should not lose on glyph confusion.
const codeAlphabet = 'ACDEFGHJKMNPQRTUVWXY34679';
const colors = [
  { name: 'red', hex: '0xE02020' },
  { name: 'green', hex: '0x20A040' },
  { name: 'blue', hex: '0x2060E0' },
  { name: 'yellow', hex: '0xE0C020' },
  { name: 'purple', hex: '0x9030C0' },
  { name: 'orange', hex: '0xF08020' },
] as const;

function encoderArgs(codec: NeedleCodec, gop: number): string[] {
  switch (codec) {
    case 'h264':
      return ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-x264-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0`, '-pix_fmt', 'yuv420p'];
    case 'hevc':
      return [
        '-c:v',
        'libx265',
        '-preset',
        'ultrafast',
        '-crf',
        '32',
        '-x265-params',
        `keyint=${gop}:min-keyint=${gop}:scenecut=0:log-level=error`,
        '-pix_fmt',
        'yuv420p',
        '-tag:v',
        'hvc1',
      ];
    case 'vp9':
      return [
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-b:v',
        '200k',
        '-g',
        String(gop),
        '-keyint_min',
        String(gop),
        '-pix_fmt',
        'yuv420p',
      ];
    case 'mpeg4':
      return ['-c:v', 'mpeg4', '-q:v', '6', '-g', String(gop), '-sc_threshold', '1000000000', '-pix_fmt', 'yuv420p'];
  }
}

function uniqueCodes(rng: SeededRandom, n: number, avoid: ReadonlySet<string> = new Set()): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    const code = Array.from({ length: 4 }, () => rng.pick([...codeAlphabet])).join('');
    if (!avoid.has(code)) out.add(code);
  }
  return [...out];
}

/** Places needles one per equal slot of the timeline, at a random frame inside it, away from the ends. */
export function planNeedles(opts: { durationS: number; needles: number; fps: number; needleDurationS: number; seed: number }): Needle[] {
  const rng = new SeededRandom(opts.seed);
  const totalFrames = Math.round(opts.durationS * opts.fps);
  const lenFrames = Math.max(1, Math.round(opts.needleDurationS * opts.fps));
  const slot = totalFrames / opts.needles;
  if (slot < lenFrames + 2) throw new Error(`${opts.needles} needles of ${opts.needleDurationS} s do not fit in ${opts.durationS} s`);
  const codes = uniqueCodes(rng, opts.needles);
  const palette = rng.shuffle(colors);
  return codes.map((code, i) => {
    const lo = Math.floor(i * slot) + 1;
    const hi = Math.floor((i + 1) * slot) - lenFrames - 1;
    const startFrame = hi > lo ? rng.int(lo, hi) : lo;
    const endFrame = startFrame + lenFrames;
    return {
      index: i,
      code,
      color: palette[i % palette.length]!.name,
      startFrame,
      endFrame,
      startS: startFrame / opts.fps,
      endS: endFrame / opts.fps,
    };
  });
}

function letter(i: number): string {
  return String.fromCharCode(65 + i);
}

/** Questions about the needles: one "which code appears" per needle, plus order, count and colour questions. */
export function needleQuestions(needles: readonly Needle[], video: string, durationS: number, seed: number): ManifestSample[] {
  const rng = new SeededRandom(seed ^ 0x5bd1e995);
  const shown = new Set(needles.map((n) => n.code));
  const long = durationS >= 600 ? ['video/long'] : [];
  const base = { task: 'mcq' as const, video, lang: 'en', duration_s: durationS };
  const out: ManifestSample[] = [];
  for (const n of needles) {
    const options = rng.shuffle([n.code, ...uniqueCodes(rng, 3, shown)]);
    out.push({
      ...base,
      id: `needle-${n.index + 1}-code`,
      question: 'A short code in a coloured box flashes on screen. Which of these codes is shown in the video?',
      choices: options,
      answer: letter(options.indexOf(n.code)),
      tags: ['video/needle', 'video/ocr-in-video', ...long],
    });
    const colorOptions = rng.shuffle([n.color, ...rng.shuffle(colors.map((c) => c.name).filter((c) => c !== n.color)).slice(0, 3)]);
    out.push({
      ...base,
      id: `needle-${n.index + 1}-color`,
      question: `What colour is the box around the code ${n.code}?`,
      choices: colorOptions,
      answer: letter(colorOptions.indexOf(n.color)),
      tags: ['video/needle', 'video/attribute', ...long],
    });
  }
  if (needles.length >= 2) {
    const picked = rng.shuffle(needles).slice(0, Math.min(4, needles.length));
    const first = picked.reduce((a, b) => (b.startFrame < a.startFrame ? b : a));
    const options = picked.map((n) => n.code);
    out.push({
      ...base,
      id: 'needle-order-first',
      question: 'Several codes flash on screen at different times. Which of these codes appears first?',
      choices: options,
      answer: letter(options.indexOf(first.code)),
      tags: ['video/needle', 'video/temporal-order', ...long],
    });
  }
  const k = needles.length;
  const counts = rng.shuffle([k - 1 >= 1 ? k - 1 : k + 3, k, k + 1, k + 2]);
  out.push({
    ...base,
    id: 'needle-count',
    question: 'How many different codes in coloured boxes are shown in the video?',
    choices: counts.map(String),
    answer: letter(counts.indexOf(k)),
    tags: ['video/needle', 'video/counting', ...long],
  });
  return out;
}

/**
 * Writes a long synthetic video with K needles and multiple-choice questions
 * about them. Fast by construction: a lavfi colour source, a static grid, and
 * drawbox/drawtext filters enabled only on the needle frames (by frame number,
 * so needles are frame-exact), encoded with a fixed GOP and scene-cut
 * detection off, so keyframes do not give the needles away. Output:
 * `needle.<mp4|webm>`, `manifest.jsonl`, `needles.json`.
 */
export async function synthNeedleVideo(opts: NeedleVideoOptions): Promise<NeedleVideoResult> {
  const durationS = opts.durationS ?? 3600;
  const fps = opts.fps ?? 25;
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const codec = opts.codec ?? 'h264';
  const gop = opts.gop ?? 250;
  const seed = opts.seed ?? 1;
  const needleDurationS = opts.needleDurationS ?? 1;
  const count = opts.needles ?? 5;
  if (!(durationS > 0) || !(fps > 0) || !(count >= 1) || width < 64 || height < 48 || width % 2 || height % 2) {
    throw new Error('needle video: duration, fps and needles must be positive; width/height even and at least 64x48');
  }
  const needles = planNeedles({ durationS, needles: count, fps, needleDurationS, seed });
  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const fontFile = opts.fontFile ?? (await findFontFile('DejaVu Sans:bold'));
  const font = fontFile ? `fontfile=${fontFile}` : 'font=Sans';
  const boxW = Math.round(width * 0.5);
  const boxH = Math.round(height * 0.3);
  const fontSize = Math.round(boxH * 0.6);
  // The background is drawn once and repeated from memory by `loop`: drawing
  // the grid on each of 90 000 frames would cost more than encoding them.
  const filters = [
    'trim=end_frame=1',
    `drawgrid=w=${Math.round(width / 8)}:h=${Math.round(height / 6)}:t=1:c=0x3A4A5A`,
    'format=yuv420p',
    'loop=loop=-1:size=1:start=0',
    `setpts=N/(${fps})/TB`,
  ];
  for (const n of needles) {
    const hex = colors.find((c) => c.name === n.color)!.hex;
    const on = `enable='between(n,${n.startFrame},${n.endFrame - 1})'`;
    filters.push(`drawbox=x=(iw-${boxW})/2:y=(ih-${boxH})/2:w=${boxW}:h=${boxH}:color=${hex}:t=fill:${on}`);
    filters.push(`drawtext=${font}:text=${n.code}:fontsize=${fontSize}:fontcolor=white:x=(w-tw)/2:y=(h-th)/2:${on}`);
  }
  const ext = codec === 'vp9' ? 'webm' : 'mp4';
  const videoPath = join(outDir, `needle.${ext}`);
  const frameCount = Math.round(durationS * fps);
  await runTool(
    ffmpegBinary(opts.ffmpegPath),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `color=c=0x1E2A36:s=${width}x${height}:r=${fps}`,
      '-vf',
      filters.join(','),
      '-frames:v',
      String(frameCount),
      ...encoderArgs(codec, gop),
      '-threads',
      '0',
      ...bitexactFlags,
      videoPath,
    ],
    { signal: opts.signal },
  );
  const questions = needleQuestions(needles, `needle.${ext}`, frameCount / fps, seed);
  const manifestPath = join(outDir, 'manifest.jsonl');
  await writeFile(manifestPath, `${questions.map((q) => JSON.stringify(q)).join('\n')}\n`);
  const needlesPath = join(outDir, 'needles.json');
  await writeFile(
    needlesPath,
    `${JSON.stringify({ video: `needle.${ext}`, durationS: frameCount / fps, frameCount, fps, width, height, codec, gop, seed, needleDurationS, needles }, null, 2)}\n`,
  );
  return { videoPath, manifestPath, needlesPath, needles, questions, frameCount };
}
