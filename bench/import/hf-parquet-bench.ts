// Imports a generated Hugging Face-style parquet shard of 10,000 small embedded
// PNG images (`datasets` layout: image struct{bytes, path}, a string
// question, a list<string> answer, row groups of 100 rows as `datasets`
// writes image tables) with importHfParquet, in a child process, and prints:
//   - samples per second (rows read, media hashed and written under
//     media/sha256/, manifest lines written);
//   - the largest heap used, counting the ArrayBuffers that hold the image
//     bytes (process.memoryUsage() heapUsed + arrayBuffers, sampled every 5 ms
//     and after every row group), and the peak RSS;
//   - the same two figures for a baseline measured in the same run: reading
//     the whole file at once with parquetReadObjects (what a non-streaming
//     import would hold), and the ratio streamed ÷ baseline;
//   - a second streamed run under --max-old-space-size=48, which must finish.
// Usage: node dist/bench/import/hf-parquet-bench.js [--rows 10000] [--size 32]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

interface ChildResult {
  readonly mode: 'stream' | 'whole';
  readonly rows: number;
  readonly seconds: number;
  readonly peakHeapMiB: number;
  readonly peakRssMiB: number;
}

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

/** A valid RGB PNG of noise (so every image differs and compresses poorly, like photos). */
function noisePng(size: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) randomBytes(size * 3).copy(raw, y * (size * 3 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function writeShard(file: string, rows: number, size: number): Promise<void> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const utf8 = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } as const;
  const features = {
    question: { dtype: 'string', _type: 'Value' },
    answer: { feature: { dtype: 'string', _type: 'Value' }, _type: 'Sequence' },
    image: { _type: 'Image' },
  };
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'question', data: Array.from({ length: rows }, (_, i) => `what is written in image ${i}?`) },
      { name: 'answer', data: Array.from({ length: rows }, (_, i) => [`w${i}`]) },
      { name: 'image', data: Array.from({ length: rows }, (_, i) => ({ bytes: noisePng(size), path: `${i}.png` })) },
    ],
    schema: [
      { name: 'schema', num_children: 3 },
      { name: 'question', ...utf8 },
      { name: 'answer', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', ...utf8 },
      { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', ...utf8 },
    ],
    codec: 'SNAPPY',
    rowGroupSize: 100,
    kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }],
  });
}

/** Runs in the child: one import (or one whole-file read), memory sampled throughout. */
async function child(mode: 'stream' | 'whole', shard: string, outDir: string): Promise<void> {
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  let peak = used();
  const sample = (): void => {
    peak = Math.max(peak, used());
  };
  const timer = setInterval(sample, 5);
  const t0 = process.hrtime.bigint();
  let rows: number;
  if (mode === 'stream') {
    const { importHfParquet } = await import('../../datasets/importers/import-hf-parquet.js');
    const r = await importHfParquet([shard], { outDir, task: 'ocr', map: { reference: 'answer' }, onProgress: sample });
    rows = r.sampleCount;
  } else {
    const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
    const { compressors } = await import('hyparquet-compressors');
    const all = await parquetReadObjects({ file: await asyncBufferFromFile(shard), utf8: false, compressors });
    sample();
    rows = all.length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  sample();
  const result: ChildResult = { mode, rows, seconds, peakHeapMiB: peak / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(mode: 'stream' | 'whole', shard: string, outDir: string, nodeArgs: string[] = []): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...nodeArgs, self, '--child', mode, shard, outDir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] as 'stream' | 'whole', process.argv[4]!, process.argv[5]!);
    return;
  }
  const rows = arg('--rows', 10_000);
  const size = arg('--size', 32);
  const dir = mkdtempSync(join(tmpdir(), 'eg-hf-bench-'));
  const shard = join(dir, 'test-00000-of-00001.parquet');
  await writeShard(shard, rows, size);
  const mib = (n: number): string => `${n.toFixed(1)} MiB`;
  console.log(
    `shard: ${rows} rows, ${size}x${size} noise PNGs (~${(noisePng(size).length / 1024).toFixed(1)} KiB each), ${mib(statSync(shard).size / 2 ** 20)}, snappy, row groups of 100`,
  );
  const stream = runChild('stream', shard, join(dir, 'set1'));
  const whole = runChild('whole', shard, join(dir, 'unused'));
  const capped = runChild('stream', shard, join(dir, 'set2'), ['--max-old-space-size=48']);
  console.log(
    `streamed import: ${(stream.rows / stream.seconds).toFixed(0)} samples/s (${stream.seconds.toFixed(2)} s), peak heap + buffers ${mib(stream.peakHeapMiB)}, peak RSS ${mib(stream.peakRssMiB)}`,
  );
  console.log(
    `baseline, whole file read at once (no media written): peak heap + buffers ${mib(whole.peakHeapMiB)}, peak RSS ${mib(whole.peakRssMiB)}, ${whole.seconds.toFixed(2)} s`,
  );
  console.log(
    `ratio streamed ÷ baseline: heap ${(stream.peakHeapMiB / whole.peakHeapMiB).toFixed(2)}, RSS ${(stream.peakRssMiB / whole.peakRssMiB).toFixed(2)}`,
  );
  console.log(
    `streamed under --max-old-space-size=48: ${capped.rows} samples, ${(capped.rows / capped.seconds).toFixed(0)} samples/s, peak heap + buffers ${mib(capped.peakHeapMiB)}`,
  );
}

await main();
