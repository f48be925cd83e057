// gateway/store/stream-session-repo.ts and live-write-repo.ts on both backends: opening a session
// (model upsert), the batched live writes (patch flags, insert-with-outcome, idempotent replay, both
// write modes) and the session listing with its counts and percentiles.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { writeLiveBatch, type UtteranceFinish, type UtteranceInsert } from '../../gateway/store/live-write-repo.js';
import { findStreamSession, listStreamSessions, listUtterances, openStreamSession } from '../../gateway/store/stream-session-repo.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

const model = { id: 'live-m', adapter: 'openai-realtime', kind: 'generalist', model: 'gpt-4o-realtime', baseUrl: 'http://x', options: {} } as const;

function utterance(sessionId: string, seq: number): UtteranceInsert {
  return {
    id: crypto.randomUUID(),
    sessionId,
    seq,
    sampleId: null,
    audioSeconds: 2,
    speechStartS: seq,
    speechEndS: seq + 1,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
  };
}

function finish(finalMs: number, status: UtteranceFinish['status'] = 'ok'): UtteranceFinish {
  return {
    status,
    transcript: `t${finalMs}`,
    error: status === 'failed' ? { code: 'E', message: 'boom' } : null,
    latencyFirstTokenMs: finalMs / 2,
    latencyFinalMs: finalMs,
    realTimeFactor: 0.5,
    scores: { wer: 0.25 },
    finishedAt: new Date(Date.UTC(2026, 0, 1, 1)),
  };
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`stream session repositories on ${backend.name}`, () => {
    let ts: TestStore;
    beforeAll(async () => {
      ts = await backend.create();
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('opens a session: upserts the model (refreshing a known one) and inserts the row', async () => {
      const db = ts.store.db;
      await db.insertInto('models').values({ id: model.id, adapter: 'old', kind: 'specialist', model: null, base_url: null }).execute();
      const id = await openStreamSession(db, { model, apiKeyId: null, protocol: 'native', config: { lang: 'en' } });
      const m = await db.selectFrom('models').selectAll().where('id', '=', model.id).executeTakeFirstOrThrow();
      expect([m.adapter, m.kind, m.model, m.base_url]).toEqual(['openai-realtime', 'generalist', 'gpt-4o-realtime', 'http://x']);
      const s = await findStreamSession(db, id);
      expect(s).toMatchObject({ id, model_id: model.id, protocol: 'native', status: 'open', config: { lang: 'en' }, dataset_id: null, ended_at: null });
      expect(await findStreamSession(db, crypto.randomUUID())).toBeUndefined();
    });

    it('writes batches: patches set only their fields, an insert carries its outcome, a replay inserts nothing twice', async () => {
      const db = ts.store.db;
      const id = await openStreamSession(db, { model, apiKeyId: null, protocol: 'realtime', config: { a: 1 } });
      const u1 = utterance(id, 1);
      const u2 = utterance(id, 2);
      const u3 = utterance(id, 3);
      const batch = {
        sessions: [[id, { audioSeconds: 4.5 }]] as const,
        utterances: [
          { kind: 'insert', row: u1, finish: finish(100) },
          { kind: 'insert', row: u2, finish: undefined },
          { kind: 'insert', row: u3, finish: undefined },
        ] as const,
      };
      // Two rows per statement: the three inserts go out as two statements.
      await writeLiveBatch(db, batch, { maxRowsPerStatement: 2, transaction: true });
      await writeLiveBatch(db, batch, { maxRowsPerStatement: 2, transaction: true });
      await writeLiveBatch(
        db,
        {
          sessions: [[id, { status: 'closed', endedAt: new Date(Date.UTC(2026, 0, 2)) }]],
          utterances: [{ kind: 'update', id: u2.id, finish: finish(300, 'failed') }],
        },
        { maxRowsPerStatement: 500, transaction: false },
      );

      const s = (await findStreamSession(db, id))!;
      expect([s.status, s.audio_seconds, s.config, s.ended_at?.toISOString()]).toEqual(['closed', 4.5, { a: 1 }, '2026-01-02T00:00:00.000Z']);
      const rows = await listUtterances(db, id);
      expect(rows.map((r) => [r.seq, r.status, r.transcript, r.latency_final_ms])).toEqual([
        [1, 'ok', 't100', 100],
        [2, 'failed', 't300', 300],
        [3, 'open', null, null],
      ]);
      expect(rows[0]?.scores).toEqual({ wer: 0.25 });
      expect(rows[1]?.error).toEqual({ code: 'E', message: 'boom' });
      expect(rows[0]?.created_at.toISOString()).toBe('2026-01-01T00:00:01.000Z');
    });

    it('a failing batch in a transaction leaves nothing behind', async () => {
      const db = ts.store.db;
      const id = await openStreamSession(db, { model, apiKeyId: null, protocol: 'native', config: {} });
      const bad = { ...utterance(id, 1), sessionId: crypto.randomUUID() };
      await expect(
        writeLiveBatch(
          db,
          { sessions: [[id, { audioSeconds: 9 }]], utterances: [{ kind: 'insert', row: bad, finish: undefined }] },
          { maxRowsPerStatement: 500, transaction: true },
        ),
      ).rejects.toThrow();
      expect((await findStreamSession(db, id))!.audio_seconds).toBe(0);
    });

    it('lists sessions newest first with utterance counts, percentiles, staleness and a status filter', async () => {
      const db = ts.store.db;
      const id = await openStreamSession(db, { model, apiKeyId: null, protocol: 'native', config: {} });
      const us = [100, 200, 300, 400].map((ms, i) => ({ kind: 'insert' as const, row: utterance(id, i + 1), finish: finish(ms) }));
      await writeLiveBatch(db, { sessions: [], utterances: us }, { maxRowsPerStatement: 500, transaction: true });
      await sql`update stream_sessions set created_at = now() + interval '1 hour', heartbeat_at = now() - interval '2 minutes' where id = ${id}`.execute(db);

      const all = await listStreamSessions(db, { limit: 50 });
      expect(all[0]?.id).toBe(id);
      const mine = defined(all[0], 'a listed session');
      expect(Number(mine.utterances)).toBe(4);
      expect(mine.final_p50_ms).toBe(250);
      expect(mine.first_token_p50_ms).toBe(125);
      expect(mine.final_p99_ms).toBeCloseTo(397, 6);
      expect(mine.stale).toBe(true);
      const empty = all.find((s) => s.id !== id && Number(s.utterances) === 0);
      expect(empty?.final_p50_ms ?? null).toBeNull();

      expect((await listStreamSessions(db, { limit: 1 })).map((s) => s.id)).toEqual([id]);
      const closed = await listStreamSessions(db, { limit: 50, status: 'closed' });
      expect(closed.length).toBeGreaterThan(0);
      expect(closed.every((s) => s.status === 'closed')).toBe(true);
      expect(closed.map((s) => s.id)).not.toContain(id);
    });
  });
}
