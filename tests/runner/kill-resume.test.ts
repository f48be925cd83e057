import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { createTestDatabase, postgresAvailable } from '../helpers/test-stores.js';
import { spawnCli } from '../helpers/run-cli.js';
import { answersFor, writeMcqManifest } from './runner-fixtures.js';
import { startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const cli = join(repo, 'dist/gateway/cli/main.js');
const hasPostgres = await postgresAvailable();

/** Runs the built CLI to completion; resolves with its exit code and output. */
const runCli = (args: string[]): ReturnType<typeof spawnCli> => spawnCli(args, { cwd: repo, env: { ...process.env, DATABASE_URL: '' } });

async function okKeys(store: Store, runId?: string): Promise<Set<string>> {
  let q = store.db.selectFrom('predictions as p').innerJoin('samples as s', 's.id', 'p.sample_id').select('s.sample_key').where('p.status', '=', 'ok');
  if (runId) q = q.where('p.run_id', '=', runId);
  return new Set((await q.execute()).map((r) => r.sample_key));
}

describe.skipIf(!hasPostgres)('kill -9 in the middle of a run, then resume (built CLI, PostgreSQL)', () => {
  let server: ScriptedServer;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let configPath: string;

  beforeAll(async () => {
    // CI builds first (`npm test`); a fresh checkout running this file alone gets a build here.
    if (!existsSync(cli)) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
    fixture = await writeMcqManifest(40, 'k');
    server = await startScriptedServer({ answers: answersFor(fixture.samples), latencyMs: 120 });
    database = await createTestDatabase();
    configPath = join(fixture.dir, 'evalgate.config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        database: { url: database.url },
        models: [{ id: 'scripted', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'scripted-model' }],
      }),
    );
    store = await openStore({ url: database.url });
  }, 180_000);
  afterAll(async () => {
    await store?.close();
    await server?.close();
    await database?.drop();
    await fixture?.dispose();
  });

  it('predicts no sample twice and never requests a completed sample again', async () => {
    expect(existsSync(cli), `${cli} must be built`).toBe(true);
    const child = spawn(
      process.execPath,
      [cli, '--config', configPath, 'run', '--dataset', fixture.manifestPath, '--model', 'scripted', '--concurrency', '4', '--json'],
      {
        cwd: repo,
        env: { ...process.env, DATABASE_URL: '' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    // Kill once some, but not all, samples are stored.
    let seen = 0;
    for (let i = 0; i < 3000 && seen < 8; i++) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await store.db
        .selectFrom('predictions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
        .then((r) => Number(r?.n ?? 0))
        .catch(() => 0); // tables may not exist until the child has migrated
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const doneAtKill = await okKeys(store);
    const requestsAtKill = new Map(server.requests);
    expect(doneAtKill.size).toBeGreaterThanOrEqual(8);
    expect(doneAtKill.size).toBeLessThan(40);
    const runs = await store.db.selectFrom('runs').select(['id', 'status']).execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe('running');
    const runId = defined(runs[0], 'the run row').id;

    // The killed process stamped a heartbeat while it ran; the run is not stale yet.
    const listed = await runCli(['--config', configPath, 'runs', 'list', '--json']);
    const listedRun = defined(
      (JSON.parse(listed.stdout) as { runs: { runId: string; stale: boolean; heartbeatAt: string | null }[] }).runs[0],
      'a run in runs list',
    );
    expect(listedRun).toMatchObject({ runId, stale: false });
    expect(Date.now() - Date.parse(listedRun.heartbeatAt!)).toBeLessThan(60_000);
    // A minute without heartbeats, without waiting a minute: age the stamp the dead process left.
    await store.db
      .updateTable('runs')
      .set({ heartbeat_at: sql<Date>`heartbeat_at - interval '5 minutes'` })
      .where('id', '=', runId)
      .execute();
    const dry = await runCli(['--config', configPath, 'runs', 'reap', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as { runs: { runId: string; ok: number }[] }).runs).toEqual([expect.objectContaining({ runId, ok: doneAtKill.size })]);
    const reaped = await runCli(['--config', configPath, 'runs', 'reap', '--json']);
    expect(reaped.code, reaped.stderr).toBe(0);
    expect((JSON.parse(reaped.stdout) as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toEqual([runId]);
    const afterReap = await store.db.selectFrom('runs').select(['status', 'summary']).where('id', '=', runId).executeTakeFirstOrThrow();
    expect(afterReap.status).toBe('failed');
    expect((afterReap.summary as { error: string }).error).toMatch(/^interrupted/);

    const resumed = await runCli(['--config', configPath, 'run', '--resume', runId, '--concurrency', '4', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as { runId: string; counts: Record<string, number>; metrics: Record<string, number>; status: string };
    expect(report.runId).toBe(runId);
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ ok: 40, failed: 0, skipped: 0, pending: 0 });
    expect(report.metrics.n).toBe(40);

    // Exactly one prediction per sample.
    const perSample = await store.db
      .selectFrom('predictions')
      .select(['sample_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('run_id', '=', runId)
      .groupBy('sample_id')
      .execute();
    expect(perSample).toHaveLength(40);
    expect(perSample.every((r) => Number(r.n) === 1)).toBe(true);
    // No sample completed before the kill was requested again.
    for (const key of doneAtKill) expect(server.requests.get(key), key).toBe(requestsAtKill.get(key));
    // Every sample was requested; those in flight at the kill at most once more.
    for (const s of fixture.samples) expect(server.requests.get(s.id) ?? 0, s.id).toBeGreaterThanOrEqual(1);

    // The same configuration again is the same run, with nothing left to request.
    const total = [...server.requests.values()].reduce((a, b) => a + b, 0);
    const again = await runCli(['--config', configPath, 'run', '--dataset', fixture.manifestPath, '--model', 'scripted', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { runId: string }).runId).toBe(runId);
    expect([...server.requests.values()].reduce((a, b) => a + b, 0)).toBe(total);

    // `runs show --json` reports the same counts and metrics.
    const shown = await runCli(['--config', configPath, 'runs', 'show', runId, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const show = JSON.parse(shown.stdout) as { counts: unknown; metrics: unknown; datasetDigest: string; merkleRoot: string; configHash: string };
    expect(show.counts).toEqual(report.counts);
    expect(show.metrics).toEqual(report.metrics);
    expect(show.datasetDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(show.merkleRoot).toMatch(/^[0-9a-f]{64}$/);
    expect(show.configHash).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);
});
