// gateway/store/heartbeat-repo.ts on both backends: one staleness rule for runs and stream sessions,
// the holder-aware beat, and the guarded reap statement.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import {
  beatRuns,
  beatSessions,
  clearRunHolder,
  failAbandonedRun,
  findStaleRuns,
  reapStaleSessions,
  runningRunsOfHost,
  runsByIds,
  staleColumn,
  staleSessionColumn,
} from '../../gateway/store/heartbeat-repo.js';
import { backends, type TestStore } from '../helpers/test-stores.js';

type Status = 'running' | 'completed';

async function insertRun(ts: TestStore, status: Status, beatAgo: string | null): Promise<string> {
  const row = await ts.store.db
    .insertInto('runs')
    .values({
      model_id: 'm',
      task: 'asr',
      status,
      config: JSON.stringify({}),
      config_hash: `h-${Math.random()}`,
      evalgate_version: '0',
      started_at: sql<Date>`now() - interval '3 hours'`,
      heartbeat_at: beatAgo === null ? null : sql<Date>`now() - ${sql.raw(`interval '${beatAgo}'`)}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function holderOf(ts: TestStore, id: string): Promise<{ host: string | null; pid: number | null; beatAgeS: number }> {
  const { rows } = await sql<{ heartbeat_host: string | null; heartbeat_pid: number | null; age: number | string }>`
    select heartbeat_host, heartbeat_pid, extract(epoch from now() - heartbeat_at) as age from runs where id = ${id}`.execute(ts.store.db);
  const row = defined(rows[0], `run ${id}`);
  return { host: row.heartbeat_host, pid: row.heartbeat_pid, beatAgeS: Number(row.age) };
}

for (const backend of backends) {
  describe(`heartbeat repository on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create();
      await ts.store.db.insertInto('models').values({ id: 'm', adapter: 'openai-chat', kind: 'generalist', model: 'x', base_url: null }).execute();
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('a running run is stale once its heartbeat (or, without one, its start) is older than the limit', async () => {
      const fresh = await insertRun(ts, 'running', '5 seconds');
      const old = await insertRun(ts, 'running', '10 minutes');
      const done = await insertRun(ts, 'completed', '10 minutes');
      const legacy = await insertRun(ts, 'running', null);
      const stale = (await findStaleRuns(ts.store.db, 60)).map((r) => r.id);
      expect(stale).toContain(old);
      expect(stale).toContain(legacy);
      expect(stale).not.toContain(fresh);
      expect(stale).not.toContain(done);
      // Oldest first: legacy counts from its start, three hours ago.
      expect(stale.indexOf(legacy)).toBeLessThan(stale.indexOf(old));
      const listed = await ts.store.db
        .selectFrom('runs')
        .select(['id', staleColumn(60)])
        .where('id', 'in', [fresh, old, done, legacy])
        .execute();
      expect(Object.fromEntries(listed.map((r) => [r.id, r.stale]))).toEqual({ [fresh]: false, [old]: true, [done]: false, [legacy]: true });
    });

    it('beats running runs (naming the holder when given) but not finished runs held by someone else', async () => {
      const running = await insertRun(ts, 'running', '10 minutes');
      const done = await insertRun(ts, 'completed', '10 minutes');
      await beatRuns(ts.store.db, [running, done], { host: 'hb-host', pid: 4242 });
      expect(await holderOf(ts, running)).toMatchObject({ host: 'hb-host', pid: 4242 });
      expect((await holderOf(ts, running)).beatAgeS).toBeLessThan(30);
      expect(await holderOf(ts, done)).toMatchObject({ host: null, pid: null });
      expect((await holderOf(ts, done)).beatAgeS).toBeGreaterThan(500);
      // A finished run whose heartbeat names this holder is still stamped by it.
      await ts.store.db
        .updateTable('runs')
        .set({ status: 'completed', heartbeat_at: sql<Date>`now() - interval '10 minutes'` })
        .where('id', '=', running)
        .execute();
      await beatRuns(ts.store.db, [running], { host: 'hb-host', pid: 4242 });
      expect((await holderOf(ts, running)).beatAgeS).toBeLessThan(30);
      // Without a holder only running runs are stamped, and nothing else changes.
      await ts.store.db
        .updateTable('runs')
        .set({ heartbeat_at: sql<Date>`now() - interval '10 minutes'` })
        .where('id', '=', running)
        .execute();
      await beatRuns(ts.store.db, [running]);
      expect((await holderOf(ts, running)).beatAgeS).toBeGreaterThan(500);
      await beatRuns(ts.store.db, []);
      await clearRunHolder(ts.store.db, running);
      expect(await holderOf(ts, running)).toMatchObject({ host: null, pid: null });
    });

    it('lists the running runs of one host and reads runs by id', async () => {
      const mine = await insertRun(ts, 'running', '5 seconds');
      const other = await insertRun(ts, 'running', '5 seconds');
      await beatRuns(ts.store.db, [mine], { host: 'host-a', pid: 11 });
      await beatRuns(ts.store.db, [other], { host: 'host-b', pid: 12 });
      expect(await runningRunsOfHost(ts.store.db, 'host-a')).toEqual([{ id: mine, pid: 11 }]);
      expect((await runsByIds(ts.store.db, [mine, other, '00000000-0000-0000-0000-000000000000'])).map((r) => r.id).sort()).toEqual([mine, other].sort());
      expect(await runsByIds(ts.store.db, [])).toEqual([]);
    });

    it('fails an abandoned run once, with its audit entry, and leaves it alone when it beat again', async () => {
      const { db } = ts.store;
      const staleRun = await insertRun(ts, 'running', '10 minutes');
      const revived = await insertRun(ts, 'running', '5 seconds');
      const deadHeld = await insertRun(ts, 'running', '5 seconds');
      await beatRuns(db, [deadHeld], { host: 'host-x', pid: 99 });
      const fail = (runId: string, still: Parameters<typeof failAbandonedRun>[1]['still']) =>
        failAbandonedRun(db, { runId, still, summary: { status: 'failed', error: 'gone' }, audit: { actor: 'test reaper', details: { why: 'test' } } });
      expect(await fail(staleRun, { staleAfterS: 60 })).toBe(true);
      expect(await fail(staleRun, { staleAfterS: 60 })).toBe(false);
      expect(await fail(revived, { staleAfterS: 60 })).toBe(false);
      expect(await fail(deadHeld, { deadHolder: { host: 'host-x', pid: 98 } })).toBe(false);
      expect(await fail(deadHeld, { deadHolder: { host: 'host-x', pid: 99 } })).toBe(true);
      const rows = await db.selectFrom('runs').select(['id', 'status', 'summary', 'finished_at']).where('id', 'in', [staleRun, revived, deadHeld]).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(staleRun)).toMatchObject({ status: 'failed', summary: { status: 'failed', error: 'gone' } });
      expect(byId.get(staleRun)?.finished_at).toBeInstanceOf(Date);
      expect(byId.get(revived)?.status).toBe('running');
      expect(byId.get(deadHeld)?.status).toBe('failed');
      expect(await holderOf(ts, deadHeld)).toMatchObject({ host: null, pid: null });
      const audit = await db.selectFrom('audit_log').select(['actor', 'action', 'subject', 'details']).where('actor', '=', 'test reaper').execute();
      expect(audit.map((a) => a.subject).sort()).toEqual([staleRun, deadHeld].sort());
      expect(audit.every((a) => a.action === 'run.finished' && (a.details as { why?: string }).why === 'test')).toBe(true);
    });

    it('applies the same rule to stream sessions: stamp, stale flag and reap', async () => {
      const { db } = ts.store;
      const session = async (status: string, ago: string) =>
        (
          await db
            .insertInto('stream_sessions')
            .values({ model_id: 'm', protocol: 'native', status, heartbeat_at: sql<Date>`now() - ${sql.raw(`interval '${ago}'`)}` })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      const open = await session('open', '5 minutes');
      const dropped = await session('disconnected', '2 minutes');
      const closed = await session('closed', '1 hour');
      const beaten = await session('open', '5 minutes');
      await beatSessions(db, [beaten]);
      const flags = await db
        .selectFrom('stream_sessions as ss')
        .select(['ss.id', staleSessionColumn('ss', 60)])
        .execute();
      expect(Object.fromEntries(flags.map((f) => [f.id, f.stale]))).toEqual({ [open]: true, [dropped]: true, [closed]: false, [beaten]: false });
      expect((await reapStaleSessions(db, 60)).sort()).toEqual([open, dropped].sort());
      expect(await reapStaleSessions(db, 60)).toEqual([]);
      const statuses = await db.selectFrom('stream_sessions').select(['id', 'status']).execute();
      expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({
        [open]: 'failed',
        [dropped]: 'failed',
        [closed]: 'closed',
        [beaten]: 'open',
      });
    });
  });
}
