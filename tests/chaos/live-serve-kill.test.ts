import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { eventually } from '../live/live-kit.js';
import { startScriptedChatUpstream } from '../live/servers/scripted-chat-upstream.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

// Finding 9, second half: results journaled during an outage by a gateway that
// is then killed (kill -9, nothing flushed) are replayed by the next gateway
// started on the same journal folder.

type Msg = { type: string; [k: string]: unknown };

async function backlog(url: string): Promise<number> {
  const body = await (await fetch(`${url}/metrics`)).text();
  const m = /^evalgate_live_journal_backlog (\d+)/m.exec(body);
  if (!m) throw new Error('evalgate_live_journal_backlog is not in /metrics');
  return Number(m[1]);
}

describe('kill -9 of serve with live results journaled during an outage', () => {
  let db: PrivatePostgres;
  let up: Awaited<ReturnType<typeof startScriptedChatUpstream>>;
  let dir: string;
  const children: ServeProcess['child'][] = [];
  beforeAll(async () => {
    db = await startPrivatePostgres();
    up = await startScriptedChatUpstream({ reply: (i) => `answer ${i + 1}`, latencyMs: 5 });
    dir = await mkdtemp(join(tmpdir(), 'evalgate-serve-kill-'));
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await up?.close();
    await db?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the next serve replays the journal the killed one left', async () => {
    const journalDir = join(dir, 'journal');
    const config = join(dir, 'evalgate.config.json');
    await writeFile(
      config,
      JSON.stringify({
        database: { url: db.url },
        logLevel: 'silent',
        models: [{ id: 'chat', adapter: 'openai-chat', kind: 'generalist', model: 'gpt-4o-audio-preview', baseUrl: up.url }],
        live: { journalDir },
      }),
    );
    const first = await startServe(config, ['--no-auth']);
    children.push(first.child);

    const ws = new WebSocket(`${first.url.replace(/^http/, 'ws')}/v1/stream?model=chat`);
    const msgs: Msg[] = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
    ws.on('error', () => undefined);
    const ready = await eventually(() => msgs.find((m) => m.type === 'session.ready'), 'session.ready');
    ws.send(JSON.stringify({ type: 'configure', format: { encoding: 'pcm16', sampleRateHz: 16000 }, turnDetection: 'manual' }));
    await eventually(() => msgs.find((m) => m.type === 'configured'), 'configured');
    const finals = (): Msg[] => msgs.filter((m) => m.type === 'response.final');
    const turn = async (): Promise<void> => {
      const n = finals().length;
      ws.send(Buffer.from(new Int16Array(1600).buffer));
      ws.send(JSON.stringify({ type: 'commit' }));
      await eventually(() => finals()[n], `final ${n + 1}`);
    };
    await turn();
    await turn();
    await db.stop();
    for (let i = 0; i < 3; i++) await turn();
    expect(finals().map((f) => [f.seq, f.status])).toEqual([1, 2, 3, 4, 5].map((s) => [s, 'completed']));
    // Wait until the outage's finals are on disk in the journal, then kill without any chance to flush.
    const journalText = async (): Promise<string> => {
      const files = existsSync(journalDir) ? await readdir(journalDir) : [];
      return (await Promise.all(files.map((f) => readFile(join(journalDir, f), 'utf8')))).join('');
    };
    await eventually(async () => ((await journalText()).includes('"answer 5"') ? true : undefined), 'the last final in the journal');
    expect(await backlog(first.url)).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await first.exited;
    for (const f of [3, 4, 5]) expect(await journalText()).toContain(`"answer ${f}"`);

    await db.start();
    const second = await startServe(config, ['--no-auth']);
    children.push(second.child);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await eventually(
        async () => {
          const { rows } = await client.query<{ seq: number; status: string; transcript: string }>(
            'select seq, status, transcript from utterances where session_id = $1 order by seq',
            [ready.sessionId],
          );
          return rows.length === 5 && rows.every((r) => r.status === 'ok') ? rows : undefined;
        },
        "the killed gateway's results in the database",
        20_000,
      );
      expect(rows.map((r) => [r.seq, r.transcript])).toEqual(finals().map((f) => [f.seq, f.text]));
    } finally {
      await client.end();
    }
    await eventually(async () => ((await backlog(second.url)) === 0 ? true : undefined), 'backlog 0');
    // The killed process's file was claimed and removed; the new one holds nothing.
    expect(await journalText()).toBe('');
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
