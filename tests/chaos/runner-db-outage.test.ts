import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { spillPathOf } from '../../gateway/runner/run-spill.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { answersFor, configWithModel, writeMcqManifest } from '../runner/runner-fixtures.js';
import { startScriptedServer, type ScriptedServer } from '../runner/scripted-openai-server.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const cli = join(repo, 'dist/gateway/cli/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Issue 13 #10 on a PostgreSQL of the test's own (never the shared one): the
// batch runner waits out an outage, keeps every answer it received (in memory
// and in an fsync'd spill file), and never asks the model again for one.
describe('batch runner and a PostgreSQL outage (private PostgreSQL, scripted model)', () => {
  let pg: PrivatePostgres;
  let store: Store;
  let down = false;
  const stopDb = async (): Promise<void> => {
    down = true;
    await pg.stop();
  };
  const startDb = async (): Promise<void> => {
    if (!down) return;
    await pg.start();
    down = false;
  };

  beforeAll(async () => {
    // CI builds first (`npm test`); a fresh checkout running this file alone gets a build here.
    if (!existsSync(cli)) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
    pg = await startPrivatePostgres();
    store = await openStore({ url: pg.url });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await pg?.dispose();
  });

  const stored = (runId?: string): Promise<number> => {
    let q = store.db.selectFrom('predictions').select((eb) => eb.fn.countAll<number>().as('n'));
    if (runId) q = q.where('run_id', '=', runId);
    return q
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0))
      .catch(() => 0);
  };
  const waitFor = async (cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };
  // The first 12 samples answer at once, the rest after 800 ms: the database is stopped once 8 are stored,
  // so the run is surely still going, with calls in flight whose answers arrive during the outage.
  const n = 24;
  const slowFrom = 12;
  const scriptedServer = (samples: Awaited<ReturnType<typeof writeMcqManifest>>['samples']) =>
    startScriptedServer({
      answers: answersFor(samples),
      latencyMs: 20,
      scripts: Object.fromEntries(samples.slice(slowFrom).map((x) => [x.id, [{ kind: 'ok', delayMs: 800 }] as const])),
    });
  const total = (s: ScriptedServer) => [...s.requests.values()].reduce((a, b) => a + b, 0);
  async function perSample(runId: string) {
    const rows = await store.db.selectFrom('predictions').select(['sample_id', 'status']).where('run_id', '=', runId).execute();
    return { rows: rows.length, distinct: new Set(rows.map((r) => r.sample_id)).size, ok: rows.filter((r) => r.status === 'ok').length };
  }

  it('a short outage: the run completes, every sample written once, the model called once per sample', async () => {
    const fixture = await writeMcqManifest(n, 'o');
    const server = await scriptedServer(fixture.samples);
    try {
      const config = configWithModel(server.baseUrl, { databaseUrl: pg.url, cacheDir: join(fixture.dir, 'cache') });
      const prepared = await prepareRun(store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
      const notices: string[] = [];
      const running = executeLocalRun(store.db, prepared, {
        concurrency: 4,
        timeoutMs: 10_000,
        dbOutageMaxMs: 30_000,
        spillDir: join(fixture.dir, 'cache/spill'),
        onNotice: (m) => notices.push(m),
      });
      await waitFor(async () => (await stored(prepared.run.id)) >= 8, '8 stored predictions');
      await stopDb();
      await sleep(2500);
      await startDb();
      const result = await running;
      expect(result.report.status).toBe('completed');
      expect(result.report.counts).toMatchObject({ ok: n, failed: 0, pending: 0 });
      expect(await perSample(prepared.run.id)).toEqual({ rows: n, distinct: n, ok: n });
      expect(total(server)).toBe(n);
      expect([...server.requests.values()].every((c) => c === 1)).toBe(true);
      expect(notices.some((m) => /database unavailable/.test(m))).toBe(true);
      expect(notices.some((m) => /database back/.test(m))).toBe(true);
      const finished = await store.db
        .selectFrom('audit_log')
        .select('id')
        .where('subject', '=', prepared.run.id)
        .where('action', '=', 'run.finished')
        .execute();
      expect(finished).toHaveLength(1);
      // Everything spilled during the outage was written: the spill file is gone.
      expect(existsSync(spillPathOf(join(fixture.dir, 'cache/spill'), prepared.run.id))).toBe(false);
    } finally {
      await startDb();
      await server.close();
      await fixture.dispose();
    }
  }, 40_000);

  /** The built CLI against the private PostgreSQL, with its own cache folder. */
  async function cliSetup(prefix: string, outageMaxMs: number) {
    const fixture = await writeMcqManifest(n, prefix);
    const server = await scriptedServer(fixture.samples);
    const configPath = join(fixture.dir, 'evalgate.config.json');
    const cacheDir = join(fixture.dir, 'cache');
    await writeFile(
      configPath,
      JSON.stringify({
        database: { url: pg.url },
        cacheDir,
        runner: { dbOutageMaxMs: outageMaxMs },
        models: [{ id: 'scripted', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'scripted-model' }],
      }),
    );
    const start = (args: string[], stdio: 'pipe' | 'ignore' = 'pipe'): ChildProcess =>
      spawn(process.execPath, [cli, '--config', configPath, ...args], {
        cwd: repo,
        env: { ...process.env, DATABASE_URL: '' },
        stdio: ['ignore', stdio, stdio],
      });
    const runCli = (args: string[]) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
        const child = start(args);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
      });
    const runArgs = ['run', '--dataset', fixture.manifestPath, '--model', 'scripted', '--concurrency', '4', '--json'];
    const newestRun = async () =>
      (await store.db
        .selectFrom('runs')
        .select(['id', 'status', 'summary'])
        .where('dataset_id', 'in', store.db.selectFrom('datasets').select('id').where('manifest_path', '=', fixture.manifestPath))
        .executeTakeFirst())!;
    return {
      fixture,
      server,
      cacheDir,
      runArgs,
      start,
      runCli,
      newestRun,
      dispose: async () => {
        await server.close();
        await fixture.dispose();
      },
    };
  }

  it('an outage beyond the bound: exits non-zero with DB_UNAVAILABLE, the run id and the spill file; reap marks it failed; resume asks the model for nothing it answered', async () => {
    const t = await cliSetup('b', 1500);
    try {
      const exited = t.runCli(t.runArgs);
      await waitFor(
        async () => (await stored()) > 0 && (await t.newestRun().catch(() => undefined)) !== undefined && (await stored((await t.newestRun()).id)) >= 8,
        '8 stored predictions',
      );
      const { id: runId } = await t.newestRun();
      await stopDb();
      const out = await exited;
      const answeredAtExit = new Map(t.server.answered);
      const requestsAtExit = new Map(t.server.requests);
      expect(out.code).not.toBe(0);
      const err = (JSON.parse(out.stderr.trim().split('\n').pop()!) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('EVALGATE_ERR_DB_UNAVAILABLE');
      expect(err.message).toContain(runId);
      const spill = spillPathOf(join(t.cacheDir, 'spill'), runId);
      expect(err.message).toContain(spill);
      const spilled = (await readFile(spill, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      expect(spilled.some((r) => r.type === 'prediction')).toBe(true);
      expect(spilled.some((r) => r.type === 'run-failed')).toBe(true);

      await startDb();
      // The final status could not be stored while the database was away; reap stores it (the process is gone).
      const reaped = await t.runCli(['runs', 'reap', '--json']);
      expect(reaped.code, reaped.stderr).toBe(0);
      expect((JSON.parse(reaped.stdout) as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toContain(runId);
      const failed = await t.newestRun();
      expect(failed.status).toBe('failed');
      expect(failed.summary).toMatchObject({ code: 'EVALGATE_ERR_DB_UNAVAILABLE' });
      expect((failed.summary as { error: string }).error).toContain(runId);
      expect(existsSync(spill)).toBe(false);
      // Every answer received before the exit is stored.
      expect((await perSample(runId)).ok).toBe(answeredAtExit.size);

      const resumed = await t.runCli(['run', '--resume', runId, '--concurrency', '4', '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('completed');
      for (const key of answeredAtExit.keys()) expect(t.server.requests.get(key), key).toBe(requestsAtExit.get(key));
      expect(await perSample(runId)).toEqual({ rows: n, distinct: n, ok: n });
    } finally {
      await startDb();
      await t.dispose();
    }
  }, 40_000);

  it('kill -9 of the runner during an outage loses no received answer', async () => {
    const t = await cliSetup('k', 60_000);
    try {
      const child = t.start(t.runArgs, 'ignore');
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
      await waitFor(
        async () => (await t.newestRun().catch(() => undefined)) !== undefined && (await stored((await t.newestRun()).id)) >= 8,
        '8 stored predictions',
      );
      const { id: runId } = await t.newestRun();
      await stopDb();
      // Let the calls in flight at the stop come back (no new call starts while the database is away),
      // then give the runner a moment to spill them.
      await waitFor(async () => total(t.server) === t.server.answered.size, 'the calls in flight to be answered');
      // Polled, not read after a fixed 500 ms: the child (loaded CI machine) may take longer to see the outage and
      // spill. The answers in flight come back together and are spilled together; a further second lets stragglers
      // follow the first one in before the kill.
      const spillPath = spillPathOf(join(t.cacheDir, 'spill'), runId);
      const spilledLines = async (): Promise<number> => (await readFile(spillPath, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).length;
      await waitFor(async () => (await spilledLines()) > 0, 'the answers in flight in the spill file');
      await sleep(1000);
      const answeredAtKill = new Map(t.server.answered);
      const requestsAtKill = new Map(t.server.requests);
      const storedAtStop = await spilledLines();
      // Answers arrived after the database went away: they are only in memory and in the spill file.
      expect(storedAtStop).toBeGreaterThan(0);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await startDb();
      // Some answers never reached the database: only the spill file has them.
      expect((await perSample(runId)).ok).toBeLessThan(answeredAtKill.size);
      const resumed = await t.runCli(['run', '--resume', runId, '--concurrency', '4', '--json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('completed');
      for (const key of answeredAtKill.keys()) expect(t.server.requests.get(key), key).toBe(requestsAtKill.get(key));
      expect(await perSample(runId)).toEqual({ rows: n, distinct: n, ok: n });
    } finally {
      await startDb();
      await t.dispose();
    }
  }, 40_000);
});
