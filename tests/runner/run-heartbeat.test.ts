// Heartbeats and reaping on both storage backends, with a real timer and real SQL.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStaleRuns } from '../../gateway/store/heartbeat-repo.js';
import { reapStaleRuns, RunHeartbeat } from '../../gateway/runner/run-heartbeat.js';
import { listRuns } from '../../gateway/store/run-repo.js';
import { backends, type TestStore } from '../helpers/test-stores.js';

async function seedRuns(ts: TestStore): Promise<{ fresh: string; stale: string; done: string; legacy: string }> {
  const { db } = ts.store;
  await db.insertInto('models').values({ id: 'm1', adapter: 'openai-chat', kind: 'generalist', model: 'gpt-4o', base_url: null }).execute();
  const insert = async (status: 'running' | 'completed', heartbeat: string | null, started: string) =>
    (
      await db
        .insertInto('runs')
        .values({
          model_id: 'm1',
          task: 'asr',
          status,
          config: JSON.stringify({}),
          config_hash: `h-${Math.random()}`,
          evalgate_version: '0',
          started_at: sql<Date>`now() - ${sql.raw(`interval '${started}'`)}`,
          heartbeat_at: heartbeat === null ? null : sql<Date>`now() - ${sql.raw(`interval '${heartbeat}'`)}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  return {
    fresh: await insert('running', '5 seconds', '1 hour'),
    stale: await insert('running', '10 minutes', '1 hour'),
    done: await insert('completed', '10 minutes', '1 hour'),
    // Started before heartbeats existed: counts from started_at.
    legacy: await insert('running', null, '2 hours'),
  };
}

for (const backend of backends) {
  describe(`run heartbeats on ${backend.name}`, () => {
    let ts: TestStore;
    let ids: Awaited<ReturnType<typeof seedRuns>>;
    beforeAll(async () => {
      ts = await backend.create();
      ids = await seedRuns(ts);
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('finds running runs whose last heartbeat (or start) is older than the limit, and only those', async () => {
      const stale = (await findStaleRuns(ts.store.db, 60)).map((r) => r.id);
      expect(stale.sort()).toEqual([ids.stale, ids.legacy].sort());
      expect((await findStaleRuns(ts.store.db, 3 * 3600)).map((r) => r.id)).toEqual([]);
      const rows = await listRuns(ts.store.db);
      expect(
        rows
          .filter((r) => r.stale)
          .map((r) => r.id)
          .sort(),
      ).toEqual(stale.sort());
    });

    it('stamps held runs on a timer and stops when released', async () => {
      const { db } = ts.store;
      const hb = new RunHeartbeat(db, 40);
      const before = await db.selectFrom('runs').select('heartbeat_at').where('id', '=', ids.stale).executeTakeFirstOrThrow();
      hb.hold(ids.stale);
      // Polled, not read after a fixed 150 ms: on a loaded machine the first beat's UPDATE can still be in flight then.
      const beatAt = (): Promise<Date | null> =>
        db
          .selectFrom('runs')
          .select('heartbeat_at')
          .where('id', '=', ids.stale)
          .executeTakeFirstOrThrow()
          .then((r) => r.heartbeat_at);
      let during = await beatAt();
      for (const deadline = Date.now() + 15_000; during!.getTime() === before.heartbeat_at!.getTime() && Date.now() < deadline; during = await beatAt()) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(during!.getTime()).toBeGreaterThan(before.heartbeat_at!.getTime() + 9 * 60_000);
      expect((await findStaleRuns(db, 60)).map((r) => r.id)).not.toContain(ids.stale);
      hb.release(ids.stale);
      await hb.beat();
      const released = (await db.selectFrom('runs').select('heartbeat_at').where('id', '=', ids.stale).executeTakeFirstOrThrow()).heartbeat_at;
      await new Promise((r) => setTimeout(r, 150));
      const later = (await db.selectFrom('runs').select('heartbeat_at').where('id', '=', ids.stale).executeTakeFirstOrThrow()).heartbeat_at;
      expect(later?.getTime()).toBe(released?.getTime());
      await hb.stop();
      // Age it again for the reaping test.
      await db
        .updateTable('runs')
        .set({ heartbeat_at: sql<Date>`now() - interval '10 minutes'` })
        .where('id', '=', ids.stale)
        .execute();
    });

    it('reaps stale runs as failed with an interrupted error and an audit entry; a dry run changes nothing', async () => {
      const { db } = ts.store;
      const dry = await reapStaleRuns(db, { staleAfterS: 60, dryRun: true });
      expect(dry.map((r) => r.runId).sort()).toEqual([ids.stale, ids.legacy].sort());
      expect((await db.selectFrom('runs').select('status').where('id', '=', ids.stale).executeTakeFirstOrThrow()).status).toBe('running');

      const reaped = await reapStaleRuns(db, { staleAfterS: 60 });
      expect(reaped.map((r) => r.runId).sort()).toEqual([ids.stale, ids.legacy].sort());
      const rows = await db.selectFrom('runs').select(['id', 'status', 'summary', 'finished_at']).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of [ids.stale, ids.legacy]) {
        expect(byId.get(id)?.status).toBe('failed');
        expect((byId.get(id)?.summary as { error: string }).error).toMatch(/^interrupted: no heartbeat since .*--resume/);
        expect(byId.get(id)?.finished_at).toBeInstanceOf(Date);
      }
      expect(byId.get(ids.fresh)?.status).toBe('running');
      expect(byId.get(ids.done)?.status).toBe('completed');
      const audit = await db.selectFrom('audit_log').selectAll().where('action', '=', 'run.finished').execute();
      expect(audit.map((a) => a.subject).sort()).toEqual([ids.stale, ids.legacy].sort());
      expect(audit.every((a) => a.actor === 'runs reap' && (a.details as { reason: string }).reason === 'stale')).toBe(true);
      // Nothing is left to reap.
      expect(await reapStaleRuns(db, { staleAfterS: 60 })).toEqual([]);
    });
  });
}
