import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ManifestSample } from '../manifest-schema.js';
import { planCaptionsVideo, planShapesVideo, renderEventVideo } from './event-videos.js';
import { findFontFile } from './run-tool.js';
import { SeededRandom } from './seeded-random.js';
import { synthSpeech, type SpeechSpec } from './speech-clips.js';
import { renderTextImage, type TextImageSpec } from './text-images.js';

/** Options of {@link synthDemoSet}. */
export interface DemoSetOptions {
  /** Output folder; its audio/, images/, video/ and manifest.jsonl are replaced. */
  readonly outDir: string;
  /** Seed for voices, speeds, noise, colours, layouts and video scripts. */
  readonly seed: number;
  /** ffmpeg executable. */
  readonly ffmpegPath?: string;
  /** Cancels the work. */
  readonly signal?: AbortSignal;
}

/** What {@link synthDemoSet} wrote. */
export interface DemoSetResult {
  /** The manifest. */
  readonly manifestPath: string;
  /** Samples in it. */
  readonly sampleCount: number;
  /** Samples per task. */
  readonly tasks: Record<string, number>;
  /** Bytes of all files written. */
  readonly totalBytes: number;
}

const english = [
  'The quick brown fox jumps over the lazy dog.',
  'Please call me back before noon tomorrow.',
  'Turn left at the second traffic light.',
  'The library closes at nine tonight.',
  'She bought three apples and a loaf of bread.',
  'Our flight was delayed by two hours.',
  'Can you send me the report by Friday?',
  'The weather is cold and windy today.',
  'He left his umbrella on the bus.',
  'We need more chairs for the meeting.',
  'The coffee machine is out of order.',
  'My phone number ends in four five six.',
  'Please speak slowly and clearly.',
  'The museum is open every day except Monday.',
  'I will meet you at the train station.',
  'The children are playing in the park.',
  'Remember to water the plants on Sunday.',
  'The ticket costs twenty dollars.',
  'This road leads to the old bridge.',
  'Thank you for your help yesterday.',
];
const englishNumbers = new Set([3, 4, 5, 11, 17]);

const mandarin = [
  '今天天气很好',
  '我们明天去公园',
  '请把门关上',
  '这本书很有意思',
  '他每天早上跑步',
  '火车马上就要开了',
  '我想喝一杯热茶',
  '会议改到下午三点',
  '北京是中国的首都',
  '请问洗手间在哪里',
  '妈妈在厨房做饭',
  '这个问题很简单',
  '我们一起去吃午饭吧',
  '外面正在下雨',
  '他的电脑坏了',
  '图书馆几点关门',
  '孩子们在操场上玩',
  '我明年想去上海',
  '请慢慢地说',
  '谢谢你的帮助',
];
const mandarinNumbers = new Set([6, 7]);

interface ImageItem {
  readonly lines: string[];
  readonly lang: 'en' | 'zh';
  readonly style: TextImageSpec['style'];
  readonly vqa?: { question: string; answer: string };
}

const imageItems: ImageItem[] = [
  { lines: ['OPEN 24 HOURS'], lang: 'en', style: 'line' },
  { lines: ['Fresh Bread Daily'], lang: 'en', style: 'line' },
  { lines: ['Invoice No. 58213'], lang: 'en', style: 'line', vqa: { question: 'What is the invoice number?', answer: '58213' } },
  { lines: ['Emergency Exit'], lang: 'en', style: 'line' },
  { lines: ['www.example.org/help'], lang: 'en', style: 'line' },
  { lines: ['Total: $18.40'], lang: 'en', style: 'line', vqa: { question: 'What is the total amount?', answer: '$18.40' } },
  { lines: ['Store hours are from nine', 'to five on weekdays and', 'ten to two on Saturday.'], lang: 'en', style: 'block' },
  { lines: ['Keep this receipt for', 'returns within 30 days.'], lang: 'en', style: 'block' },
  { lines: ['Meeting notes: budget', 'review moved to Thursday', 'at 3 pm in room 12.'], lang: 'en', style: 'block' },
  { lines: ['NO PARKING'], lang: 'en', style: 'scene' },
  { lines: ['CITY MUSEUM'], lang: 'en', style: 'scene' },
  { lines: ['SALE 50% OFF'], lang: 'en', style: 'scene', vqa: { question: 'How big is the discount on the sign?', answer: '50%' } },
  { lines: ['欢迎光临'], lang: 'zh', style: 'line' },
  { lines: ['营业时间早九点至晚十点'], lang: 'zh', style: 'line' },
  { lines: ['北京大学图书馆'], lang: 'zh', style: 'line' },
  { lines: ['禁止吸烟'], lang: 'zh', style: 'line' },
  { lines: ['人民币一百元'], lang: 'zh', style: 'line' },
  { lines: ['请勿触摸展品'], lang: 'zh', style: 'line' },
  { lines: ['本店所有商品', '均可七天无理由退换'], lang: 'zh', style: 'block' },
  { lines: ['会议通知', '周四下午三点', '在二楼会议室举行'], lang: 'zh', style: 'block' },
  { lines: ['春天来了', '公园里的花都开了'], lang: 'zh', style: 'block' },
  { lines: ['老王面馆'], lang: 'zh', style: 'scene', vqa: { question: '这家店叫什么名字？', answer: '老王面馆' } },
  { lines: ['中国银行'], lang: 'zh', style: 'scene' },
  { lines: ['地铁站入口'], lang: 'zh', style: 'scene' },
];

const enFonts = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'Liberation Serif', 'Liberation Sans Narrow', 'Liberation Sans'];
const zhFonts = ['Noto Sans CJK SC', 'Noto Serif CJK SC'];

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

