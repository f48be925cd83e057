import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveWriteQueue, type UtteranceFinish } from '../../gateway/live/live-write-queue.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

const finish = (text: string): UtteranceFinish => ({
  status: 'ok',
  transcript: text,
  error: null,
  latencyFirstTokenMs: 12.5,
  latencyFinalMs: 40,
  realTimeFactor: 0.02,
  scores: { wer: 0.25 },
  finishedAt: new Date(),
});

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`live write-behind queue on ${backend.name}`, () => {
    let ts: TestStore;
    const errors: unknown[] = [];
    beforeAll(async () => {
      ts = await backend.create();
      await ts.store.db.insertInto('models').values({ id: 'm', adapter: 'scripted', kind: 'specialist' }).execute();
    }, 60_000);
    afterAll(async () => ts?.dispose());

    const newSession = async (): Promise<string> =>
      (await ts.store.db.insertInto('stream_sessions').values({ model_id: 'm', protocol: 'native' }).returning('id').executeTakeFirstOrThrow()).id;

    it('folds an outcome into an insert still queued, updates one already written, and merges session patches', async () => {
      const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 1000, onError: (e) => errors.push(e) });
      const sid = await newSession();
      const a = randomUUID();
      const b = randomUUID();
      q.updateSession(sid, { status: 'disconnected', audioSeconds: 3 });
      q.updateSession(sid, { status: 'open', endedAt: null, config: { k: 1 } });
      q.insertUtterance({ id: a, sessionId: sid, seq: 1, sampleId: null, audioSeconds: 2, speechStartS: 0, speechEndS: 2, createdAt: new Date() });
      // A spoken reply's stored audio and self transcript go with its outcome, through the insert and the update paths.
      q.finishUtterance(a, { ...finish('first'), speech: { mediaPath: '/cache/a.flac', selfTranscript: 'said first' } });
      q.insertUtterance({ id: b, sessionId: sid, seq: 2, sampleId: null, audioSeconds: 1, speechStartS: 2, speechEndS: 3, createdAt: new Date() });
      expect(q.pendingRows).toBe(3);
      await q.flush();
      expect(q.pendingRows).toBe(0);
      const open = await ts.store.db.selectFrom('utterances').select(['status', 'transcript']).where('id', '=', b).executeTakeFirstOrThrow();
      expect(open).toEqual({ status: 'open', transcript: null });
      q.finishUtterance(b, {
        ...finish('second'),
        status: 'failed',
        error: { code: 'EVALGATE_ERR_MODEL_TIMEOUT', message: 'slow' },
        scores: null,
        speech: { mediaPath: '/cache/b.flac', selfTranscript: null },
      });
      q.updateSession(sid, { status: 'closed', audioSeconds: 4.5, endedAt: new Date() });
      await q.flush();
      const rows = await ts.store.db.selectFrom('utterances').selectAll().where('session_id', '=', sid).orderBy('seq').execute();
      expect(rows.map((r) => [r.seq, r.status, r.transcript])).toEqual([
        [1, 'ok', 'first'],
        [2, 'failed', 'second'],
      ]);
      expect(rows[0]?.scores).toEqual({ wer: 0.25 });
      expect(rows.map((r) => r.speech)).toEqual([
        { mediaPath: '/cache/a.flac', selfTranscript: 'said first' },
        { mediaPath: '/cache/b.flac', selfTranscript: null },
      ]);
      expect(rows[0]?.latency_first_token_ms).toBe(12.5);
      expect(rows[0]?.finished_at).not.toBeNull();
      expect(rows[1]?.error).toEqual({ code: 'EVALGATE_ERR_MODEL_TIMEOUT', message: 'slow' });
      const s = await ts.store.db.selectFrom('stream_sessions').selectAll().where('id', '=', sid).executeTakeFirstOrThrow();
      expect(s.status).toBe('closed');
      expect(s.audio_seconds).toBe(4.5);
      expect(s.config).toEqual({ k: 1 });
      expect(s.ended_at).not.toBeNull();
      expect(errors).toEqual([]);
    });

    it('a bad row in a batch is reported without losing the good rows', async () => {
      const seen: unknown[] = [];
      const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 1000, onError: (e) => seen.push(e) });
      const sid = await newSession();
      const good = randomUUID();
      q.insertUtterance({ id: good, sessionId: sid, seq: 1, sampleId: null, audioSeconds: 1, speechStartS: null, speechEndS: null, createdAt: new Date() });
      // No such session: a foreign-key violation that fails the batch's transaction.
      q.insertUtterance({
        id: randomUUID(),
        sessionId: 'no-such-session',
        seq: 1,
        sampleId: null,
        audioSeconds: 1,
        speechStartS: null,
        speechEndS: null,
        createdAt: new Date(),
      });
      q.updateSession(sid, { audioSeconds: 1 });
      await q.flush();
      expect(seen).toHaveLength(1);
      expect(await ts.store.db.selectFrom('utterances').select('id').where('id', '=', good).executeTakeFirst()).toEqual({ id: good });
      expect((await ts.store.db.selectFrom('stream_sessions').select('audio_seconds').where('id', '=', sid).executeTakeFirstOrThrow()).audio_seconds).toBe(1);
    });

    it('reports pressure when full (wait policy) and releases it once drained', async () => {
      const pressure: boolean[] = [];
      const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 4, onError: (e) => errors.push(e), onPressure: (full) => pressure.push(full) });
      const sid = await newSession();
      for (let seq = 1; seq <= 5; seq++) {
        q.insertUtterance({
          id: randomUUID(),
          sessionId: sid,
          seq,
          sampleId: null,
          audioSeconds: 1,
          speechStartS: null,
          speechEndS: null,
          createdAt: new Date(),
        });
      }
      expect(pressure).toEqual([true]);
      await q.flush();
      expect(pressure).toEqual([true, false]);
      const n = await ts.store.db
        .selectFrom('utterances')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('session_id', '=', sid)
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(5);
    });
  });
}
