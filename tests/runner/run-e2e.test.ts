import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import type { RetryPolicy } from '../../gateway/runner/retry-policy.js';
import { scoreTask } from '../../scorers/score-task.js';
import { createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { answersFor, configWithModel, writeMcqManifest } from './runner-fixtures.js';
import { startScriptedServer, type ScriptedServer, type ScriptStep } from './scripted-openai-server.js';

const hasPostgres = await postgresAvailable();
const retry: RetryPolicy = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1500 };
const timeoutMs = 400;

// Faults by sample index, and the outcome each must lead to.
const faults: Record<number, { script: ScriptStep[]; status: 'ok' | 'failed'; attempts: number; code?: string }> = {
  1: { script: [{ kind: 'error', status: 500 }, 'ok'], status: 'ok', attempts: 2 },
  2: { script: [{ kind: 'error', status: 503 }], status: 'failed', attempts: 3, code: 'http' },
  3: { script: [{ kind: 'error', status: 429, retryAfterS: 1 }, 'ok'], status: 'ok', attempts: 2 },
  4: { script: [{ kind: 'slow', delayMs: 3000 }, 'ok'], status: 'ok', attempts: 2 },
  5: { script: ['drop', 'ok'], status: 'ok', attempts: 2 },
  6: { script: ['drop'], status: 'failed', attempts: 3, code: 'connection' },
  7: { script: [{ kind: 'error', status: 400 }], status: 'failed', attempts: 1, code: 'http' },
  8: { script: [{ kind: 'slow', delayMs: 3000 }], status: 'failed', attempts: 3, code: 'timeout' },
  9: { script: [{ kind: 'error', status: 429, retryAfterS: 0 }, { kind: 'error', status: 502 }, 'ok'], status: 'ok', attempts: 3 },
};

describe.skipIf(!hasPostgres)('batch run end to end over a fault-injecting OpenAI-compatible server (PostgreSQL)', () => {
  let ts: TestStore;
  let server: ScriptedServer;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;
  let cacheDir: string;

  beforeAll(async () => {
    fixture = await writeMcqManifest(24);
    const scripts = Object.fromEntries(
      Object.entries(faults).map(([i, f]) => [defined(fixture.samples[Number(i)], `sample #${i}, which a fault names`).id, f.script]),
    );
    server = await startScriptedServer({ answers: answersFor(fixture.samples), scripts, latencyMs: 5 });
    ts = await createPostgresTestStore();
    cacheDir = await mkdtemp(join(tmpdir(), 'evalgate-cache-'));
  });
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    await fixture?.dispose();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('ends every sample ok or failed as the faults dictate, and scores only the answers', async () => {
    const config = configWithModel(server.baseUrl);
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
    expect(prepared.resumed).toBe(false);
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 4, timeoutMs, retry });

    const rows = await ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key', 'p.status', 'p.attempts', 'p.error', 'p.output_text'])
      .where('p.run_id', '=', prepared.run.id)
      .execute();
    expect(rows).toHaveLength(24);
    const byKey = new Map(rows.map((r) => [r.sample_key, r]));
    fixture.samples.forEach((s, i) => {
      const row = byKey.get(s.id)!;
      const f = faults[i];
      expect(row.status, s.id).toBe(f?.status ?? 'ok');
      expect(row.attempts, s.id).toBe(f?.attempts ?? 1);
      expect(server.requests.get(s.id), s.id).toBe(f?.attempts ?? 1);
      if (f?.code) expect(row.error?.code, s.id).toBe(f.code);
      if (row.status === 'ok') expect(row.output_text).toBe(server.answered.get(s.id));
      else expect(row.output_text).toBeNull();
    });

    // The metrics equal those computed directly from what the server answered, over answered samples only.
    const answeredItems = fixture.samples
      .filter((s) => server.answered.has(s.id))
      .map((s) => ({ id: s.id, answer: s.answer, choices: s.choices, prediction: server.answered.get(s.id)! }));
    const direct = scoreTask(answeredItems, { task: 'mcq' });
    expect(result.report.metrics).toEqual(direct.metrics);
    expect(result.report.counts).toEqual({ ok: 20, failed: 4, skipped: 0, pending: 0, total: 24 });
    expect(result.report.status).toBe('completed');
    expect(result.report.latencyMs.request?.n).toBe(20);

    // Failed calls are counted as wrong only on explicit opt-in.
    const asWrong = scoreTask(
      fixture.samples.map((s) => ({ id: s.id, answer: s.answer, choices: s.choices, prediction: server.answered.get(s.id) ?? '' })),
      { task: 'mcq' },
    );
    const { buildRunReport } = await import('../../gateway/runner/score-run.js');
    const { getRun } = await import('../../gateway/store/run-repo.js');
    const wrongReport = await buildRunReport(ts.store.db, (await getRun(ts.store.db, prepared.run.id))!, { failedAsWrong: true });
    expect(wrongReport.metrics).toEqual(asWrong.metrics);
    expect((asWrong.metrics as { n?: number }).n).toBe(24);

    // Per-sample scores were stored with each ok prediction.
    const scoreCount = await ts.store.db
      .selectFrom('scores as sc')
      .innerJoin('predictions as p', 'p.id', 'sc.prediction_id')
      .select((eb) => eb.fn.count<number>('sc.id').distinct().as('n'))
      .where('p.run_id', '=', prepared.run.id)
      .where('sc.metric', '=', 'correct')
      .executeTakeFirstOrThrow();
    expect(Number(scoreCount.n)).toBe(20);
  });

  it('re-running the same configuration resumes the same run and requests only samples without an ok prediction', async () => {
    const before = new Map(server.requests);
    const config = configWithModel(server.baseUrl);
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
    expect(prepared.resumed).toBe(true);
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 4, timeoutMs, retry });
    expect(result.totals.ok + result.totals.failed).toBe(4);
    fixture.samples.forEach((s, i) => {
      const delta = (server.requests.get(s.id) ?? 0) - (before.get(s.id) ?? 0);
      const fault = faults[i];
      expect(delta, s.id).toBe(fault?.status === 'failed' ? fault.attempts : 0);
    });
    const n = await ts.store.db
      .selectFrom('predictions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', prepared.run.id)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(24);
  });

  it('streams when asked (time to first token recorded) and the cache replays temperature-0 answers without requests', async () => {
    const config = configWithModel(server.baseUrl);
    const clean = fixture.samples.filter((_, i) => !faults[i]).length;
    const first = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', forceNew: true }, (m) => createModel(m));
    const streamed = await executeLocalRun(ts.store.db, first, { concurrency: 4, timeoutMs: 5000, retry, stream: true, cacheDir });
    expect(streamed.report.latencyMs.firstToken?.n).toBeGreaterThanOrEqual(clean);
    const streamedBodies = server.bodies.filter((b) => (b as { stream?: boolean }).stream === true);
    expect(streamedBodies.length).toBeGreaterThan(0);

    const before = [...server.requests.values()].reduce((a, b) => a + b, 0);
    const second = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', forceNew: true }, (m) => createModel(m));
    expect(second.run.id).not.toBe(first.run.id);
    const cached = await executeLocalRun(ts.store.db, second, { concurrency: 4, timeoutMs, retry: { ...retry, maxAttempts: 1 }, cacheDir });
    expect(cached.totals.cached).toBe(streamed.report.counts.ok);
    const after = [...server.requests.values()].reduce((a, b) => a + b, 0);
    // Only samples that never got an answer are requested again.
    expect(after - before).toBe(24 - streamed.report.counts.ok);
    expect(cached.report.metrics).toEqual(streamed.report.metrics);
  });
});
