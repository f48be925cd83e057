import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { isEvalgateError } from '../../gateway/errors.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { newExecutor, takeOverRun } from '../../gateway/runner/run-claims.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { answersFor, configWithModel, writeMcqManifest } from './runner-fixtures.js';
import { startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

const hasPostgres = await postgresAvailable();

// Issue 13 #11: a run held by a live process is not resumed a second time,
// and two executors of one run never call the model for the same sample.
describe.each(backends.filter((b) => b.name === 'pglite' || hasPostgres))('two executors of one run ($name)', ({ create }) => {
  let ts: TestStore;
  let server: ScriptedServer;
  let fixture: Awaited<ReturnType<typeof writeMcqManifest>>;
  const n = 30;

  beforeAll(async () => {
    fixture = await writeMcqManifest(n, 'x');
    server = await startScriptedServer({ answers: answersFor(fixture.samples), latencyMs: 15 });
    ts = await create();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    await fixture?.dispose();
  });

  it('call the model once per sample and write one run.finished', async () => {
    const config = configWithModel(server.baseUrl);
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted' }, (m) => createModel(m));
    const second = { ...prepared, model: await createModel(defined(config.models[0], 'the scripted model')), executor: newExecutor() };
    const [a, b] = await Promise.all([
      executeLocalRun(ts.store.db, prepared, { concurrency: 4, timeoutMs: 10_000 }),
      executeLocalRun(ts.store.db, second, { concurrency: 4, timeoutMs: 10_000 }),
    ]);
    const calls = [...server.requests.values()].reduce((x, y) => x + y, 0);
    expect(calls).toBe(n);
    expect([...server.requests.values()].every((c) => c === 1)).toBe(true);
    // Each executor did part of the work; the other one's samples were left to it.
    expect(a.totals.ok + b.totals.ok).toBe(n);
    expect(a.totals.claimedElsewhere + b.totals.claimedElsewhere).toBeGreaterThan(0);
    const finished = await ts.store.db
      .selectFrom('audit_log')
      .select('details')
      .where('subject', '=', prepared.run.id)
      .where('action', '=', 'run.finished')
      .execute();
    expect(finished).toHaveLength(1);
    const run = await ts.store.db.selectFrom('runs').select('status').where('id', '=', prepared.run.id).executeTakeFirstOrThrow();
    expect(run.status).toBe('completed');
    const claims = await sql<{ n: number | string }>`select count(*) as n from run_claims`.execute(ts.store.db);
    expect(Number(claims.rows[0]?.n)).toBe(0);
  }, 60_000);

  it('lets exactly one of two simultaneous resumes of a failed run take it over', async () => {
    const config = configWithModel(server.baseUrl);
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', forceNew: true, limit: 2 }, (m) =>
      createModel(m),
    );
    const runId = prepared.run.id;
    await ts.store.db.updateTable('runs').set({ status: 'failed' }).where('id', '=', runId).execute();
    await sql`update runs set heartbeat_host = null, heartbeat_pid = null where id = ${runId}`.execute(ts.store.db);
    // Two live processes on this host: this one and its parent (alive, so never taken for a dead holder).
    const mine = newExecutor();
    const theirs = { id: `${hostname()}:${process.ppid}:other`, host: hostname(), pid: process.ppid };
    const results = await Promise.allSettled([takeOverRun(ts.store.db, runId, mine), takeOverRun(ts.store.db, runId, theirs)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused && isEvalgateError(refused.reason) && refused.reason.code).toBe('EVALGATE_ERR_CONFLICT');
  });

  it('refuses --resume while another live process holds the heartbeat, naming its host and pid', async () => {
    const config = configWithModel(server.baseUrl);
    const prepared = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', forceNew: true, limit: 3 }, (m) =>
      createModel(m),
    );
    const runId = prepared.run.id;
    const hold = (host: string, pid: number) =>
      sql`update runs set status = 'running', heartbeat_at = now(), heartbeat_host = ${host}, heartbeat_pid = ${pid} where id = ${runId}`.execute(ts.store.db);
    const resume = () =>
      prepareRun(ts.store.db, config, { resume: runId }, (m) => createModel(m)).then(
        () => undefined,
        (e: unknown) => e,
      );

    // A process on another machine.
    await hold('gpu-box-7', 4242);
    const err = await resume();
    expect(isEvalgateError(err) && err.code).toBe('EVALGATE_ERR_CONFLICT');
    expect((err as Error).message).toContain('gpu-box-7');
    expect((err as Error).message).toContain('4242');
    // The same command without --resume continues the same run: refused too.
    const again = await prepareRun(ts.store.db, config, { dataset: fixture.manifestPath, modelId: 'scripted', limit: 3 }, (m) => createModel(m)).catch(
      (e: unknown) => e,
    );
    expect(isEvalgateError(again) && again.code).toBe('EVALGATE_ERR_CONFLICT');

    // A live process on this machine; once it is gone, the run is free at once (no minute's wait).
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      await hold(hostname(), child.pid!);
      const live = await resume();
      expect(isEvalgateError(live) && live.code).toBe('EVALGATE_ERR_CONFLICT');
      expect((live as Error).message).toContain(`pid ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(await resume()).toBeUndefined();

    // A heartbeat older than the stale limit frees the run, whoever held it.
    await hold('gpu-box-7', 4242);
    await sql`update runs set heartbeat_at = now() - interval '5 minutes' where id = ${runId}`.execute(ts.store.db);
    expect(await resume()).toBeUndefined();
  }, 60_000);
});
