// Pointwise and pairwise judging through a PostgreSQL outage, on a PostgreSQL
// of the test's own (never the shared one): the judge run waits the outage
// out (its writes retried through the run's DbOutageGuard, its judge results
// kept in the spill file meanwhile), finishes, stores every result once, never
// asks the judge twice about the same thing, and loses or doubles no vote.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { executeJudging, prepareJudging } from '../../gateway/judge/execute-judging.js';
import { executePairJudging, preparePairJudging } from '../../gateway/judge/execute-pair-judging.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { defaultRetryPolicy } from '../../gateway/runner/retry-policy.js';
import { spillDirOf, spillPathOf } from '../../gateway/runner/run-spill.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { answerMarker, startJudgeServer, type JudgeServer } from '../judge/scripted-judge-server.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const n = 16;
const keyOf = (i: number): string => `d${String(i).padStart(3, '0')}`;
// The first 6 samples are judged at once, the rest after 700 ms: the database goes down once 3 results are
// stored, so judge calls are in flight and answer during the outage.
const slow = (key: string | undefined): number => (key !== undefined && Number(key.slice(1)) >= 6 ? 700 : 5);

describe('judging and a PostgreSQL outage (private PostgreSQL, scripted judge)', () => {
  let pg: PrivatePostgres;
  let store: Store;
  let dir: string;
  let server: JudgeServer;
  let config: EvalgateConfig;
  let runA: string;
  let runB: string;
  let down = false;
  const retry = { ...defaultRetryPolicy, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    store = await openStore({ url: pg.url });
    dir = await mkdtemp(join(tmpdir(), 'evalgate-judge-outage-'));
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: keyOf(i), task: 'vqa', question: `Q${i}?`, reference: `r${i}` }));
    await writeFile(join(dir, 'open.jsonl'), lines.join('\n') + '\n');
    await writeFile(join(dir, 'a.jsonl'), lines.map((_, i) => JSON.stringify({ id: keyOf(i), prediction: `${answerMarker(keyOf(i))} alpha ${i}` })).join('\n'));
    await writeFile(join(dir, 'b.jsonl'), lines.map((_, i) => JSON.stringify({ id: keyOf(i), prediction: `beta ${i}` })).join('\n'));
    // Pointwise (big-bench-audio) and pairwise verdicts, always readable: any second ask would be a re-ask after a loss.
    server = await startJudgeServer((key, _n, req) => {
      const delayMs = slow(key);
      if (req.system?.startsWith('Please act as an impartial judge')) return { text: '[[A>B]]', delayMs };
      return { text: Number(key?.slice(1) ?? 0) % 3 === 0 ? 'INCORRECT' : 'CORRECT', delayMs };
    });
    config = configSchema.parse({
      database: { url: pg.url },
      cacheDir: join(dir, 'cache'),
      models: [
        { id: 'model-a', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'a.jsonl') } },
        { id: 'model-b', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'b.jsonl') } },
        { id: 'judge', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'judge-model' },
      ],
      judge: { model: 'judge', rubric: 'big-bench-audio' },
    });
    const runOf = async (modelId: string): Promise<string> => {
      const prepared = await prepareRun(store.db, config, { dataset: join(dir, 'open.jsonl'), modelId }, (m) => createModel(m));
      await executeLocalRun(store.db, prepared, { concurrency: 4, timeoutMs: 5000 });
      return prepared.run.id;
    };
    runA = await runOf('model-a');
    runB = await runOf('model-b');
  }, 120_000);
  afterAll(async () => {
    if (down) await pg?.start();
    await server?.close();
    await store?.close();
    await pg?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const storedFor = (runId: string): Promise<number> =>
    store.db
      .selectFrom('predictions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('run_id', '=', runId)
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0))
      .catch(() => 0);
  async function outageWhile(runId: string, running: Promise<unknown>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await storedFor(runId)) < 3) {
      if (Date.now() > deadline) throw new Error('timed out waiting for 3 stored results');
      await sleep(20);
    }
    down = true;
    await pg.stop();
    await sleep(2000);
    await pg.start();
    down = false;
    await running;
  }
  const asked = (prefix: string): number[] =>
    Array.from({ length: n }, (_, i) => server.seen.filter((s) => s.key === keyOf(i) && s.prompt.includes(prefix)).length);

  it('pointwise: the judged run completes, each answer judged and stored once', async () => {
    const prepared = await prepareJudging(store.db, config, { run: runA }, (m) => createModel(m));
    const notices: string[] = [];
    const running = executeJudging(store.db, prepared, {
      concurrency: 2,
      timeoutMs: 10_000,
      retry,
      spillCacheDir: config.cacheDir,
      dbOutageMaxMs: 30_000,
      onNotice: (m) => notices.push(m),
    });
    await outageWhile(prepared.run.id, running);
    const report = await running;
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ ok: n, failed: 0, pending: 0 });
    const rows = await store.db.selectFrom('predictions').select(['sample_id', 'status']).where('run_id', '=', prepared.run.id).execute();
    expect([rows.length, new Set(rows.map((r) => r.sample_id)).size]).toEqual([n, n]);
    // Big Bench Audio's prompt holds the answer; every answer was asked about exactly once.
    expect(asked('OFFICIAL ANSWER')).toEqual(Array.from({ length: n }, () => 1));
    expect(notices.some((m) => /database is unavailable/.test(m))).toBe(true);
    expect(notices.some((m) => /database is back/.test(m))).toBe(true);
    expect(existsSync(spillPathOf(spillDirOf(config.cacheDir), prepared.run.id))).toBe(false);
  }, 60_000);

  it('pairwise: every order judged once, every vote stored once, none lost', async () => {
    const prepared = await preparePairJudging(store.db, config, { runs: [runA, runB] }, (m) => createModel(m));
    const running = executePairJudging(store.db, prepared, { concurrency: 2, timeoutMs: 10_000, retry, spillCacheDir: config.cacheDir, dbOutageMaxMs: 30_000 });
    await outageWhile(prepared.run.id, running);
    const report = await running;
    expect(report.status).toBe('completed');
    expect(report.samples).toMatchObject({ shared: n, ok: n, judgeFailed: 0, pending: 0 });
    const votes = await store.db.selectFrom('arena_votes').select(['dedupe_key', 'sample_id']).where('judge_run_id', '=', prepared.run.id).execute();
    expect(votes).toHaveLength(2 * n);
    expect(new Set(votes.map((v) => v.dedupe_key)).size).toBe(2 * n);
    expect(report.summary.votes).toBe(2 * n);
    // Each sample asked once per order (the pairwise prompt names both assistants).
    expect(asked("Assistant A's Answer")).toEqual(Array.from({ length: n }, () => 2));
    // A rerun finds nothing left: no call, no vote.
    const before = server.seen.length;
    const again = await executePairJudging(store.db, await preparePairJudging(store.db, config, { runs: [runA, runB] }, (m) => createModel(m)), {
      concurrency: 2,
      timeoutMs: 10_000,
      retry,
    });
    expect([server.seen.length - before, again.thisExecution.votesAdded, again.votes]).toEqual([0, 0, 2 * n]);
  }, 60_000);
});
