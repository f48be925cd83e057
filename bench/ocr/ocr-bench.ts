// OCR throughput and accuracy: this project's PP-OCRv4 pipeline against
// @gutenye/ocr-node (same ONNX weights) on the realdata images plus rendered
// multi-line pages. Rounds alternate between the two engines so that load
// from other processes hits both alike; each prints the median of its rounds.
//
//   node dist/bench/ocr/ocr-bench.js [--rounds 5] [--rendered 10] [--workers N]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPpocr } from '../../experts/ocr/ppocr-pipeline.js';
import { buildSamples, meanSimilarity, median, normEditSimilarity, timedRound } from './ocr-samples.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    rendered: { type: 'string', default: '10' },
    workers: { type: 'string', default: String(availableParallelism()) },
  },
});
const rounds = Number(args.rounds);
const workers = Number(args.workers);
const here = path.dirname(fileURLToPath(import.meta.url));
const ENGINES = ['peerSeq', 'peerConc', 'oursSeq', 'oursPool'] as const;
type Engine = (typeof ENGINES)[number];
// dist/bench/ocr → repository root is three levels up.
const realdata = path.resolve(here, '../../../../shared/realdata');

/** A line-oriented JSON conversation with the peer process. */
function startPeer(concurrent: boolean): { ask(msg: unknown): Promise<Record<string, unknown>>; stop(): void } {
  const child = spawn(process.execPath, [path.join(here, 'gutenye-peer.js'), ...(concurrent ? ['--concurrent'] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async ask(msg) {
      child.stdin.write(`${JSON.stringify(msg)}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error('@gutenye/ocr-node peer exited');
      return JSON.parse(value as string) as Record<string, unknown>;
    },
    stop() {
      child.stdin.end();
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-ocr-bench-'));
  try {
    const samples = await buildSamples(dir, realdata, Number(args.rendered));
    const files = samples.map((s) => s.file);
    const inThread = await createPpocr();
    const pooled = workers > 0 ? await createPpocr({ workers, maxQueued: samples.length }) : undefined;
    const peerSeq = startPeer(false);
    const peerConc = startPeer(true);
    await peerSeq.ask({ images: files });
    await peerConc.ask({ images: files });
    // Warm-up of ours (session start-up, worker start-up).
    await timedRound(inThread, samples, false);
    if (pooled) await timedRound(pooled, samples, true);

    const ms: Record<Engine, number[]> = { peerSeq: [], peerConc: [], oursSeq: [], oursPool: [] };
    // Each engine's texts of its latest round; an engine that never ran keeps none and is left out below.
    const texts: Record<Engine, string[]> = { peerSeq: [], peerConc: [], oursSeq: [], oursPool: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of [
        ['peerSeq', () => peerSeq.ask({ round: true })],
        ['oursSeq', () => timedRound(inThread, samples, false)],
        ['peerConc', () => peerConc.ask({ round: true })],
        ...(pooled ? [['oursPool', () => timedRound(pooled, samples, true)] as const] : []),
      ] as const) {
        const out = (await run()) as { ms: number; texts: string[] };
        ms[name].push(out.ms);
        texts[name] = out.texts;
      }
    }
    peerSeq.stop();
    peerConc.stop();
    await pooled?.close();

    const n = samples.length;
    const rate = (k: Engine): number => n / (median(ms[k]) / 1000);
    const rows = ENGINES.filter((k) => ms[k].length > 0).map((k) => ({
      engine: k,
      imagesPerSecond: rate(k),
      normEditDis: meanSimilarity(texts[k], samples),
      medianRoundMs: median(ms[k]),
    }));
    const label: Record<Engine, string> = {
      peerSeq: '@gutenye/ocr-node, one image at a time',
      peerConc: '@gutenye/ocr-node, all images at once (Promise.all)',
      oursSeq: 'evalgate ppocr, in-thread, one image at a time',
      oursPool: `evalgate ppocr, ${workers} worker threads`,
    };
    process.stdout.write(`OCR benchmark: ${n} images (${n - Number(args.rendered)} realdata, ${args.rendered} rendered), ${rounds} rounds, median\n`);
    for (const r of rows) {
      process.stdout.write(
        `  ${label[r.engine].padEnd(52)} ${r.imagesPerSecond.toFixed(2).padStart(7)} img/s   norm_edit_dis ${r.normEditDis.toFixed(4)}   (${r.medianRoundMs.toFixed(0)} ms/round)\n`,
      );
    }
    const peerBest = Math.max(rate('peerSeq'), rate('peerConc'));
    const oursBest = Math.max(rate('oursSeq'), pooled ? rate('oursPool') : 0);
    process.stdout.write(`  ratio (best of ours ÷ best of peer): ${(oursBest / peerBest).toFixed(2)}×\n`);
    process.stdout.write(`  ratio (one image at a time, in-thread ÷ peer): ${(rate('oursSeq') / rate('peerSeq')).toFixed(2)}×\n`);
    // meanSimilarity above checked one text per sample for both engines.
    for (const [i, s] of samples.entries()) {
      const a = normEditSimilarity(texts.oursSeq[i]!, s.reference);
      const b = normEditSimilarity(texts.peerSeq[i]!, s.reference);
      if (a < 1 || b < 1) process.stdout.write(`  ${path.basename(s.file)}: ours ${a.toFixed(3)} peer ${b.toFixed(3)}\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
