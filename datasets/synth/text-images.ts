import { SeededRandom } from './seeded-random.js';

/** How a text image is laid out. */
export type TextImageStyle = 'line' | 'block' | 'scene';

/** One text image to render. */
export interface TextImageSpec {
  /** Lines of text (one for `line` and usually `scene`). */
  readonly lines: readonly string[];
  /** fontconfig family name (`DejaVu Serif`, `Noto Sans CJK SC`…). */
  readonly font: string;
  /** Font size in pixels. */
  readonly sizePx: number;
  /** `line`: tight one-line crop; `block`: multi-line paragraph; `scene`: a sign on a cluttered background. */
  readonly style: TextImageStyle;
  /** Bold text. */
  readonly bold?: boolean;
  /** Italic text. */
  readonly italic?: boolean;
  /** Rotation in degrees (scene only). */
  readonly rotateDeg?: number;
  /** Seed for colours and clutter. */
  readonly seed: number;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough advance width, used only to size canvases generously before trimming. */
function estWidth(text: string, sizePx: number): number {
  let w = 0;
  for (const ch of text) w += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? sizePx : sizePx * 0.62;
  return Math.ceil(w);
}

function hsl(h: number, s: number, l: number): string {
  return `hsl(${Math.round(h)},${Math.round(s)}%,${Math.round(l)}%)`;
}

function textAttrs(spec: TextImageSpec): string {
  return `font-family="${xml(spec.font)}" font-size="${spec.sizePx}"${spec.bold ? ' font-weight="bold"' : ''}${spec.italic ? ' font-style="italic"' : ''}`;
}

/**
 * Renders a text image with sharp (librsvg + fontconfig, so installed system
 * fonts are used). Plain styles are rendered on a large canvas, trimmed to the
 * ink and padded, which gives the tight crops OCR recognisers see in
 * practice; scenes are a fixed-size sign over a gradient with random shapes.
 * Returns PNG bytes for plain styles and JPEG for scenes.
 */
export async function renderTextImage(spec: TextImageSpec): Promise<{ data: Buffer; ext: 'png' | 'jpg'; width: number; height: number }> {
  const sharp = (await import('sharp')).default;
  const rng = new SeededRandom(spec.seed);
  const lineH = Math.round(spec.sizePx * 1.4);
  if (spec.style !== 'scene') {
    const paper = rng.pick(['#FFFFFF', '#F7F4EC', '#EEF2F5', '#FFFDF5']);
    const ink = rng.pick(['#000000', '#1A1A2E', '#202020', '#0B2A5B']);
    const w = Math.max(...spec.lines.map((l) => estWidth(l, spec.sizePx))) + spec.sizePx * 4;
    const h = lineH * spec.lines.length + spec.sizePx * 2;
    const texts = spec.lines
      .map((l, i) => `<text x="${spec.sizePx}" y="${spec.sizePx + lineH * i + spec.sizePx}" ${textAttrs(spec)} fill="${ink}">${xml(l)}</text>`)
      .join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="${paper}"/>${texts}</svg>`;
    const pad = spec.style === 'line' ? Math.max(4, Math.round(spec.sizePx * 0.25)) : Math.round(spec.sizePx * 0.8);
    const trimmed = await sharp(Buffer.from(svg)).flatten({ background: paper }).trim({ background: paper, threshold: 20 }).toBuffer();
    const out = await sharp(trimmed)
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: paper })
      .png({ compressionLevel: 9, palette: true })
      .toBuffer({ resolveWithObject: true });
    return { data: out.data, ext: 'png', width: out.info.width, height: out.info.height };
  }
  const W = 360;
  const H = 220;
  const hue = rng.range(0, 360);
  const shapes = Array.from({ length: 14 }, () => {
    const fill = hsl(rng.range(0, 360), rng.range(20, 70), rng.range(25, 75));
    return rng.next() < 0.5
      ? `<circle cx="${rng.int(0, W)}" cy="${rng.int(0, H)}" r="${rng.int(8, 40)}" fill="${fill}" opacity="${rng.range(0.2, 0.6).toFixed(2)}"/>`
      : `<rect x="${rng.int(0, W)}" y="${rng.int(0, H)}" width="${rng.int(10, 90)}" height="${rng.int(10, 60)}" fill="${fill}" opacity="${rng.range(0.2, 0.6).toFixed(2)}"/>`;
  }).join('');
  const signW = Math.min(W - 20, Math.max(...spec.lines.map((l) => estWidth(l, spec.sizePx))) + spec.sizePx * 1.5);
  const signH = lineH * spec.lines.length + spec.sizePx * 0.6;
  const sx = (W - signW) / 2;
  const sy = (H - signH) / 2;
  const signFill = hsl(rng.range(0, 360), rng.range(50, 85), rng.range(18, 35));
  const texts = spec.lines
    .map(
      (l, i) =>
        `<text x="${W / 2}" y="${sy + spec.sizePx * 0.3 + lineH * i + spec.sizePx * 1.05}" text-anchor="middle" ${textAttrs(spec)} fill="#FFFFFF" stroke="#000000" stroke-width="${(spec.sizePx / 40).toFixed(2)}">${xml(l)}</text>`,
    )
    .join('');
  const rot = spec.rotateDeg ?? 0;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(hue, 35, 70)}"/><stop offset="1" stop-color="${hsl(hue + 60, 40, 35)}"/></linearGradient></defs>` +
    `<rect width="100%" height="100%" fill="url(#g)"/>${shapes}` +
    `<g transform="rotate(${rot} ${W / 2} ${H / 2})"><rect x="${sx + 4}" y="${sy + 5}" width="${signW}" height="${signH}" rx="8" fill="#000000" opacity="0.35"/>` +
    `<rect x="${sx}" y="${sy}" width="${signW}" height="${signH}" rx="8" fill="${signFill}" stroke="#E8E8E8" stroke-width="3"/>${texts}</g></svg>`;
  const out = await sharp(Buffer.from(svg)).flatten({ background: '#808080' }).jpeg({ quality: 82, mozjpeg: false }).toBuffer({ resolveWithObject: true });
  return { data: out.data, ext: 'jpg', width: out.info.width, height: out.info.height };
}