/**
 * Generates the bundled demo set: 20 English and 20 Mandarin utterances
 * (espeak-ng + sox, 16 kHz mono), 24 text images plus 4 text-reading VQA items
 * (sharp + system fonts), and two short event videos with 11 multiple-choice
 * questions (ffmpeg). Every random choice comes from `seed`, and each tool is
 * run in a repeatable mode, so the same seed and tool versions give the same
 * bytes.
 */
export async function synthDemoSet(opts: DemoSetOptions): Promise<DemoSetResult> {
  const out = resolve(opts.outDir);
  for (const sub of ['audio', 'images', 'video']) await rm(join(out, sub), { recursive: true, force: true });
  for (const sub of ['audio', 'images', 'video']) await mkdir(join(out, sub), { recursive: true });
  const rng = new SeededRandom(opts.seed);
  const samples: ManifestSample[] = [];

  // Speech: a seeded mix of voices, speeds and noise gives the capability tags something to break down.
  const speech = async (text: string, i: number, lang: 'en' | 'zh', hasNumbers: boolean): Promise<void> => {
    const id = `${lang}-speech-${pad2(i + 1)}`;
    const voice = lang === 'en' ? rng.pick(['en-us', 'en-us', 'en-gb', 'en-gb-scotland']) : 'cmn';
    const roll = rng.next();
    const speedWpm = roll < 0.15 ? 230 : roll < 0.3 ? 115 : rng.int(150, 185);
    const noisy = rng.next() < 0.25;
    const spec: SpeechSpec = {
      text,
      voice,
      speedWpm,
      pitch: rng.int(30, 70),
      ...(noisy ? { noiseSnrDb: 12, noiseSeed: opts.seed + i + (lang === 'zh' ? 100 : 0) } : {}),
    };
    const file = `audio/${id}.wav`;
    const durationS = await synthSpeech(spec, join(out, file), { signal: opts.signal });
    const tags = ['asr/read-speech', 'asr/synthetic', `lang/${lang}`];
    if (speedWpm >= 220) tags.push('asr/fast-speech');
    if (speedWpm <= 120) tags.push('asr/slow-speech');
    if (noisy) tags.push('asr/noisy');
    if (voice === 'en-gb-scotland') tags.push('asr/accented');
    if (hasNumbers) tags.push('asr/numbers');
    samples.push({ id, task: 'asr', audio: file, reference: text, lang, tags, duration_s: Math.round(durationS * 1000) / 1000 });
  };
  for (const [i, t] of english.entries()) await speech(t, i, 'en', englishNumbers.has(i));
  for (const [i, t] of mandarin.entries()) await speech(t, i, 'zh', mandarinNumbers.has(i));

  // Text images.
  for (const [i, item] of imageItems.entries()) {
    const id = `${item.lang}-text-${pad2(i + 1)}`;
    const font = rng.pick(item.lang === 'en' ? enFonts : zhFonts);
    const sizePx = item.style === 'scene' ? rng.int(30, 40) : item.style === 'block' ? rng.int(16, 26) : rng.pick([14, 20, 28, 36]);
    const rotateDeg = item.style === 'scene' ? rng.pick([0, 0, -6, 4, 8]) : 0;
    const spec: TextImageSpec = {
      lines: item.lines,
      font,
      sizePx,
      style: item.style,
      bold: rng.next() < 0.3,
      italic: item.lang === 'en' && rng.next() < 0.15,
      rotateDeg,
      seed: opts.seed * 7 + i,
    };
    const img = await renderTextImage(spec);
    const file = `images/${id}.${img.ext}`;
    await writeFile(join(out, file), img.data);
    const tags = ['ocr/synthetic', `lang/${item.lang}`];
    tags.push(item.style === 'line' ? 'ocr/single-line' : item.style === 'block' ? 'ocr/multi-line' : 'ocr/scene-text');
    if (item.style !== 'scene') tags.push('ocr/printed');
    if (sizePx <= 16) tags.push('ocr/small-text');
    if (rotateDeg !== 0) tags.push('ocr/rotated');
    if (font.includes('Serif')) tags.push('ocr/serif-font');
    if (font.includes('Mono')) tags.push('ocr/monospace-font');
    samples.push({ id, task: 'ocr', image: file, reference: item.lines.join('\n'), lang: item.lang, tags });
    if (item.vqa) {
      samples.push({
        id: `${id}-vqa`,
        task: 'vqa',
        image: file,
        question: item.vqa.question,
        reference: item.vqa.answer,
        lang: item.lang,
        tags: ['vqa/text-reading', `lang/${item.lang}`, item.style === 'scene' ? 'ocr/scene-text' : 'ocr/printed'],
      });
    }
  }

  // Videos.
  const fontFile = await findFontFile('DejaVu Sans:bold');
  for (const plan of [planShapesVideo(opts.seed), planCaptionsVideo(opts.seed, fontFile)]) {
    const file = `video/${plan.file}`;
    await renderEventVideo(plan, join(out, file), { ffmpegPath: opts.ffmpegPath, signal: opts.signal });
    for (const q of plan.questions) samples.push({ ...q, id: `video-${q.id}`, video: file, duration_s: plan.durationS });
  }

  const manifestPath = join(out, 'manifest.jsonl');
  await writeFile(manifestPath, `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
  const tasks: Record<string, number> = {};
  for (const s of samples) tasks[s.task] = (tasks[s.task] ?? 0) + 1;
  return { manifestPath, sampleCount: samples.length, tasks, totalBytes: await folderBytes(out) };
}
