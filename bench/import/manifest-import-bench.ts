// Imports a generated manifest of N rows (default 1,000,000) whose samples
// share a few real WAV files, as a user would: the whole CLI process,
// `node bin/evalgate.js datasets import manifest … --json`, with
// EVALGATE_REPORT_HEAP=1 so the process reports its own peak heap (heapUsed
// sampled every 10 ms), peak ArrayBuffers and peak RSS. It prints, measured in
// the same run:
//   - the streamed import at N rows: samples per second, peak heap, peak RSS;
//   - the streamed import at the baseline size B (default 100,000): the same,
//     to show the heap does not grow with the number of rows;
//   - the old in-memory path (parseManifest + importDataset) at B rows in a
//     child process with the same sampler: what holding the manifest costs;
//   - the ratios streamed(N) ÷ streamed(B) and streamed(B) ÷ in-memory(B).
// The database is PostgreSQL when DATABASE_URL (or --database-url) names a
// server (a scratch database is created there and dropped), else PGlite in a
// temporary folder.
//   - with --cap-mb M, the N-row import once more under --max-old-space-size=M.
// Usage: node dist/bench/import/manifest-import-bench.js [--rows 1000000] [--baseline-rows 100000] [--cap-mb 64] [--database-url URL]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, writeFileSync, writeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Figures {
  readonly rows: number;
  readonly seconds: number;
  readonly peakHeapUsedMiB: number;
  readonly peakArrayBuffersMiB: number;
  readonly peakRssMiB: number;
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** A 16 kHz mono 16-bit WAV of a tone (real media: the import probes it with ffprobe). */
function toneWav(durationS: number, seed: number): Buffer {
  const rate = 16000;
  const n = Math.round(durationS * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate + seed)), 44 + 2 * i);
  return buf;
}

