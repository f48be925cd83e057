// OCR on a GPU device against the CPU, same images, same process, rounds
// alternating between the two engines. Prints images/s for each, the ratio
// (device ÷ CPU), norm_edit_dis for each, and how many texts differ.
//
//   node dist/bench/ocr/ocr-devices.js --device webgpu|cuda [--rounds 5] [--rendered 10] [--big 4]
//   node dist/bench/ocr/ocr-devices.js --save-samples DIR     (write the image set, then exit)
//   node dist/bench/ocr/ocr-devices.js --device webgpu --samples DIR
//
// `--save-samples` exists for GPU machines that lack the fonts the rendered pages
// need: render here, carry the folder, run with `--samples` there.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isOnnxDevice, onnxDevices } from '../../experts/onnx/onnx-runtime.js';
import { createPpocr } from '../../experts/ocr/ppocr-pipeline.js';
import { multiLineSamples, renderTextImage } from './render-text-image.js';
import { buildSamples, loadSamples, meanSimilarity, median, saveSamples, timedRound, type Sample } from './ocr-samples.js';

const { values: args } = parseArgs({
  options: {
    device: { type: 'string', default: 'webgpu' },
    rounds: { type: 'string', default: '5' },
    rendered: { type: 'string', default: '10' },
    big: { type: 'string', default: '4' },
    samples: { type: 'string' },
    'save-samples': { type: 'string' },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const realdata = path.resolve(here, '../../../../shared/realdata');

/** Pages of about 2000×2800 pixels: detection cost grows with the pixels, where a GPU should help most. */
async function bigPages(dir: string, n: number): Promise<Sample[]> {
  const out: Sample[] = [];
  const lines = multiLineSamples(Math.max(1, n) * 6, 11);
  for (let p = 0; p < n; p++) {
    const group = lines.slice(p * 6, p * 6 + 6);
    const rows = group.flatMap((g) => g.spec.lines.map((l) => l.text)).slice(0, 24);
    const spec = {
      width: 2000,
      height: 2800,
      background: '#ffffff',
      colour: '#111111',
      lines: rows.map((text, i) => ({ text, x: 120, baselineY: 160 + i * 108, fontSizePx: 44, font: 'DejaVu Sans' })),
    };
    const file = path.join(dir, `big_${p}.png`);
    await writeFile(file, await renderTextImage(spec));
    out.push({ file, reference: rows.join(' ') });
  }
  return out;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-ocr-devices-'));
  try {
    const samples = args.samples
      ? await loadSamples(args.samples)
      : [...(await buildSamples(dir, realdata, Number(args.rendered))), ...(await bigPages(dir, Number(args.big)))];
    if (args['save-samples']) {
      await saveSamples(samples, args['save-samples']);
      process.stdout.write(`saved ${samples.length} images to ${args['save-samples']}\n`);
      return;
    }
    const device = args.device;
    if (!isOnnxDevice(device) || device === 'cpu') throw new Error(`--device must be one of ${onnxDevices.filter((d) => d !== 'cpu').join(', ')}`);
    const cpu = await createPpocr({ device: 'cpu' });
    const t0 = performance.now();
    const gpu = await createPpocr({ device });
    const openMs = performance.now() - t0;
    // Warm-up: session start, shape-specialised kernels (WebGPU compiles shaders per shape on first use).
    const warm = performance.now();
    await timedRound(gpu, samples);
    const warmMs = performance.now() - warm;
    await timedRound(cpu, samples);

    const ms: Record<'cpu' | 'gpu', number[]> = { cpu: [], gpu: [] };
    const texts: Record<'cpu' | 'gpu', string[]> = { cpu: [], gpu: [] };
    for (let r = 0; r < Number(args.rounds); r++) {
      for (const [name, engine] of [
        ['cpu', cpu],
        ['gpu', gpu],
      ] as const) {
        const out = await timedRound(engine, samples);
        ms[name].push(out.ms);
        texts[name] = out.texts;
      }
    }
    const rate = (k: 'cpu' | 'gpu'): number => samples.length / (median(ms[k]) / 1000);
    const differ = samples.filter((_, i) => texts.cpu[i] !== texts.gpu[i]).length;
    const summary = {
      device,
      images: samples.length,
      rounds: Number(args.rounds),
      openMs: Math.round(openMs),
      firstRoundMs: Math.round(warmMs),
      cpuImagesPerSecond: Number(rate('cpu').toFixed(2)),
      deviceImagesPerSecond: Number(rate('gpu').toFixed(2)),
      speedupVsCpu: Number((rate('gpu') / rate('cpu')).toFixed(2)),
      cpuNormEditDis: Number(meanSimilarity(texts.cpu, samples).toFixed(4)),
      deviceNormEditDis: Number(meanSimilarity(texts.gpu, samples).toFixed(4)),
      textsThatDiffer: differ,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${device} ÷ cpu: ${summary.speedupVsCpu}× images/s; texts that differ: ${differ} of ${samples.length}\n`);
    for (const [i, s] of samples.entries()) {
      if (texts.cpu[i] !== texts.gpu[i])
        process.stdout.write(
          `  ${path.basename(s.file)}: cpu ${JSON.stringify(texts.cpu[i]?.slice(0, 80))} | ${device} ${JSON.stringify(texts.gpu[i]?.slice(0, 80))}\n`,
        );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
