// The benchmark's peer, @gutenye/ocr-node, in its own process: its opencv.js
// installs process-wide uncaughtException/unhandledRejection handlers that
// must not leak into the process being measured. Protocol on stdin/stdout,
// one JSON document per line: {"images": [...]} once, then "round" lines;
// each round reads every image once and answers {"ms": n, "texts": [...]}.
import { createInterface } from 'node:readline';

interface GutenLine {
  readonly text: string;
}
interface GutenOcr {
  detect(image: string): Promise<GutenLine[]>;
}

const { default: Ocr } = (await import('@gutenye/ocr-node')) as unknown as { default: { create(): Promise<GutenOcr> } };
const ocr = await Ocr.create();
let images: string[] = [];
const concurrent = process.argv.includes('--concurrent');

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const msg = JSON.parse(line) as { images?: string[]; round?: boolean };
  if (msg.images) {
    images = msg.images;
    // Warm-up: first runs pay for session initialisation and shape planning.
    for (const img of images) await ocr.detect(img);
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    continue;
  }
  const started = performance.now();
  const results = concurrent
    ? await Promise.all(images.map((img) => ocr.detect(img)))
    : await images.reduce<Promise<GutenLine[][]>>(async (acc, img) => [...(await acc), await ocr.detect(img)], Promise.resolve([]));
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, texts: results.map((lines) => lines.map((l) => l.text).join('\n')) })}\n`);
}
