// Runner throughput against a scripted model with a fixed latency, scoring and
// PostgreSQL persistence included. Prints the runner's sample rate as a ratio
// of the ideal (concurrency ÷ latency) and of a bare loop that calls the same
// model at the same concurrency with no runner at all (the baseline, measured
// in the same process). Goal: ≥ 0.9 of ideal.
//
//   node dist/bench/runner/runner-throughput.js [--samples 5000] [--concurrency 16] [--latency-ms 50] [--runs 3]
//
// PostgreSQL: DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
// A throw-away database is created next to it and dropped at the end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../../gateway/config/config-schema.js';
import type { ModelRequest, ModelResult, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { openStore } from '../../gateway/store/open-store.js';
import { createScratchDatabase } from '../../gateway/store/scratch-database.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '16' },
    'latency-ms': { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
  },
});
const samples = Number(values.samples);
const concurrency = Number(values.concurrency);
const latencyMs = Number(values['latency-ms']);
const runs = Number(values.runs);
const ideal = concurrency / (latencyMs / 1000);

function scriptedModel(): ModelV1 {
  return {
    specificationVersion: 'v1',
    adapter: 'bench-scripted',
    adapterVersion: '1',
    modelName: 'fixed-latency',
    capabilities: { text: true, audio: false, image: false, multipleImages: false, video: false, streaming: false, realtime: false },
    async doGenerate(request: ModelRequest): Promise<ModelResult> {
      const text = request.parts.find((p) => p.type === 'text');
      const n = text && text.type === 'text' ? Number(/after (\d+)/.exec(text.text)?.[1] ?? 0) : 0;
      await new Promise((r) => setTimeout(r, latencyMs));
      return { text: 'ABCD'.charAt(n % 4), warnings: [] };
    },
  };
}

/** The same model at the same concurrency with nothing around it. */
async function bareLoop(model: ModelV1): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < samples) {
        const i = next++;
        await model.doGenerate({ parts: [{ type: 'text', text: `after ${i}` }], temperature: 0 });
      }
    }),
  );
  return samples / ((performance.now() - started) / 1000);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) throw new RangeError('median of no runs');
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const scratch = await createScratchDatabase(adminUrl, 'evalgate_bench');
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-bench-runner-'));
  const store = await openStore({ url: scratch.url, poolSize: 10 });
  try {
    const manifestPath = join(dir, 'bench.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < samples; i++) {
      lines.push(
        JSON.stringify({
          id: `b${String(i).padStart(6, '0')}`,
          task: 'mcq',
          question: `Which comes after ${i}?`,
          choices: ['w', 'x', 'y', 'z'],
          answer: 'ABCD'[i % 4],
        }),
      );
    }
    await writeFile(manifestPath, lines.join('\n') + '\n');
    const config = configSchema.parse({ models: [{ id: 'bench', adapter: 'bench-scripted', kind: 'generalist' }] });
    const model = scriptedModel();

    const bare: number[] = [];
    const runner: number[] = [];
    for (let r = 0; r < runs; r++) {
      const bareRate = await bareLoop(model);
      bare.push(bareRate);
      const prepared = await prepareRun(store.db, config, { dataset: manifestPath, modelId: 'bench', forceNew: true }, () => Promise.resolve(model));
      const started = performance.now();
      const { report } = await executeLocalRun(store.db, prepared, { concurrency, timeoutMs: 10_000 });
      const elapsedS = (performance.now() - started) / 1000;
      if (report.counts.ok !== samples) throw new Error(`expected ${samples} ok predictions, got ${JSON.stringify(report.counts)}`);
      if ((report.metrics as { accuracy?: number } | null)?.accuracy !== 1) throw new Error(`scoring broke: ${JSON.stringify(report.metrics)}`);
      const rate = samples / elapsedS;
      runner.push(rate);
      process.stderr.write(`run ${r + 1}/${runs}: runner ${rate.toFixed(1)}/s, bare loop ${bareRate.toFixed(1)}/s\n`);
    }
    const runnerRate = median(runner);
    const bareRate = median(bare);
    const result = {
      samples,
      concurrency,
      latencyMs,
      runs,
      idealPerS: ideal,
      bareLoopPerS: Math.round(bareRate * 10) / 10,
      runnerPerS: Math.round(runnerRate * 10) / 10,
      ratioVsIdeal: Math.round((runnerRate / ideal) * 1000) / 1000,
      ratioVsBareLoop: Math.round((runnerRate / bareRate) * 1000) / 1000,
      goal: 0.9,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `runner throughput ${result.runnerPerS}/s = ${result.ratioVsIdeal} × ideal (${ideal}/s), ${result.ratioVsBareLoop} × bare loop (${result.bareLoopPerS}/s); goal ≥ 0.9 × ideal: ${
        result.ratioVsIdeal >= 0.9 ? 'met' : 'NOT met'
      }\n`,
    );
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
    await scratch.drop();
  }
}

await main();