/** Writes `rows` asr lines sharing three WAV files; returns the manifest path. */
function writeSet(dir: string, rows: number): string {
  mkdirSync(join(dir, 'audio'), { recursive: true });
  for (let k = 0; k < 3; k++) writeFileSync(join(dir, 'audio', `a${k}.wav`), toneWav(1 + k / 2, k));
  const path = join(dir, 'manifest.jsonl');
  const fd = openSync(path, 'w');
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    chunk.push(
      JSON.stringify({
        id: `utt-${String(i).padStart(7, '0')}`,
        task: 'asr',
        audio: `audio/a${i % 3}.wav`,
        reference: `the quick brown fox jumps over the lazy dog ${i}`,
        lang: 'en',
        tags: ['bench/shared-media'],
      }),
    );
    if (chunk.length === 10_000 || i === rows - 1) {
      writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  closeSync(fd);
  return path;
}

function heapLine(stderr: string): Omit<Figures, 'rows' | 'seconds'> {
  const line = stderr.split('\n').find((l) => l.startsWith('evalgate-heap '));
  if (!line) throw new Error(`no evalgate-heap line in: ${stderr.slice(-2000)}`);
  return JSON.parse(line.slice('evalgate-heap '.length)) as Omit<Figures, 'rows' | 'seconds'>;
}

/** The CLI as a user runs it, in its own process. */
function runCli(manifest: string, name: string, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): Figures {
  const bin = fileURLToPath(new URL('../../../bin/evalgate.js', import.meta.url));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...nodeArgs, bin, 'datasets', 'import', 'manifest', manifest, '--name', name, '--json'], {
    encoding: 'utf8',
    env: { ...env, EVALGATE_REPORT_HEAP: '1' },
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`evalgate datasets import failed (${r.status}): ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
  const doc = JSON.parse(r.stdout) as { samples: number };
  return { rows: doc.samples, seconds, ...heapLine(r.stderr) };
}

/** The in-memory path (parseManifest + importDataset), in a child process with the CLI's sampler. */
async function inMemoryChild(manifest: string, name: string): Promise<void> {
  const { startHeapReport } = await import('../../gateway/cli/heap-report.js');
  const { openStore } = await import('../../gateway/store/open-store.js');
  const { parseManifest } = await import('../../datasets/parse-manifest.js');
  const { importDataset } = await import('../../gateway/store/dataset-repo.js');
  const heap = startHeapReport({ EVALGATE_REPORT_HEAP: '1' });
  const store = await openStore({ url: process.env.DATABASE_URL || undefined, pgliteDir: process.env.EVALGATE_BENCH_PGLITE_DIR });
  try {
    const ds = await importDataset(store.db, await parseManifest(manifest), { name });
    process.stdout.write(`${JSON.stringify({ samples: ds.sample_count })}\n`);
  } finally {
    heap.stop();
    await store.close();
  }
}

function runInMemory(manifest: string, name: string, env: NodeJS.ProcessEnv): Figures {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--in-memory-child', manifest, name], { encoding: 'utf8', env });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`in-memory child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { rows: (JSON.parse(r.stdout.trim().split('\n').pop()!) as { samples: number }).samples, seconds, ...heapLine(r.stderr) };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--in-memory-child') {
    await inMemoryChild(process.argv[3]!, process.argv[4]!);
    return;
  }
  const rows = Number(arg('--rows') ?? 1_000_000);
  const baseRows = Number(arg('--baseline-rows') ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'eg-manifest-bench-'));
  const adminUrl = arg('--database-url') ?? process.env.DATABASE_URL;
  let env: NodeJS.ProcessEnv;
  let drop = async (): Promise<void> => {};
  if (adminUrl) {
    const { createScratchDatabase } = await import('../../gateway/store/scratch-database.js');
    const scratch = await createScratchDatabase(adminUrl, 'evalgate_manifest_bench');
    env = { ...process.env, DATABASE_URL: scratch.url };
    drop = scratch.drop;
  } else {
    const pgliteDir = join(dir, 'db');
    const config = join(dir, 'evalgate.config.json');
    writeFileSync(config, JSON.stringify({ database: { pgliteDir } }));
    env = { ...process.env, DATABASE_URL: '', EVALGATE_CONFIG: config, EVALGATE_BENCH_PGLITE_DIR: pgliteDir };
  }
  try {
    const big = writeSet(join(dir, 'big'), rows);
    const small = writeSet(join(dir, 'small'), baseRows);
    const mib = (n: number): string => `${n.toFixed(1)} MiB`;
    const show = (label: string, f: Figures): void =>
      console.log(
        `${label}: ${f.rows} samples in ${f.seconds.toFixed(1)} s = ${(f.rows / f.seconds).toFixed(0)} samples/s; peak heap ${mib(f.peakHeapUsedMiB)}, peak ArrayBuffers ${mib(f.peakArrayBuffersMiB)}, peak RSS ${mib(f.peakRssMiB)}`,
      );
    console.log(
      `database: ${adminUrl ? 'PostgreSQL (scratch database)' : 'PGlite'}; manifests: ${rows} rows (${mib(statSync(big).size / 2 ** 20)}) and ${baseRows} rows, 3 shared WAV files`,
    );
    const streamedSmall = runCli(small, 'bench-small', env);
    show(`streamed CLI, ${baseRows} rows`, streamedSmall);
    const inMemory = runInMemory(small, 'bench-in-memory', env);
    show(`baseline: in-memory parseManifest + importDataset, ${baseRows} rows`, inMemory);
    const streamedBig = runCli(big, 'bench-big', env);
    show(`streamed CLI, ${rows} rows`, streamedBig);
    const capMb = Number(arg('--cap-mb') ?? 0);
    if (capMb > 0) {
      // The bound itself: under a small V8 heap limit the same import must still finish (uncapped, V8 lets garbage build up).
      show(`streamed CLI, ${rows} rows, --max-old-space-size=${capMb}`, runCli(big, 'bench-big-capped', env, [`--max-old-space-size=${capMb}`]));
    }
    console.log(
      `ratios: heap streamed ${rows} ÷ streamed ${baseRows} = ${(streamedBig.peakHeapUsedMiB / streamedSmall.peakHeapUsedMiB).toFixed(2)} (rows ×${(rows / baseRows).toFixed(0)}); ` +
        `heap streamed ÷ in-memory at ${baseRows} rows = ${(streamedSmall.peakHeapUsedMiB / inMemory.peakHeapUsedMiB).toFixed(2)}`,
    );
  } finally {
    await drop();
  }
}

await main();
