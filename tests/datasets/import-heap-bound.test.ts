import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { prepareDataset } from '../../datasets/prepare-dataset.js';
import { cliBin } from '../helpers/run-cli.js';
import { put, toneWav } from './fixtures.js';

// The heap bound of `datasets import` (issue 18): a manifest too large for the
// in-memory parser under a small --max-old-space-size imports under the same
// limit through the real CLI process, with the digests the in-memory path
// computes. Not timed: the bound is on memory, asserted by the V8 limit itself
// (a process over it dies) and by the peak the CLI reports.

const ROWS = 100_000;
const HEAP_MB = 64;

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('datasets import: bounded heap', () => {
  it(`imports ${ROWS} rows sharing 3 WAV files under --max-old-space-size=${HEAP_MB}, where parseManifest runs out of heap`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-heap-'));
    for (let k = 0; k < 3; k++) await put(join(dir, 'set', 'audio', `a${k}.wav`), toneWav(0.5 + k / 4, k));
    const manifest = join(dir, 'set', 'manifest.jsonl');
    const fd = openSync(manifest, 'w');
    for (let i = 0; i < ROWS; i += 10_000) {
      const chunk: string[] = [];
      for (let j = i; j < Math.min(ROWS, i + 10_000); j++) {
        chunk.push(
          JSON.stringify({
            id: `utt-${String(j).padStart(7, '0')}`,
            task: 'asr',
            audio: `audio/a${j % 3}.wav`,
            reference: `the quick brown fox jumps over the lazy dog ${j}`,
            lang: 'en',
            tags: ['heap/shared-media'],
          }),
        );
      }
      writeSync(fd, `${chunk.join('\n')}\n`);
    }
    closeSync(fd);
    const config = join(dir, 'evalgate.config.json');
    await writeFile(config, JSON.stringify({ database: { pgliteDir: join(dir, 'db') } }));
    const env = { ...process.env, DATABASE_URL: '', EVALGATE_REPORT_HEAP: '1' };
    const cap = `--max-old-space-size=${HEAP_MB}`;

    // The in-memory path holds the whole manifest: under the cap it dies for lack of heap.
    const parseManifestJs = fileURLToPath(new URL('../../dist/datasets/parse-manifest.js', import.meta.url));
    const inMemory = await run(
      [cap, '--input-type=module', '-e', `await (await import(${JSON.stringify(parseManifestJs)})).parseManifest(process.argv[1])`, manifest],
      env,
    );
    expect(inMemory.code).not.toBe(0);
    expect(inMemory.stderr).toMatch(/heap out of memory|Reached heap limit/);

    const r = await run([cap, cliBin, '-c', config, 'datasets', 'import', 'manifest', manifest, '--name', 'heap-bound', '--json'], env);
    expect(r.stderr).toMatch(/^evalgate-heap /m);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { samples: number; merkleRoot: string; manifestDigest: string; tasks: Record<string, number> };
    expect(doc.samples).toBe(ROWS);
    expect(doc.tasks).toEqual({ asr: ROWS });
    const heap = JSON.parse(/^evalgate-heap (.*)$/m.exec(r.stderr)![1]!) as { peakHeapUsedMiB: number };
    expect(heap.peakHeapUsedMiB).toBeGreaterThan(0);
    expect(heap.peakHeapUsedMiB).toBeLessThan(HEAP_MB);

    // Same digests as the in-memory path computes (here, in the test's own unbounded heap).
    const prepared = await prepareDataset(await parseManifest(manifest), { probeDurationS: undefined });
    expect(doc.manifestDigest).toBe(prepared.manifestDigest);
    expect(doc.merkleRoot).toBe(prepared.merkleRoot);
  }, 180_000);
});
