/**
 * Renders known text into images (SVG through sharp, with the Debian DejaVu
 * and Noto CJK fonts) so that tests and the benchmark have multi-line inputs
 * whose ground truth is exact.
 */
import { seededRandom } from '../../scorers/stats/seeded-random.js';

/** One line of text to draw. */
export interface RenderedLine {
  /** The text. */
  readonly text: string;
  /** Left edge in pixels. */
  readonly x: number;
  /** Baseline in pixels. */
  readonly baselineY: number;
  /** Font size in pixels. */
  readonly fontSizePx: number;
  /** Font family as fontconfig knows it. */
  readonly font: string;
}

/** An image to render. */
export interface TextImageSpec {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Background colour (CSS). */
  readonly background: string;
  /** Text colour (CSS). */
  readonly colour: string;
  /** Lines in reading order. */
  readonly lines: readonly RenderedLine[];
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders a spec to PNG bytes. */
export async function renderTextImage(spec: TextImageSpec): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  const body = spec.lines
    .map(
      (l) =>
        `<text x="${l.x}" y="${l.baselineY}" font-family="${escapeXml(l.font)}" font-size="${l.fontSizePx}" fill="${spec.colour}">${escapeXml(l.text)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}"><rect width="100%" height="100%" fill="${spec.background}"/>${body}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

const ENGLISH = [
  'The quick brown fox jumps over the lazy dog',
  'Evaluation results are stored in Postgres',
  'Speech recognition word error rate 4.7%',
  'Invoice number 2024-0917 total 318.50 USD',
  'Streaming audio at 16 kHz in 20 ms frames',
  'Open the door and turn left at the corner',
  'Meeting moved to Thursday at 3 pm',
  'Please keep this receipt for your records',
];
const CHINESE = ['欢迎使用文字识别系统', '今天天气很好', '北京市海淀区中关村大街', '人工智能与语音识别', '请在此处签名', '会议将于下午三点开始'];

/** A rendered image with its ground truth. */
export interface RenderedSample {
  /** A short name. */
  readonly name: string;
  /** The spec it was drawn from. */
  readonly spec: TextImageSpec;
  /** Lines joined by `\n`, in reading order. */
  readonly reference: string;
}

/**
 * `count` multi-line pages of 3–6 lines mixing English and Chinese at 20–36
 * px, one text line per row, on light backgrounds.
 */
export function multiLineSamples(count: number, seed = 7): RenderedSample[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: RenderedSample[] = [];
  for (let n = 0; n < count; n++) {
    const lineCount = 3 + Math.floor(rand() * 4);
    const lines: RenderedLine[] = [];
    let y = 30;
    for (let i = 0; i < lineCount; i++) {
      const chinese = rand() < 0.4;
      const fontSizePx = 20 + Math.floor(rand() * 17);
      y += Math.round(fontSizePx * 1.6);
      lines.push({
        text: chinese ? pick(CHINESE) : pick(ENGLISH),
        x: 20 + Math.floor(rand() * 40),
        baselineY: y,
        fontSizePx,
        font: chinese ? 'Noto Sans CJK SC' : pick(['DejaVu Sans', 'DejaVu Serif', 'Liberation Sans']),
      });
    }
    // Wide enough for the longest line (CJK glyphs are about 1 em wide, Latin about 0.62 em).
    const width = Math.max(
      ...lines.map((l) => l.x + Math.ceil([...l.text].reduce((a, c) => a + (c.charCodeAt(0) > 0x2e80 ? 1 : 0.62), 0) * l.fontSizePx) + 30),
    );
    out.push({
      name: `rendered-${n}`,
      spec: { width, height: y + 40, background: pick(['#ffffff', '#f4f1e8', '#eef3f8']), colour: pick(['#000000', '#202020', '#1a237e']), lines },
      reference: lines.map((l) => l.text).join('\n'),
    });
  }
  return out;
}
