// A PostgreSQL outage in the middle of a built `evalgate duplex` run (issue
// 17): the database of the test's own is stopped once one scenario is stored,
// while the other two are still playing, and started again (well within
// runner.dbOutageMaxMs) only after both finished and were kept in the run's
// spill file. The run completes, every scenario is stored exactly once with
// its FLAC, no scenario is played twice, and the spill file is gone. About 30 s.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSpill, spillDirOf, spillPathOf } from '../../gateway/runner/run-spill.js';
import { retried, startDuplexChaos, waitFor, type DuplexChaosKit } from './duplex-chaos-kit.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a PostgreSQL outage during evalgate duplex (built CLI, private PostgreSQL, scripted realtime upstream)', () => {
  let pg: PrivatePostgres;
  let kit: DuplexChaosKit;
  let down = false;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    kit = await startDuplexChaos({ databaseUrl: pg.url, models: ['eager'], dbOutageMaxMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    if (down) await pg?.start();
    await kit?.dispose();
    await pg?.dispose();
  });

  it('the run waits the outage out: each scenario played once, stored once, nothing lost', async () => {
    const n = kit.keys.length;
    // All three play at once (9.4 s, 13.3 s and 14.1 s of audio): the shortest is stored first, the others end during the outage.
    const run = kit.spawnDuplex('eager', n);
    let runId = '';
    let storedBefore = 0;
    await waitFor(async () => {
      const r = await kit.runOf('eager');
      if (!r) return false;
      runId = r.id;
      storedBefore = (await kit.predictionsOf(runId)).length;
      return storedBefore >= 1;
    }, 'a stored scenario');
    expect(storedBefore).toBeLessThan(n);
    down = true;
    await pg.stop();
    const stoppedAt = Date.now();
    expect(kit.sessionsOf('eager')).toHaveLength(n);

    // The scenarios still playing finish while the database is away: their observations go to the spill file (fsync'd).
    const spillDir = spillDirOf(kit.cacheDir);
    const spilledKeys = async (): Promise<Set<string>> =>
      new Set((await readSpill(spillDir, runId)).flatMap((r) => (r.type === 'prediction' && r.write.status === 'ok' ? [r.write.sampleId] : [])));
    await waitFor(async () => (await spilledKeys()).size >= n - storedBefore, 'the other scenarios in the spill file', 45_000);
    const spilled = await readSpill(spillDir, runId);
    // Each spilled observation carries its FLAC, already on disk.
    for (const r of spilled) {
      if (r.type !== 'prediction') continue;
      const media = (r.write.rawResponse as { duplex: { mediaPath: string } }).duplex.mediaPath;
      expect(existsSync(media), media).toBe(true);
    }
    await sleep(500);
    await pg.start();
    down = false;
    const outageMs = Date.now() - stoppedAt;

    const out = await run.exited;
    expect(out.code, out.stderr).toBe(0);
    const doc = JSON.parse(out.stdout) as { runId: string; status: string; counts: { ok: number; failed: number; pending: number } };
    expect(doc).toMatchObject({ runId, status: 'completed', counts: { ok: n, failed: 0, pending: 0 } });
    expect(out.stderr).toMatch(/database unavailable .*answers are kept/);
    expect(out.stderr).toMatch(/database back after \d+\.\d s/);
    // Played once each: an observation kept through the outage is never asked for again.
    expect(kit.sessionsOf('eager')).toHaveLength(n);

    const rows = await retried(() => kit.predictionsOf(runId));
    expect(rows).toHaveLength(n);
    expect(rows.map((r) => r.key).sort()).toEqual([...kit.keys].sort());
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    const files = await kit.recordingFiles(runId);
    expect(files).toEqual(rows.map((r) => basename(r.mediaPath!)).sort());
    expect(files.every((f) => f.endsWith('.flac') && !f.endsWith('.tmp.flac'))).toBe(true);
    // Scored: each stored observation has its per-scenario scores.
    const scored = await retried(() =>
      kit.store.db
        .selectFrom('scores as s')
        .innerJoin('predictions as p', 'p.id', 's.prediction_id')
        .select('p.sample_id')
        .distinct()
        .where('p.run_id', '=', runId)
        .execute(),
    );
    expect(scored).toHaveLength(n);
    // Everything spilled was written: the spill file is gone.
    expect(existsSync(spillPathOf(spillDir, runId))).toBe(false);
    expect(outageMs).toBeGreaterThan(1000);
  }, 120_000);
});
