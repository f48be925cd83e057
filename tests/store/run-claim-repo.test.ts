// gateway/store/run-claim-repo.ts on both backends: taking a run only when free, reading its holder,
// and per-sample claims that exclude other executors until they go stale.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimSample,
  dropClaimsOfOthers,
  otherClaimants,
  refreshClaims,
  releaseExecutor,
  releaseSample,
  runHolder,
  stampRunHolder,
  takeRunIfFree,
} from '../../gateway/store/run-claim-repo.js';
import { backends, type TestStore } from '../helpers/test-stores.js';

async function insertRun(ts: TestStore, status: 'running' | 'completed', beatAgo: string): Promise<string> {
  return (
    await ts.store.db
      .insertInto('runs')
      .values({
        model_id: 'm',
        task: 'asr',
        status,
        config: JSON.stringify({}),
        config_hash: `h-${Math.random()}`,
        evalgate_version: '0',
        heartbeat_at: sql<Date>`now() - ${sql.raw(`interval '${beatAgo}'`)}`,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
}

async function ageClaims(ts: TestStore, executor: string): Promise<void> {
  await sql`update run_claims set claimed_at = now() - interval '10 minutes' where executor = ${executor}`.execute(ts.store.db);
}

async function claimsOf(ts: TestStore, runId: string): Promise<Record<string, string>> {
  const { rows } = await sql<{ sample_id: string; executor: string }>`select sample_id, executor from run_claims where run_id = ${runId}`.execute(ts.store.db);
  return Object.fromEntries(rows.map((r) => [r.sample_id, r.executor]));
}

for (const backend of backends) {
  describe(`run claim repository on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create();
      await ts.store.db.insertInto('models').values({ id: 'm', adapter: 'openai-chat', kind: 'generalist', model: 'x', base_url: null }).execute();
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('takes a run only when nobody fresh holds it, and reports the holder otherwise', async () => {
      const { db } = ts.store;
      const idle = await insertRun(ts, 'completed', '5 seconds');
      expect(await takeRunIfFree(db, idle, { host: 'a', pid: 1 }, 60)).toBe(true);
      // Now held (a holder is named) with a fresh heartbeat: refused, and the holder is readable.
      expect(await takeRunIfFree(db, idle, { host: 'b', pid: 2 }, 60)).toBe(false);
      const holder = await runHolder(db, idle);
      expect(holder).toMatchObject({ host: 'a', pid: 1 });
      expect(holder!.ageS).toBeGreaterThanOrEqual(0);
      expect(holder!.ageS).toBeLessThan(30);
      const staleRunning = await insertRun(ts, 'running', '10 minutes');
      expect(await takeRunIfFree(db, staleRunning, { host: 'b', pid: 2 }, 60)).toBe(true);
      const freshRunning = await insertRun(ts, 'running', '5 seconds');
      expect(await takeRunIfFree(db, freshRunning, { host: 'b', pid: 2 }, 60)).toBe(false);
      expect(await runHolder(db, freshRunning)).toMatchObject({ host: null, pid: null });
      await stampRunHolder(db, freshRunning, { host: 'c', pid: 3 });
      expect(await runHolder(db, freshRunning)).toMatchObject({ host: 'c', pid: 3 });
      expect(await runHolder(db, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
    });

    it('claims a sample for one executor at a time until its claim goes stale, never once it is answered', async () => {
      const { db } = ts.store;
      const run = await insertRun(ts, 'running', '5 seconds');
      expect(await claimSample(db, run, 's1', 'ex-a', 60)).toBe(true);
      expect(await claimSample(db, run, 's1', 'ex-a', 60)).toBe(true);
      expect(await claimSample(db, run, 's1', 'ex-b', 60)).toBe(false);
      await ageClaims(ts, 'ex-a');
      expect(await claimSample(db, run, 's1', 'ex-b', 60)).toBe(true);
      expect(await claimsOf(ts, run)).toEqual({ s1: 'ex-b' });
      // Refreshing keeps a claim: ex-b's fresh claim holds off ex-a.
      await ageClaims(ts, 'ex-b');
      await refreshClaims(db, 'ex-b');
      expect(await claimSample(db, run, 's1', 'ex-a', 60)).toBe(false);
      await releaseSample(db, run, 's1', 'ex-a');
      expect(await claimsOf(ts, run)).toEqual({ s1: 'ex-b' });
      await releaseSample(db, run, 's1', 'ex-b');
      expect(await claimsOf(ts, run)).toEqual({});
      // A sample with an ok prediction is never claimed.
      const ds = await db
        .insertInto('datasets')
        .values({ name: `d-${Math.random()}`, manifest_digest: 'd', merkle_root: 'r' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const sample = await db
        .insertInto('samples')
        .values({ dataset_id: ds.id, sample_key: 'k', task: 'asr', sample_digest: 'x' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db.insertInto('predictions').values({ run_id: run, sample_id: sample.id, status: 'ok', output_text: 'hi' }).execute();
      expect(await claimSample(db, run, sample.id, 'ex-a', 60)).toBe(false);
    });

    it('lists and drops the claims of other executors that are stale or gone, keeping live ones', async () => {
      const { db } = ts.store;
      const run = await insertRun(ts, 'running', '5 seconds');
      await claimSample(db, run, 'a1', 'me');
      await claimSample(db, run, 'b1', 'stale');
      await claimSample(db, run, 'c1', 'gone');
      await claimSample(db, run, 'd1', 'alive');
      await ageClaims(ts, 'stale');
      expect((await otherClaimants(db, run, 'me')).sort()).toEqual(['alive', 'gone', 'stale']);
      await dropClaimsOfOthers(db, run, 'me', ['gone'], 60);
      expect(await claimsOf(ts, run)).toEqual({ a1: 'me', d1: 'alive' });
      await dropClaimsOfOthers(db, run, 'me', [], 60);
      expect(await claimsOf(ts, run)).toEqual({ a1: 'me', d1: 'alive' });
      await releaseExecutor(db, 'alive');
      expect(await claimsOf(ts, run)).toEqual({ a1: 'me' });
    });
  });
}
