// The built `evalgate judge`: --help, and kill -9 in the middle of a judging,
// after which the same command judges only the answers left (PostgreSQL, as
// the runner's kill test: the killed process and the test share the database).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/test-stores.js';
import { spawnCli } from '../helpers/run-cli.js';
import { answerMarker, startJudgeServer, type JudgeServer } from './scripted-judge-server.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const cli = join(repo, 'dist/gateway/cli/main.js');
const hasPostgres = await postgresAvailable();

const runCli = (args: string[]): ReturnType<typeof spawnCli> => spawnCli(args, { cwd: repo, env: { ...process.env, DATABASE_URL: '' } });

beforeAll(() => {
  // CI builds first (`npm test`); a checkout running this file alone gets a build here.
  if (!existsSync(join(repo, 'dist/gateway/cli/commands/judge.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
}, 180_000);

describe('evalgate judge --help', () => {
  it('names its options and every rubric', async () => {
    const r = await spawnCli(['judge', '--help']);
    expect(r.code).toBe(0);
    for (const s of [
      '--run <runId>',
      '--runs <A,B>',
      '--pairwise',
      '--judge <id>',
      '--rubric <name>',
      '--json',
      'audiobench-open',
      'mm-vet',
      'voicebench-open',
      'big-bench-audio',
    ]) {
      expect(r.stdout).toContain(s);
    }
  });
});

describe.skipIf(!hasPostgres)('kill -9 in the middle of evalgate judge, then the same command (built CLI, PostgreSQL)', () => {
  const n = 30;
  let dir: string;
  let server: JudgeServer;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let configPath: string;
  let sourceRunId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-judge-cli-'));
    const key = (i: number): string => `c${String(i).padStart(3, '0')}`;
    await writeFile(
      join(dir, 'open.jsonl'),
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: key(i), task: 'vqa', question: `Q${i}?`, reference: `r${i}` })).join('\n'),
    );
    await writeFile(
      join(dir, 'preds.jsonl'),
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: key(i), prediction: `${answerMarker(key(i))} r${i}` })).join('\n'),
    );
    // A slow judge, so the kill lands mid-way; it never gives a readable verdict on c005.
    server = await startJudgeServer((k) => (k === 'c005' ? { text: 'Hmm, hard to say.', delayMs: 60 } : { text: 'CORRECT', delayMs: 60 }));
    database = await createTestDatabase();
    const raw = {
      database: { url: database.url },
      cacheDir: join(dir, 'cache'),
      models: [
        { id: 'answerer', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'preds.jsonl') } },
        { id: 'judge', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'judge-model' },
      ],
      judge: { model: 'judge', rubric: 'big-bench-audio' },
    };
    configPath = join(dir, 'evalgate.config.json');
    await writeFile(configPath, JSON.stringify(raw));
    store = await openStore({ url: database.url });
    const config = configSchema.parse(raw);
    const prepared = await prepareRun(store.db, config, { dataset: join(dir, 'open.jsonl'), modelId: 'answerer' }, (m) => createModel(m));
    await executeLocalRun(store.db, prepared, { concurrency: 4, timeoutMs: 5000 });
    sourceRunId = prepared.run.id;
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await server?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('judges no answer twice and never asks the judge again about a judged answer', async () => {
    const judged = async (): Promise<string[]> =>
      (
        await store.db
          .selectFrom('predictions as p')
          .innerJoin('runs as r', 'r.id', 'p.run_id')
          .innerJoin('samples as s', 's.id', 'p.sample_id')
          .select('s.sample_key')
          .where('r.task', '=', 'judge-score')
          .where('p.status', '=', 'ok')
          .execute()
      ).map((r) => r.sample_key);
    const child = spawn(process.execPath, [cli, '--config', configPath, 'judge', '--run', sourceRunId, '--concurrency', '1', '--json'], {
      cwd: repo,
      env: { ...process.env, DATABASE_URL: '' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    let seen: string[] = [];
    for (let i = 0; i < 3000 && seen.length < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      seen = await judged();
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const atKill = await judged();
    expect(atKill.length).toBeGreaterThanOrEqual(5);
    expect(atKill.length).toBeLessThan(n);
    const asked = new Map(atKill.map((k) => [k, server.count(k)]));
    const runs = await store.db.selectFrom('runs').select(['id', 'status']).where('task', '=', 'judge-score').execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe('running');

    // The same command: the killed holder was a process of this host that is gone, so it continues at once.
    const again = await runCli(['--config', configPath, 'judge', '--run', sourceRunId, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as {
      runId: string;
      resumed: boolean;
      status: string;
      counts: Record<string, number>;
      metrics: Record<string, number>;
      thisExecution: { judged: number };
    };
    expect(report).toMatchObject({ runId: runs[0]!.id, resumed: true, status: 'completed' });
    expect(report.counts).toMatchObject({ ok: n - 1, failed: 1, pending: 0, total: n });
    expect(report.metrics).toEqual({ judge_score: 1, n: n - 1 });
    expect(report.thisExecution.judged).toBe(n - 1 - atKill.length);
    for (const [k, c] of asked) expect(server.count(k), k).toBe(c);
    // The unjudged answer is shown with its stage and reason, and has no score.
    const shown = await runCli(['--config', configPath, 'runs', 'show', report.runId, '--failed', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const samples = (JSON.parse(shown.stdout) as { samples: { sampleKey: string; status: string; scores: object; error: { code: string; message: string } }[] })
      .samples;
    expect(samples.map((x) => [x.sampleKey, x.status, x.error.code, x.scores])).toEqual([['c005', 'failed', 'judge', {}]]);
    expect(samples[0]!.error.message).toContain('could not be read');
    const perSample = await store.db
      .selectFrom('predictions')
      .select(['sample_id', (eb) => eb.fn.countAll<number>().as('c')])
      .where('run_id', '=', report.runId)
      .groupBy('sample_id')
      .execute();
    expect(perSample).toHaveLength(n);
    expect(perSample.every((p) => Number(p.c) === 1)).toBe(true);
  }, 120_000);
});
