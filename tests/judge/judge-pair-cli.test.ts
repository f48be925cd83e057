// The built `evalgate judge --runs A,B --pairwise`: kill -9 in the middle of a
// pairwise judging, then the same command judges only the orders still without
// a verdict and never stores a vote twice (PostgreSQL: the killed process and
// the test share the database); the text report names position bias.
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

describe.skipIf(!hasPostgres)('kill -9 in the middle of evalgate judge --pairwise, then the same command (built CLI, PostgreSQL)', () => {
  const n = 20;
  const key = (i: number): string => `w${String(i).padStart(3, '0')}`;
  let dir: string;
  let server: JudgeServer;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let configPath: string;
  const runs: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/gateway/judge/execute-pair-judging.js')))
      spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
    dir = await mkdtemp(join(tmpdir(), 'evalgate-judge-pair-cli-'));
    await writeFile(
      join(dir, 'open.jsonl'),
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: key(i), task: 'vqa', question: `Q${i}?`, reference: `r${i}` })).join('\n'),
    );
    await writeFile(
      join(dir, 'a.jsonl'),
      Array.from({ length: n }, (_, i) => JSON.stringify({ id: key(i), prediction: `${answerMarker(key(i))} alpha ${i}` })).join('\n'),
    );
    await writeFile(join(dir, 'b.jsonl'), Array.from({ length: n }, (_, i) => JSON.stringify({ id: key(i), prediction: `beta ${i}` })).join('\n'));
    // A slow judge that always prefers the answer shown first.
    server = await startJudgeServer(() => ({ text: 'My final verdict: [[A>B]]', delayMs: 60 }));
    database = await createTestDatabase();
    const raw = {
      database: { url: database.url },
      cacheDir: join(dir, 'cache'),
      models: [
        { id: 'model-a', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'a.jsonl') } },
        { id: 'model-b', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'b.jsonl') } },
        { id: 'judge', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'judge-model' },
      ],
      judge: { model: 'judge' },
    };
    configPath = join(dir, 'evalgate.config.json');
    await writeFile(configPath, JSON.stringify(raw));
    store = await openStore({ url: database.url });
    const config = configSchema.parse(raw);
    for (const modelId of ['model-a', 'model-b']) {
      const prepared = await prepareRun(store.db, config, { dataset: join(dir, 'open.jsonl'), modelId }, (m) => createModel(m));
      await executeLocalRun(store.db, prepared, { concurrency: 4, timeoutMs: 5000 });
      runs.push(prepared.run.id);
    }
  }, 180_000);

  afterAll(async () => {
    await store?.close();
    await server?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('judges only the orders without a verdict, never a duplicate vote', async () => {
    const votes = () => store.db.selectFrom('arena_votes').select(['dedupe_key', 'sample_id']).where('source', '=', 'judge').execute();
    const child = spawn(process.execPath, [cli, '--config', configPath, 'judge', '--runs', runs.join(','), '--pairwise', '--concurrency', '1', '--json'], {
      cwd: repo,
      env: { ...process.env, DATABASE_URL: '' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    let seen = 0;
    for (let i = 0; i < 3000 && seen < 7; i++) {
      await new Promise((r) => setTimeout(r, 5));
      seen = (await votes()).length;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const atKill = await votes();
    expect(atKill.length).toBeGreaterThanOrEqual(7);
    expect(atKill.length).toBeLessThan(2 * n);
    const requestsAtKill = server.seen.length;
    // Orders already voted: never asked again. Each remaining order: asked once.
    const again = await runCli(['--config', configPath, 'judge', '--runs', runs.join(','), '--pairwise', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as {
      resumed: boolean;
      status: string;
      samples: Record<string, number>;
      votes: number;
      positionBias: { firstWinRate: number };
    };
    expect(report).toMatchObject({
      resumed: true,
      status: 'completed',
      votes: 2 * n,
      samples: { shared: n, ok: n, judgeFailed: 0, pending: 0, sourceFailed: 0 },
    });
    // The judge always prefers the answer shown first: position bias 1, and A and B split the wins.
    expect(report.positionBias.firstWinRate).toBe(1);
    const all = await votes();
    expect(all).toHaveLength(2 * n);
    expect(new Set(all.map((v) => v.dedupe_key)).size).toBe(2 * n);
    // Asked exactly once per order missing at the kill (a call in flight then was already counted, and stored nothing).
    const askedAfter = server.seen.length - requestsAtKill;
    expect(askedAfter).toBe(2 * n - atKill.length);
    // The text report of a run with nothing left.
    const text = await runCli(['--config', configPath, 'judge', '--runs', runs.join(','), '--pairwise']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('position bias: the answer shown first won 40 of 40 decided verdicts (100.0%');
    expect(text.stdout).toContain('model-a vs model-b: 20 win(s), 0 tie(s), 20 loss(es) over 40 vote(s) (source judge)');
    expect(text.stdout).toContain('this execution: 0 sample(s) judged, 0 failed, 0 vote(s) added');
    // The votes are rated as judge votes.
    const ratings = await runCli(['--config', configPath, 'arena', 'ratings', '--source', 'judge', '--json']);
    expect(ratings.code, ratings.stderr).toBe(0);
    expect(JSON.parse(ratings.stdout)).toMatchObject({ source: 'judge', votes: { used: 2 * n } });
  }, 120_000);
});
