// readPredictionsInWorker must answer exactly what readPredictions answers: the same rows (ids,
// predictions, nulls, places) and the same errors, whether the file is read on a worker thread (large
// files) or in-thread (small ones). The worker runs the compiled build (dist/), as CI builds first.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPredictions } from '../../gateway/score-input/read-predictions.js';
import { readPredictionsInWorker, WORKER_MIN_BYTES } from '../../gateway/score-input/read-predictions-in-worker.js';

const built = new URL('../../dist/gateway/score-input/prediction-read-worker.js', import.meta.url);

/** The error a read rejects with; a read that succeeds fails the test. */
async function failure(read: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  return read.then(
    () => {
      throw new Error('expected the read to fail');
    },
    (e: unknown) => e as NodeJS.ErrnoException,
  );
}

async function bigFile(lines: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-pred-worker-'));
  const file = path.join(dir, 'preds.jsonl');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** Enough plain-layout lines to pass the worker threshold, with multi-byte text, nulls and numeric ids. */
function predictionLines(): string[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < WORKER_MIN_BYTES + (1 << 20); i++) {
    const prediction = i % 13 === 0 ? null : i % 5 === 0 ? '' : `${'语音识别 '.repeat(i % 4)}answer ${i} ${'x'.repeat(i % 90)}`;
    const line = JSON.stringify({ id: i % 3 === 0 ? i : `s${i}`, prediction });
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return lines;
}

describe('readPredictionsInWorker', () => {
  it('has the compiled worker to run (npm run build)', () => {
    expect(existsSync(built), `${built.pathname} is missing: run npm run build`).toBe(true);
  });

  it('answers the same rows as readPredictions for a file large enough to go to the worker', async () => {
    const file = await bigFile(predictionLines());
    const direct = await readPredictions(file);
    const read = readPredictionsInWorker(file);
    const viaWorker = await read.result;
    expect(read.usedWorker()).toBe(true);
    expect(direct.rows.length).toBeGreaterThan(50_000);
    expect(direct.rows.some((r) => r.prediction === null)).toBe(true);
    expect(viaWorker).toEqual(direct);
  });

  it('rebuilds the same error, with the same line, for a bad line deep in a large file', async () => {
    const lines = predictionLines();
    lines[lines.length - 7] = '{"id": "s-bad", "prediction": 42}';
    const file = await bigFile(lines);
    const direct = await failure(readPredictions(file));
    const viaWorker = await failure(readPredictionsInWorker(file).result);
    expect(direct).toBeInstanceOf(Error);
    expect(direct.message).toContain(`:${lines.length - 6}: prediction: must be a string or null`);
    expect(viaWorker.constructor).toBe(direct.constructor);
    expect(viaWorker.code).toBe(direct.code);
    expect(viaWorker.message).toBe(direct.message);
  });

  it('reports a duplicate id as readPredictions does', async () => {
    const lines = predictionLines();
    lines.push(lines[10]!);
    const file = await bigFile(lines);
    const direct = await failure(readPredictions(file));
    const viaWorker = await failure(readPredictionsInWorker(file).result);
    expect(direct.message).toMatch(/duplicate id/);
    expect(viaWorker.message).toBe(direct.message);
  });

  it('leaves a missing file to the system error (ENOENT with its path), as readPredictions does', async () => {
    const file = path.join(tmpdir(), `evalgate-no-such-${process.pid}.jsonl`);
    const err = await failure(readPredictionsInWorker(file).result);
    expect(err.code).toBe('ENOENT');
    expect(err.path).toBe(file);
  });

  it('reads a small file in-thread with the same answer', async () => {
    const file = await bigFile(['{"id": "a", "prediction": "x"}', '{"id": 2, "prediction": null}']);
    const read = readPredictionsInWorker(file);
    expect(await read.result).toEqual(await readPredictions(file));
    expect(read.usedWorker()).toBe(false);
  });

  it('stops a read that is cancelled (the references failed first) without an unhandled rejection', async () => {
    const file = await bigFile(predictionLines());
    const read = readPredictionsInWorker(file);
    read.cancel();
    await expect(read.result).rejects.toThrow();
  });
});
