import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { isEvalgateError } from '../../gateway/errors.js';
import { createModel } from '../../gateway/models/create-model.js';
import { runDistributed } from '../../gateway/runner/distributed/run-distributed.js';
import { runWorker } from '../../gateway/runner/distributed/run-worker.js';
import { assertDistributable, enqueueSamples, openSampleQueue } from '../../gateway/runner/distributed/sample-queue.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { RunSpill, spillPathOf } from '../../gateway/runner/run-spill.js';
import type { RetryPolicy } from '../../gateway/runner/retry-policy.js';
import { getRun } from '../../gateway/store/run-repo.js';
import { listPendingSamples } from '../../gateway/store/run-scope-repo.js';
import { scoreTask } from '../../scorers/score-task.js';
import { createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { answersFor, configWithModel, writeMcqManifest } from './runner-fixtures.js';
import { startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

const hasPostgres = await postgresAvailable();
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 };
const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

describe.skipIf(!hasPostgres)('distributed workers on pg-boss (PostgreSQL)', () => {
  let ts: TestStore;
  let server: ScriptedServer;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;

  beforeAll(async () => {
    fixture = await writeMcqManifest(30, 'w');
    const scripts = {
      [defined(fixture.samples[3], 'sample #3').id]: [{ kind: 'error' as const, status: 500 }, 'ok' as const],
      [defined(fixture.samples[7], 'sample #7').id]: ['drop' as const, 'ok' as const],
    };
    server = await startScriptedServer({ answers: answersFor(fixture.samples), scripts, latencyMs: 30 });
    ts = await createPostgresTestStore();
  });
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    await fixture?.dispose();
  });

  it('two workers leave exactly one prediction per sample, and redelivered jobs do nothing', async () => {
    const config = configWithModel(server.baseUrl, { databaseUrl: ts.url });
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
    const queued = await runDistributed(ts.store, config, prepared, { timeoutMs: 2000, retry });
    expect(queued.enqueued).toBe(30);
    expect(queued.counts.pending).toBe(30);

    const work = async () => {
      const boss = await openSampleQueue(ts.url!);
      try {
        return await runWorker({
          db: ts.store.db,
          boss,
          config,
          loadModel: (m) => createModel(m),
          concurrency: 3,
          timeoutMs: 2000,
          retry,
          exitWhenIdleMs: 1500,
          pollIntervalMs: 100,
        });
      } finally {
        await boss.stop({ graceful: true, wait: true, close: true });
      }
    };
    const [a, b] = await Promise.all([work(), work()]);
    expect(a.jobs).toBeGreaterThan(0);
    expect(b.jobs).toBeGreaterThan(0);
    expect(a.ok + b.ok).toBe(30);

    const perSample = await ts.store.db
      .selectFrom('predictions')
      .select(['sample_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('run_id', '=', prepared.run.id)
      .groupBy(['sample_id', 'status'])
      .execute();
    expect(perSample).toHaveLength(30);
    expect(perSample.every((r) => Number(r.n) === 1 && r.status === 'ok')).toBe(true);

    const run = await getRun(ts.store.db, prepared.run.id);
    expect(run?.status).toBe('completed');
    const summary = run?.summary as { counts: Record<string, number>; metrics: Record<string, unknown> };
    expect(summary.counts).toMatchObject({ ok: 30, failed: 0, pending: 0 });
    const direct = scoreTask(
      fixture.samples.map((s) => ({ id: s.id, answer: s.answer, choices: s.choices, prediction: server.answered.get(s.id)! })),
      { task: 'mcq' },
    );
    expect(summary.metrics).toEqual(direct.metrics);

    // At-least-once delivery: the same samples delivered again cost no model call and no second row.
    const requestsBefore = [...server.requests.values()].reduce((x, y) => x + y, 0);
    const boss = await openSampleQueue(ts.url!);
    const all = await ts.store.db.selectFrom('samples').select('id').where('dataset_id', '=', prepared.config.dataset.id).execute();
    await enqueueSamples(
      boss,
      prepared.run.id,
      all.map((s) => s.id),
    );
    await boss.stop({ graceful: true, wait: true, close: true });
    const again = await work();
    expect(again.alreadyDone).toBe(30);
    expect([...server.requests.values()].reduce((x, y) => x + y, 0)).toBe(requestsBefore);
    expect(await listPendingSamples(ts.store.db, { id: prepared.run.id, datasetId: prepared.config.dataset.id, task: 'mcq' })).toHaveLength(0);
  }, 120_000);

  // Issue 13 #11 for workers: a sample whose jobs are held at once (enqueued twice, by two workers or
  // by one) is claimed in run_claims before the model call, so the model answers it once.
  it('a sample enqueued twice and held by two workers at once costs one model call', async () => {
    const dup = await writeMcqManifest(6, 'dup');
    const slow = await startScriptedServer({ answers: answersFor(dup.samples), latencyMs: 400 });
    try {
      const config = configWithModel(slow.baseUrl, { databaseUrl: ts.url });
      const prepared = await prepareRun(ts.store.db, config, { dataset: dup.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
      await prepared.model.close?.();
      const pending = await listPendingSamples(ts.store.db, { id: prepared.run.id, datasetId: prepared.config.dataset.id, task: 'mcq' });
      const boss = await openSampleQueue(ts.url!);
      // Each sample twice, side by side: one worker's batch, or both workers' first batches, hold both copies.
      await enqueueSamples(
        boss,
        prepared.run.id,
        pending.flatMap((s) => [s.id, s.id]),
      );
      await boss.stop({ graceful: true, wait: true, close: true });
      const work = async () => {
        const b = await openSampleQueue(ts.url!);
        try {
          return await runWorker({
            db: ts.store.db,
            boss: b,
            config,
            loadModel: (m) => createModel(m),
            concurrency: 6,
            timeoutMs: 5000,
            retry,
            exitWhenIdleMs: 1000,
            pollIntervalMs: 50,
          });
        } finally {
          await b.stop({ graceful: true, wait: true, close: true });
        }
      };
      const [a, b] = await Promise.all([work(), work()]);
      expect(a.jobs + b.jobs).toBe(12);
      expect(a.ok + b.ok).toBe(6);
      expect([...slow.requests.values()].reduce((x, y) => x + y, 0)).toBe(6);
      expect([...slow.requests.values()].every((c) => c === 1)).toBe(true);
      const finished = await ts.store.db
        .selectFrom('audit_log')
        .select('id')
        .where('subject', '=', prepared.run.id)
        .where('action', '=', 'run.finished')
        .execute();
      expect(finished).toHaveLength(1);
    } finally {
      await slow.close();
      await dup.dispose();
    }
  }, 60_000);

  it('a worker writes the answers another one spilled before giving up, even with no job of that run to fetch', async () => {
    // The jobs those answers came from may stay active in pg-boss until they expire: no worker
    // would fetch them, so replaying only when a job of the run arrives would leave them on disk.
    const spilled = await writeMcqManifest(3, 'sp');
    const spillDir = join(spilled.dir, 'spill');
    try {
      const config = configWithModel(server.baseUrl, { databaseUrl: ts.url });
      const prepared = await prepareRun(ts.store.db, config, { dataset: spilled.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
      await prepared.model.close?.();
      const samples = await listPendingSamples(ts.store.db, { id: prepared.run.id, datasetId: prepared.config.dataset.id, task: 'mcq' });
      expect(samples).toHaveLength(3);
      const spill = new RunSpill(spillDir, prepared.run.id);
      const kept = samples.slice(0, 2).map((x) => ({ runId: prepared.run.id, sampleId: x.id, status: 'ok' as const, outputText: 'B', attempts: 1 }));
      await spill.append(kept.map((write) => ({ type: 'prediction' as const, write })));
      await spill.close(false);

      const boss = await openSampleQueue(ts.url!);
      try {
        const totals = await runWorker({
          db: ts.store.db,
          boss,
          config,
          loadModel: (m) => createModel(m),
          concurrency: 1,
          timeoutMs: 2000,
          retry,
          exitWhenIdleMs: 300,
          pollIntervalMs: 50,
          spillDir,
        });
        expect(totals.jobs).toBe(0);
      } finally {
        await boss.stop({ graceful: true, wait: true, close: true });
      }
      const rows = await ts.store.db.selectFrom('predictions').select(['sample_id', 'status', 'output_text']).where('run_id', '=', prepared.run.id).execute();
      expect(rows.map((r) => r.sample_id).sort()).toEqual(kept.map((k) => k.sampleId).sort());
      expect(rows.every((r) => r.status === 'ok' && r.output_text === 'B')).toBe(true);
      expect(existsSync(spillPathOf(spillDir, prepared.run.id))).toBe(false);
    } finally {
      await spilled.dispose();
    }
  }, 60_000);
});

describe('distributed mode on the embedded database', () => {
  it('is refused with EVALGATE_ERR_DISTRIBUTED_NEEDS_POSTGRES', () => {
    let caught: unknown;
    try {
      assertDistributable({ backend: 'pglite' }, undefined);
    } catch (err) {
      caught = err;
    }
    expect(isEvalgateError(caught) && caught.code).toBe('EVALGATE_ERR_DISTRIBUTED_NEEDS_POSTGRES');
  });

  it('`evalgate worker` on a real PGlite store exits 1 with that code', async () => {
    const cli = join(repo, 'dist/gateway/cli/main.js');
    if (!existsSync(cli)) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-pglite-worker-'));
    try {
      const cfg = join(dir, 'evalgate.config.json');
      await writeFile(cfg, JSON.stringify({ database: { pgliteDir: join(dir, 'db') } }));
      const out = spawnSync(process.execPath, [cli, '--config', cfg, 'worker', '--json'], {
        cwd: repo,
        env: { ...process.env, DATABASE_URL: '' },
        encoding: 'utf8',
      });
      expect(out.status).toBe(1);
      expect(out.stderr).toContain('EVALGATE_ERR_DISTRIBUTED_NEEDS_POSTGRES');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
