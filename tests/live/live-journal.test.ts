import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalHost, LiveJournal } from '../../gateway/live/live-journal.js';
import { LiveWriteQueue } from '../../gateway/live/live-write-queue.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { eventually } from './live-kit.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('live journal recovery at start', () => {
  let ts: TestStore;
  beforeAll(async () => {
    ts = await createPgliteTestStore();
    await ts.store.db.insertInto('models').values({ id: 'm', adapter: 'scripted', kind: 'specialist' }).execute();
  }, 60_000);
  afterAll(async () => ts?.dispose());

  it("replays an orphan journal in order and once, skips a torn last line, and leaves a live process's journal alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-journal-'));
    const sid = (await ts.store.db.insertInto('stream_sessions').values({ model_id: 'm', protocol: 'native' }).returning('id').executeTakeFirstOrThrow()).id;
    const id = randomUUID();
    const at = new Date('2026-12-04T10:00:00Z').toISOString();
    const insert = {
      sessions: [],
      utterances: [
        {
          kind: 'insert',
          row: { id, sessionId: sid, seq: 1, sampleId: null, audioSeconds: 1, speechStartS: 0, speechEndS: 1, createdAt: at },
          finish: undefined,
        },
      ],
    };
    const finish = {
      sessions: [[sid, { status: 'closed', audioSeconds: 1, endedAt: at }]],
      utterances: [
        {
          kind: 'update',
          id,
          finish: {
            status: 'ok',
            transcript: 'from the journal',
            error: null,
            latencyFirstTokenMs: 5,
            latencyFinalMs: 9,
            realTimeFactor: 0.1,
            scores: null,
            speech: { mediaPath: '/cache/reply.flac', selfTranscript: 'what it said' },
            finishedAt: at,
          },
        },
      ],
    };
    // The insert twice: a batch whose commit landed before the process died is replayed again.
    const orphan = `live-${deadPid()}-x-1.jsonl`;
    await writeFile(join(dir, orphan), `${JSON.stringify(insert)}\n${JSON.stringify(insert)}\n${JSON.stringify(finish)}\n{"sessions":[["${sid}",{"stat`);
    const alive = `live-${process.ppid}-y-1.jsonl`;
    await writeFile(join(dir, alive), `${JSON.stringify(insert)}\n`);

    const backlog: number[] = [];
    const errors: unknown[] = [];
    const journal = new LiveJournal(dir);
    const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 100, journal, onError: (e) => errors.push(e), onBacklog: (n) => backlog.push(n) });
    const torn: string[] = [];
    expect(await q.recoverOrphans((file) => torn.push(file))).toBe(3);
    expect(torn).toEqual([orphan]);
    await eventually(() => (q.backlogRows === 0 ? true : undefined), 'the backlog to drain');
    expect(backlog.at(-1)).toBe(0);
    const rows = await ts.store.db.selectFrom('utterances').selectAll().where('session_id', '=', sid).execute();
    expect(rows.map((r) => [r.seq, r.status, r.transcript])).toEqual([[1, 'ok', 'from the journal']]);
    expect(rows[0]?.finished_at?.toISOString()).toBe(at);
    // A spoken reply's record survives the dead process with the rest of its outcome.
    expect(rows[0]?.speech).toEqual({ mediaPath: '/cache/reply.flac', selfTranscript: 'what it said' });
    const session = await ts.store.db.selectFrom('stream_sessions').select(['status', 'ended_at']).where('id', '=', sid).executeTakeFirstOrThrow();
    expect(session.status).toBe('closed');
    expect(errors).toEqual([]);
    // The orphan is gone; the live process's journal is untouched; ours is empty and removed on close.
    const files = await readdir(dir);
    expect(files).not.toContain(orphan);
    expect(await readFile(join(dir, alive), 'utf8')).toBe(`${JSON.stringify(insert)}\n`);
    await q.close();
    expect(await readdir(dir)).toEqual([alive]);
  });

  it('replays a batch that arrives while the replay loop is finishing (truncating the journal), without waiting for another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-journal-'));
    const sid = (await ts.store.db.insertInto('stream_sessions').values({ model_id: 'm', protocol: 'native' }).returning('id').executeTakeFirstOrThrow()).id;
    const at = new Date('2026-12-04T11:00:00Z').toISOString();
    const insertOf = (seq: number): string =>
      `${JSON.stringify({ sessions: [], utterances: [{ kind: 'insert', row: { id: randomUUID(), sessionId: sid, seq, sampleId: null, audioSeconds: 1, speechStartS: 0, speechEndS: 1, createdAt: at }, finish: undefined }] })}\n`;
    // A journal whose truncate waits until released: the moment the old loop ended without looking at new work.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let truncating = false;
    class SlowTruncateJournal extends LiveJournal {
      override async truncate(): Promise<void> {
        truncating = true;
        await gate;
        return super.truncate();
      }
    }
    const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 100, journal: new SlowTruncateJournal(dir), onError: () => undefined });
    await writeFile(join(dir, `live-${deadPid()}-a-1.jsonl`), insertOf(1));
    expect(await q.recoverOrphans()).toBe(1);
    await eventually(() => truncating || undefined, 'the replay loop to reach its truncate');
    await writeFile(join(dir, `live-${deadPid()}-b-1.jsonl`), insertOf(2));
    expect(await q.recoverOrphans()).toBe(1);
    release();
    await eventually(() => (q.backlogRows === 0 ? true : undefined), 'the late batch to be replayed', 5_000);
    const seqs = (await ts.store.db.selectFrom('utterances').select('seq').where('session_id', '=', sid).orderBy('seq').execute()).map((r) => r.seq);
    expect(seqs).toEqual([1, 2]);
    await q.close();
  });

  it("never claims a journal named for another host (its pid may run there), reports it once, and claims this host's named orphans", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-journal-'));
    const sid = (await ts.store.db.insertInto('stream_sessions').values({ model_id: 'm', protocol: 'native' }).returning('id').executeTakeFirstOrThrow()).id;
    const patch = (audioSeconds: number): string => `${JSON.stringify({ sessions: [[sid, { audioSeconds }]], utterances: [] })}\n`;
    const pid = deadPid();
    const t36 = Date.now().toString(36);
    // The same dead-looking pid, once for a gateway on another machine sharing the folder (NFS), once for this host.
    const foreignHost = journalHost === 'gw-other.example' ? 'gw-other2.example' : 'gw-other.example';
    const foreign = `live@${foreignHost}-${pid}-${t36}-0a0b0c0d.jsonl`;
    const local = `live@${journalHost}-${pid}-${t36}-01020304.jsonl`;
    await writeFile(join(dir, foreign), patch(7));
    await writeFile(join(dir, local), patch(3));

    const journal = new LiveJournal(dir);
    expect(journal.path).toContain(`live@${journalHost}-${process.pid}-`);
    const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 100, journal, onError: () => undefined });
    const reported: [string, string][] = [];
    expect(await q.recoverOrphans(undefined, (file, host) => reported.push([file, host]))).toBe(1);
    expect(await q.recoverOrphans(undefined, (file, host) => reported.push([file, host]))).toBe(0);
    expect(reported).toEqual([[foreign, foreignHost]]);
    await eventually(() => (q.backlogRows === 0 ? true : undefined), 'the backlog to drain');
    const session = await ts.store.db.selectFrom('stream_sessions').select('audio_seconds').where('id', '=', sid).executeTakeFirstOrThrow();
    expect(session.audio_seconds).toBe(3);
    expect(await readFile(join(dir, foreign), 'utf8')).toBe(patch(7));
    await q.close();
    expect(await readdir(dir)).toEqual([foreign]);
  });

  it("replays orphans of several dead processes oldest first (by the time in the name, not the pid's spelling), old names and host-named ones alike", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-journal-'));
    const sid = (await ts.store.db.insertInto('stream_sessions').values({ model_id: 'm', protocol: 'native' }).returning('id').executeTakeFirstOrThrow()).id;
    const patch = (audioSeconds: number): string => `${JSON.stringify({ sessions: [[sid, { audioSeconds }]], utterances: [] })}\n`;
    // Two dead pids; the older journal gets the one whose decimal string sorts later.
    const a = deadPid();
    let b = deadPid();
    while (b === a) b = deadPid();
    const [laterSpelling, earlierSpelling] = String(a) > String(b) ? [a, b] : [b, a];
    const t0 = Date.parse('2026-12-04T09:00:00Z');
    // Journals named as before hosts were (what an upgraded gateway finds at its first start).
    await writeFile(join(dir, `live-${laterSpelling}-${t0.toString(36)}-aaaa0001.jsonl`), patch(1));
    await writeFile(join(dir, `live-${earlierSpelling}-${(t0 + 120_000).toString(36)}-aaaa0003.jsonl`), patch(3));

    const journal = new LiveJournal(dir);
    const q = new LiveWriteQueue(ts.store.db, { maxPendingRows: 100, journal, onError: () => undefined });
    expect(await q.recoverOrphans()).toBe(2);
    await eventually(() => (q.backlogRows === 0 ? true : undefined), 'the backlog to drain');
    // The newer session patch ran last.
    const session = await ts.store.db.selectFrom('stream_sessions').select('audio_seconds').where('id', '=', sid).executeTakeFirstOrThrow();
    expect(session.audio_seconds).toBe(3);

    // A journal of this version, named with this host, takes its place by time among old names.
    await writeFile(join(dir, `live-${laterSpelling}-${t0.toString(36)}-bbbb0001.jsonl`), patch(4));
    await writeFile(join(dir, `live@${journalHost}-${earlierSpelling}-${(t0 + 60_000).toString(36)}-bbbb0002.jsonl`), patch(5));
    await writeFile(join(dir, `live-${earlierSpelling}-${(t0 + 30_000).toString(36)}-bbbb0003.jsonl`), patch(6));
    expect(await q.recoverOrphans()).toBe(3);
    await eventually(() => (q.backlogRows === 0 ? true : undefined), 'the backlog to drain');
    const again = await ts.store.db.selectFrom('stream_sessions').select('audio_seconds').where('id', '=', sid).executeTakeFirstOrThrow();
    expect(again.audio_seconds).toBe(5);
    await q.close();
    expect(await readdir(dir)).toEqual([]);
  });
});
