// kill -9 of the built `evalgate duplex` (issue 17) while a scenario is being
// played, after at least one scenario is stored; then the same command: it
// continues the same run, plays only the scenarios without a stored recording,
// stores none twice (one prediction and one FLAC per scenario, no temporary
// files left), and scores what a clean run against the same upstream scores.
// PostgreSQL of the test's own; scenarios play in real time (about 45 s).
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { startDuplexChaos, type DuplexChaosKit } from './duplex-chaos-kit.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 of evalgate duplex mid-scenario, then the same command (built CLI, private PostgreSQL, scripted realtime upstream)', () => {
  let pg: PrivatePostgres;
  let kit: DuplexChaosKit;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    // `eager` is played by the CLI and killed; `eager-ref` behaves the same and is played once, cleanly, in this process.
    kit = await startDuplexChaos({ databaseUrl: pg.url, models: ['eager', 'eager-ref'] });
  }, 120_000);
  afterAll(async () => {
    await kit?.dispose();
    await pg?.dispose();
  });

  const waitFor = async (cond: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  };

  it('continues the same run, plays only the scenarios without a recording, stores each once, scores like a clean run', async () => {
    const n = kit.keys.length;
    expect(n).toBe(3);
    // The clean reference imports the dataset first (two processes importing one manifest at once would race), then plays meanwhile.
    const config = configSchema.parse(kit.rawConfig);
    const ref = await prepareRun(kit.store.db, config, { dataset: kit.manifest, modelId: 'eager-ref', asrModel: 'ps' }, (m) => createModel(m));
    const clean = executeLocalRun(kit.store.db, ref, { concurrency: 3, timeoutMs: 60_000 });
    try {
      const first = kit.spawnDuplex('eager', 1);
      let runId = '';
      // At least one scenario stored, and the next one being played (its upstream session open).
      await waitFor(async () => {
        const run = await kit.runOf('eager');
        if (!run) return false;
        runId = run.id;
        const ok = (await kit.predictionsOf(runId)).filter((p) => p.status === 'ok').length;
        const sessions = kit.sessionsOf('eager');
        const last = sessions[sessions.length - 1];
        return ok >= 1 && ok < n && sessions.length > ok && last !== undefined && !kit.isClosed(last);
      }, 'a stored scenario and the next one playing');
      // Into the scenario: audio has been appended and the upstream may be answering.
      await sleep(1000);
      first.child.kill('SIGKILL');
      const killed = await first.exited;
      expect(killed.signal).toBe('SIGKILL');

      const atKill = await kit.predictionsOf(runId);
      const storedAtKill = atKill.filter((p) => p.status === 'ok');
      const k = storedAtKill.length;
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k).toBeLessThan(n);
      expect(atKill).toHaveLength(k);
      const sessionsAtKill = kit.sessionsOf('eager').length;
      // The scenario being played at the kill was started but never stored; on a loaded machine the one before it may
      // have finished playing and still be being heard (hearing runs beside the next scenario's playing).
      expect(sessionsAtKill, `sessions at the kill with ${k} stored`).toBeGreaterThan(k);
      expect(sessionsAtKill).toBeLessThanOrEqual(Math.min(n, k + 2));
      const mtimes = new Map<string, number>();
      for (const p of storedAtKill) mtimes.set(p.mediaPath!, (await stat(p.mediaPath!)).mtimeMs);

      const second = kit.spawnDuplex('eager', 1);
      const out = await second.exited;
      expect(out.code, out.stderr).toBe(0);
      const doc = JSON.parse(out.stdout) as {
        runId: string;
        status: string;
        resumed: boolean;
        counts: { ok: number; failed: number };
        metrics: Record<string, number>;
        thisExecution: { ok: number; failed: number };
      };
      expect(doc, `${out.stderr}\n${JSON.stringify({ counts: doc.counts, warnings: (doc as { warnings?: unknown }).warnings })}`).toMatchObject({
        runId,
        status: 'completed',
        resumed: true,
        counts: { ok: n, failed: 0 },
      });
      // Only the scenarios without a stored recording were played again: one upstream session each.
      expect(doc.thisExecution).toMatchObject({ ok: n - k, failed: 0 });
      expect(kit.sessionsOf('eager').length - sessionsAtKill, `sessions played by the second command (${k} stored at the kill)`).toBe(n - k);
      const runs = await kit.store.db.selectFrom('runs').select('id').where('model_id', '=', 'eager').execute();
      expect(runs.map((r) => r.id)).toEqual([runId]);

      // One prediction per scenario, one FLAC per scenario, and nothing else in the run's folder.
      const rows = await kit.predictionsOf(runId);
      expect(rows).toHaveLength(n);
      expect(rows.map((r) => r.key).sort()).toEqual([...kit.keys].sort());
      expect(rows.every((r) => r.status === 'ok')).toBe(true);
      const paths = rows.map((r) => r.mediaPath!);
      expect(new Set(paths).size).toBe(n);
      for (const p of paths) expect(p.startsWith(join(kit.cacheDir, 'duplex', runId) + '/')).toBe(true);
      const files = await kit.recordingFiles(runId);
      expect(files).toEqual(paths.map((p) => basename(p)).sort());
      expect(files.filter((f) => f.endsWith('.tmp.flac') || f.endsWith('.wav'))).toEqual([]);
      // Recordings stored before the kill were left alone.
      for (const [p, m] of mtimes) expect((await stat(p)).mtimeMs, p).toBe(m);

      // Same upstream behaviour, same scores: the turn-over rates and the behaviour accuracy match exactly.
      const reference = await clean;
      expect(reference.report.counts).toMatchObject({ ok: n, failed: 0 });
      const refMetrics = reference.report.metrics as Record<string, number>;
      expect(refMetrics).toMatchObject({ pause_tor: 1, turn_tor: 1 });
      for (const key of [
        'pause_tor',
        'turn_tor',
        'interrupt_tor',
        'kept_talking',
        'behaviour_accuracy',
        'n_pause-handling',
        'n_smooth-turn-taking',
        'n_user-interruption',
      ]) {
        expect(refMetrics[key], key).toBeTypeOf('number');
        expect(doc.metrics[key], key).toBe(refMetrics[key]);
      }
      // Latencies follow the same clock: within 0.5 s of the clean run's.
      for (const key of ['turn_latency_s', 'interrupt_latency_s']) {
        if (refMetrics[key] === undefined) continue;
        expect(Math.abs(doc.metrics[key]! - refMetrics[key]!), key).toBeLessThan(0.5);
      }
    } finally {
      await clean.catch(() => undefined);
    }
  }, 150_000);
});
