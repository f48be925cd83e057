import type { ManifestSample } from '../manifest-schema.js';
import { bitexactFlags, ffmpegBinary, runTool } from './run-tool.js';
import { SeededRandom } from './seeded-random.js';

/** Something visible on screen during a time range. */
export interface VideoEvent {
  /** What is shown: a colour name (shape video) or a word (caption video). */
  readonly label: string;
  /** Colour name. */
  readonly color: string;
  /** First second it is visible. */
  readonly startS: number;
  /** Second it disappears. */
  readonly endS: number;
}

/** A scripted short video and the questions about it. */
export interface EventVideoPlan {
  /** File name, e.g. `shapes.mp4`. */
  readonly file: string;
  /** Length in seconds. */
  readonly durationS: number;
  /** Events in time order. */
  readonly events: readonly VideoEvent[];
  /** ffmpeg -vf filter chain drawing them. */
  readonly filter: string;
  /** Multiple-choice questions (media path relative to the demo root is filled in by the caller). */
  readonly questions: readonly Omit<ManifestSample, 'video'>[];
}

const palette: Record<string, string> = { red: '0xE53935', green: '0x43A047', blue: '0x1E88E5', yellow: '0xFDD835', white: '0xFFFFFF', orange: '0xFB8C00' };
const W = 320;
const H = 180;

function mcq(id: string, question: string, correct: string, distractors: readonly string[], rng: SeededRandom, tags: string[]): Omit<ManifestSample, 'video'> {
  const choices = rng.shuffle([correct, ...distractors.filter((d) => d !== correct).slice(0, 3)]);
  return { id, task: 'mcq', question, choices, answer: String.fromCharCode(65 + choices.indexOf(correct)), lang: 'en', tags };
}

function countChoices(n: number): string[] {
  return [n - 1 >= 0 ? n - 1 : n + 3, n + 1, n + 2].map(String);
}

/** Coloured squares flashing at seeded times and places; questions on order and counts. */
export function planShapesVideo(seed: number, file = 'shapes.mp4'): EventVideoPlan {
  for (let attempt = 0; ; attempt++) {
    const rng = new SeededRandom(seed * 31 + attempt);
    const colors = ['red', 'green', 'blue'];
    const n = 7;
    const seq = Array.from({ length: n }, () => rng.pick(colors));
    const counts = colors.map((c) => seq.filter((s) => s === c).length);
    const max = Math.max(...counts);
    // Regenerate until the questions have one right answer each.
    if (counts.filter((c) => c === max).length !== 1 || counts.some((c) => c === 0) || seq[0] === seq[n - 1]) continue;
    const events: VideoEvent[] = seq.map((color, i) => ({ label: color, color, startS: 1 + i * 2.5, endS: 1 + i * 2.5 + 1.5 }));
    const durationS = 1 + n * 2.5 + 1;
    const filter = events
      .map((e) => {
        const x = rng.int(10, W - 70);
        const y = rng.int(10, H - 70);
        return `drawbox=x=${x}:y=${y}:w=56:h=56:color=${palette[e.color]}:t=fill:enable='between(t,${e.startS},${e.endS - 0.001})'`;
      })
      .join(',');
    const most = colors[counts.indexOf(max)]!;
    const red = seq.filter((s) => s === 'red').length;
    const base = ['video/synthetic'];
    const questions = [
      mcq('shapes-first-colour', 'Coloured squares appear one at a time. What colour is the first square?', seq[0]!, ['red', 'green', 'blue', 'yellow'], rng, [
        ...base,
        'video/temporal-order',
      ]),
      mcq('shapes-last-colour', 'What colour is the last square that appears?', seq[n - 1]!, ['red', 'green', 'blue', 'yellow'], rng, [
        ...base,
        'video/temporal-order',
      ]),
      mcq('shapes-red-count', 'How many times does a red square appear?', String(red), countChoices(red), rng, [...base, 'video/counting']),
      mcq('shapes-total-count', 'How many squares appear in total?', String(n), countChoices(n), rng, [...base, 'video/counting']),
      mcq('shapes-most-colour', 'Which colour of square appears most often?', most, ['red', 'green', 'blue', 'yellow'], rng, [
        ...base,
        'video/counting',
        'video/attribute',
      ]),
    ];
    return { file, durationS, events, filter, questions };
  }
}

