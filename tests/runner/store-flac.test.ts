import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { storeFlac } from '../../gateway/runner/store-flac.js';

// storeFlac (spoken answers, duplex recordings): the FLAC is renamed into place when whole, and the
// temporary files of a writer that died (kill -9) are swept, never those of a process still running.
describe('storeFlac', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-flac-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps a dead writer’s temporary files once, keeps a live one’s, and stores the FLAC', async () => {
    // A pid that surely ended: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const live = process.ppid; // the test runner's parent: alive while this runs
    await writeFile(join(dir, `aaaa.${dead}.wav`), 'x');
    await writeFile(join(dir, `aaaa.${dead}.tmp.flac`), 'x');
    await writeFile(join(dir, `bbbb.${live}.wav`), 'x');
    await writeFile(join(dir, 'keep.flac'), 'x');
    const path = await storeFlac(encodeWav16(new Float32Array(1600), 16_000), dir, 'sample-1');
    expect(existsSync(path)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([path.split('/').pop()!, `bbbb.${live}.wav`, 'keep.flac'].sort());
  });
});
