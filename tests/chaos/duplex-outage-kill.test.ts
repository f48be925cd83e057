// kill -9 of the built `evalgate duplex` during a PostgreSQL outage (issue
// 17): the scenarios that finished while the database was away exist only in
// the run's spill file (and their FLACs on disk) when the process dies. The
// same command, once the database is back, replays the spill file: the run
// completes without playing any scenario again, each stored once with its
// scores, and the spill file is gone. PostgreSQL of the test's own; about 35 s.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSpill, spillDirOf, spillPathOf } from '../../gateway/runner/run-spill.js';
import { retried, startDuplexChaos, waitFor, type DuplexChaosKit } from './duplex-chaos-kit.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

describe('kill -9 of evalgate duplex during a PostgreSQL outage, then the same command (built CLI, private PostgreSQL)', () => {
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

  it('the observations kept in the spill file are stored on the next start; no scenario is played twice', async () => {
    const n = kit.keys.length;
    const first = kit.spawnDuplex('eager', n);
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

    const spillDir = spillDirOf(kit.cacheDir);
    const spilledKeys = async (): Promise<Set<string>> =>
      new Set((await readSpill(spillDir, runId)).flatMap((r) => (r.type === 'prediction' && r.write.status === 'ok' ? [r.write.sampleId] : [])));
    await waitFor(async () => (await spilledKeys()).size >= n - storedBefore, 'the other scenarios in the spill file', 45_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(kit.sessionsOf('eager')).toHaveLength(n);
    await pg.start();
    down = false;
    // The killed process never wrote them: only the spill file has those observations.
    expect(await retried(() => kit.predictionsOf(runId))).toHaveLength(storedBefore);
    expect(existsSync(spillPathOf(spillDir, runId))).toBe(true);

    const second = kit.spawnDuplex('eager', n);
    const out = await second.exited;
    expect(out.code, out.stderr).toBe(0);
    const doc = JSON.parse(out.stdout) as {
      runId: string;
      status: string;
      resumed: boolean;
      counts: { ok: number; failed: number; pending: number };
      metrics: Record<string, number>;
      thisExecution: { ok: number; failed: number };
    };
    expect(doc).toMatchObject({ runId, status: 'completed', resumed: true, counts: { ok: n, failed: 0, pending: 0 } });
    // Nothing was played by the second command.
    expect(doc.thisExecution).toMatchObject({ ok: 0, failed: 0 });
    expect(kit.sessionsOf('eager')).toHaveLength(n);
    // Scored from the replayed observations: the eager upstream takes over the pause and takes its turn.
    expect(doc.metrics).toMatchObject({ pause_tor: 1, turn_tor: 1, 'n_pause-handling': 1, 'n_smooth-turn-taking': 1, 'n_user-interruption': 1 });

    const rows = await kit.predictionsOf(runId);
    expect(rows).toHaveLength(n);
    expect(rows.map((r) => r.key).sort()).toEqual([...kit.keys].sort());
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    const files = await kit.recordingFiles(runId);
    expect(files).toEqual(rows.map((r) => basename(r.mediaPath!)).sort());
    expect(files.every((f) => f.endsWith('.flac') && !f.endsWith('.tmp.flac'))).toBe(true);
    const scored = await kit.store.db
      .selectFrom('scores as s')
      .innerJoin('predictions as p', 'p.id', 's.prediction_id')
      .select('p.sample_id')
      .distinct()
      .where('p.run_id', '=', runId)
      .execute();
    expect(scored).toHaveLength(n);
    expect(existsSync(spillPathOf(spillDir, runId))).toBe(false);
  }, 120_000);
});