/** Words shown one after another in different colours; questions on text, order and colour. */
export function planCaptionsVideo(seed: number, fontFile: string | undefined, file = 'captions.mp4'): EventVideoPlan {
  const rng = new SeededRandom(seed * 17 + 5);
  const pool = ['APPLE', 'RIVER', 'TIGER', 'CLOUD', 'PIANO', 'ROBOT', 'MANGO', 'CANDLE', 'ROCKET', 'GARDEN'];
  const words = rng.shuffle(pool).slice(0, 5);
  const unused = pool.filter((w) => !words.includes(w));
  const colorNames = rng.shuffle(['red', 'green', 'blue', 'yellow', 'orange', 'white']).slice(0, 5);
  const events: VideoEvent[] = words.map((w, i) => ({ label: w, color: colorNames[i]!, startS: 1 + i * 4, endS: 1 + i * 4 + 3 }));
  const durationS = 1 + words.length * 4 + 1;
  const font = fontFile ? `fontfile=${fontFile}` : 'font=Sans';
  const filter = events
    .map(
      (e) =>
        `drawtext=${font}:text=${e.label}:fontsize=40:fontcolor=${palette[e.color]}:x=(w-tw)/2:y=(h-th)/2:enable='between(t,${e.startS},${e.endS - 0.001})'`,
    )
    .join(',');
  const base = ['video/synthetic', 'video/ocr-in-video'];
  const w = words;
  const questions = [
    mcq('captions-first-word', 'Words appear on screen one after another. Which word is shown first?', w[0]!, rng.shuffle(w.slice(1)), rng, [
      ...base,
      'video/temporal-order',
    ]),
    mcq('captions-after-word', `Which word is shown right after ${w[1]}?`, w[2]!, [w[0]!, w[3]!, w[4]!], rng, [...base, 'video/temporal-order']),
    mcq('captions-last-word', 'Which word is shown last?', w[4]!, rng.shuffle(w.slice(0, 4)), rng, [...base, 'video/temporal-order']),
    mcq('captions-word-count', 'How many different words are shown?', String(w.length), countChoices(w.length), rng, [...base, 'video/counting']),
    mcq(
      'captions-colour',
      `What colour is the word ${w[3]} written in?`,
      colorNames[3]!,
      rng.shuffle(['red', 'green', 'blue', 'yellow', 'orange', 'white']),
      rng,
      [...base, 'video/attribute'],
    ),
    mcq('captions-not-shown', 'Which of these words is NOT shown in the video?', unused[0]!, rng.shuffle(w).slice(0, 3), rng, [...base, 'video/negation']),
  ];
  return { file, durationS, events, filter, questions };
}

/** Encodes a plan at 320×180, 10 fps, small H.264, byte-for-byte repeatable. */
export async function renderEventVideo(plan: EventVideoPlan, outPath: string, opts: { ffmpegPath?: string; signal?: AbortSignal } = {}): Promise<void> {
  const fps = 10;
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
      `color=c=0x263238:s=${W}x${H}:r=${fps}`,
      '-vf',
      `trim=end_frame=1,drawgrid=w=40:h=45:t=1:c=0x37474F,format=yuv420p,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB,${plan.filter}`,
      '-frames:v',
      String(Math.round(plan.durationS * fps)),
      '-c:v',
      'libx264',
      '-preset',
      'medium',
      '-crf',
      '30',
      '-x264-params',
      'keyint=50:scenecut=0',
      '-pix_fmt',
      'yuv420p',
      '-threads',
      '1',
      ...bitexactFlags,
      outPath,
    ],
    opts,
  );
}
