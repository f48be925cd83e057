import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { answersFor, configWithModel, writeMcqManifest } from './runner-fixtures.js';
import { startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

// A real ENOSPC: the response cache lives on a 64 KiB tmpfs that a filler
// file has filled. CI runs as root on the same kind of machine, so the mount
// works there too; this test does not skip.
describe('a full disk under the response cache (real tmpfs, PGlite)', () => {
  let mnt: string;
  let ts: TestStore;
  let server: ScriptedServer;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;

  beforeAll(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'evalgate-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    // Fill it: the filler stops at ENOSPC (dd exits non-zero then, which is the point).
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4096'], { stdio: 'ignore' });
    } catch {
      // "No space left on device": full.
    }
    fixture = await writeMcqManifest(6, 'c');
    server = await startScriptedServer({ answers: answersFor(fixture.samples), latencyMs: 1 });
    ts = await createPgliteTestStore();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    await fixture?.dispose();
    if (mnt) {
      try {
        execFileSync('umount', [mnt]);
      } catch {
        // not mounted
      }
      await rm(mnt, { recursive: true, force: true });
    }
  });

  it('is best effort: the run completes, one warning names ENOSPC, no *.tmp file is left', async () => {
    // The disk really is full.
    await expect(writeFile(join(mnt, 'probe'), 'x'.repeat(8192))).rejects.toMatchObject({ code: 'ENOSPC' });
    await rm(join(mnt, 'probe'), { force: true });

    const cacheDir = join(mnt, 'responses');
    const prepared = await prepareRun(ts.store.db, configWithModel(server.baseUrl), { dataset: fixture.manifestPath, modelId: 'scripted' }, (m) =>
      createModel(m),
    );
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 10_000, cacheDir });
    expect(result.report.status).toBe('completed');
    expect(result.report.counts).toMatchObject({ ok: 6, failed: 0, pending: 0 });
    const cacheWarnings = result.report.warnings.filter((w) => w.startsWith('response cache'));
    expect(cacheWarnings).toHaveLength(1);
    expect(cacheWarnings[0]).toMatch(/ENOSPC/);
    const left = await filesUnder(mnt);
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect([...server.requests.values()].reduce((a, b) => a + b, 0)).toBe(6);
  }, 60_000);
});
