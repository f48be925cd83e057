// kill -9 of the built `evalgate run --asr-model` (spoken answers, issue 17)
// in the middle of a run, then the same command: it continues the same run,
// asks the model again only for the answer it was waiting for at the kill,
// stores each sample once with one FLAC, and leaves no temporary file. The
// model is a local server speaking OpenAI chat completions with audio output
// (`message.audio.data` as WAV, plus a transcript); the expert is the tiny
// ONNX CTC model the ASR tests build, which hears "HELLO WORLD" in that audio.
// PostgreSQL of the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { HELLO_WORLD, spell, waveformCtcDir } from '../asr/tiny-ctc-model.js';
import { cliPath, ensureBuilt, type CliExit } from './duplex-chaos-kit.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const spokenWav = Buffer.from(encodeWav16(spell(HELLO_WORLD), 16_000)).toString('base64');

/** A chat-completions server that answers every request in speech after `delayMs`; requests are told apart by `[sample:KEY]` in the prompt. */
interface SpeakingServer {
  readonly url: string;
  /** Requests received per sample key. */
  readonly requests: Map<string, number>;
  /** Replies sent per sample key. */
  readonly answered: Map<string, number>;
  /** Requests received and not yet answered, with when they arrived. */
  readonly waiting: Map<string, number>;
  close(): Promise<void>;
}

async function startSpeakingServer(delayMs: number): Promise<SpeakingServer> {
  const requests = new Map<string, number>();
  const answered = new Map<string, number>();
  const waiting = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const key = /\[sample:([\w-]+)\]/.exec(body)?.[1] ?? '?';
      requests.set(key, (requests.get(key) ?? 0) + 1);
      waiting.set(key, Date.now());
      setTimeout(() => {
        waiting.delete(key);
        if (res.destroyed) return;
        answered.set(key, (answered.get(key) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${key}`,
            object: 'chat.completion',
            created: 1_900_000_000,
            model: 'gpt-4o-audio-preview',
            choices: [
              {
                index: 0,
                finish_reason: 'stop',
                message: {
                  role: 'assistant',
                  content: null,
                  audio: { id: `audio_${key}`, expires_at: 1_900_000_000, data: spokenWav, transcript: 'goodbye moon' },
                },
              },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
          }),
        );
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    answered,
    waiting,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe('kill -9 of evalgate run --asr-model mid-run, then the same command (built CLI, private PostgreSQL, spoken answers)', () => {
  const n = 10;
  let pg: PrivatePostgres;
  let store: Store;
  let dir: string;
  let ctcDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    pg = await startPrivatePostgres();
    store = await openStore({ url: pg.url });
    dir = await mkdtemp(join(tmpdir(), 'evalgate-spoken-kill-'));
    ctcDir = waveformCtcDir();
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store?.close();
    await pg?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (ctcDir) await rm(ctcDir, { recursive: true, force: true });
  });

  /** A dataset, a server and a config of their own, under `<dir>/<name>/`. */
  async function setup(name: string, delayMs: number) {
    const root = join(dir, name);
    const server = await startSpeakingServer(delayMs);
    const keys = Array.from({ length: n }, (_, i) => `${name}${String(i).padStart(2, '0')}`);
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'q.wav'), encodeWav16(new Float32Array(1600), 16_000));
    const manifest = join(root, 'set.jsonl');
    await writeFile(manifest, keys.map((id) => JSON.stringify({ id, task: 'asr', audio: 'q.wav', reference: 'HELLO WORLD', question: id })).join('\n') + '\n');
    const cacheDir = join(root, 'cache');
    const configPath = join(root, 'evalgate.config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        database: { url: pg.url },
        cacheDir,
        models: [
          {
            id: `talker-${name}`,
            adapter: 'openai-chat',
            kind: 'generalist',
            baseUrl: server.url,
            model: 'gpt-4o-audio-preview',
            options: { outputAudio: { voice: 'alloy' }, prompts: { asr: 'Repeat what you hear. [sample:{question}]' } },
          },
          { id: 'ctc', adapter: 'onnx-ctc', kind: 'specialist', options: { modelDir: ctcDir } },
        ],
      }),
    );
    const args = ['--config', configPath, 'run', '--dataset', manifest, '--model', `talker-${name}`, '--asr-model', 'ctc', '--concurrency', '1', '--json'];
    const start = (): { child: ChildProcess; exited: Promise<CliExit> } => {
      const child = spawn(process.execPath, [cliPath, ...args], { cwd: repo, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<CliExit>((r, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => r({ code, signal, stdout, stderr }));
      });
      return { child, exited };
    };
    const runId = async (): Promise<string | undefined> =>
      (await store.db.selectFrom('runs').select('id').where('model_id', '=', `talker-${name}`).executeTakeFirst())?.id;
    const rows = async (id: string) =>
      (
        await store.db
          .selectFrom('predictions as p')
          .innerJoin('samples as s', 's.id', 'p.sample_id')
          .select(['s.sample_key', 'p.status', 'p.output_text', 'p.raw_response'])
          .where('p.run_id', '=', id)
          .execute()
      ).map((r) => ({
        key: r.sample_key,
        status: r.status,
        text: r.output_text,
        mediaPath: (r.raw_response as { speech?: { mediaPath?: string } } | null)?.speech?.mediaPath,
      }));
    const mediaDir = (id: string): string => join(cacheDir, 'spoken-answers', id);
    const files = async (id: string): Promise<string[]> => (await readdir(mediaDir(id)).catch(() => [] as string[])).sort();
    return { server, keys, start, runId, rows, mediaDir, files };
  }

  const waitFor = async (cond: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  };

  /** The run completed by the second command: every sample once, one FLAC each, nothing else in the folder. */
  async function expectStoredOnce(t: Awaited<ReturnType<typeof setup>>, id: string): Promise<void> {
    const all = await t.rows(id);
    expect(all).toHaveLength(n);
    expect(all.map((r) => r.key).sort()).toEqual(t.keys);
    expect(all.every((r) => r.status === 'ok' && r.text === 'HELLO WORLD')).toBe(true);
    const paths = all.map((r) => r.mediaPath!);
    expect(new Set(paths).size).toBe(n);
    const files = await t.files(id);
    expect(files).toEqual(paths.map((p) => basename(p)).sort());
    for (const p of paths) expect((await readFile(p)).toString('ascii', 0, 4)).toBe('fLaC');
  }

  it('kill -9 while waiting for an answer: the same command asks only for the missing answers, stores each once', async () => {
    const t = await setup('w', 500);
    try {
      const first = t.start();
      let id: string | undefined;
      // Every answer received is stored (so no FLAC is being written), and the next request has waited 150 ms of its 500.
      await waitFor(async () => {
        id ??= await t.runId();
        if (!id) return false;
        const stored = (await t.rows(id)).length;
        const since = [...t.server.waiting.values()][0];
        return stored >= 3 && stored === total(t.server.answered) && since !== undefined && Date.now() - since >= 150;
      }, 'three stored answers and a request in flight');
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const runId = id!;
      const atKill = await t.rows(runId);
      const k = atKill.length;
      expect(k).toBeLessThan(n);
      const requestsAtKill = new Map(t.server.requests);
      // Exactly one call was in flight at the kill (concurrency 1), its answer never received.
      expect(total(requestsAtKill)).toBe(k + 1);
      const mtimes = new Map<string, number>();
      for (const r of atKill) mtimes.set(r.mediaPath!, (await stat(r.mediaPath!)).mtimeMs);

      const again = await t.start().exited;
      expect(again.code, again.stderr).toBe(0);
      const doc = JSON.parse(again.stdout) as {
        runId: string;
        status: string;
        resumed: boolean;
        counts: { ok: number };
        metrics: Record<string, number>;
        thisExecution: { ok: number };
      };
      expect(doc).toMatchObject({ runId, status: 'completed', resumed: true, counts: { ok: n }, thisExecution: { ok: n - k } });
      expect(doc.metrics).toMatchObject({ wer: 0 });
      // Stored answers were not asked for again; each missing one was asked once more.
      for (const r of atKill) expect(t.server.requests.get(r.key), r.key).toBe(1);
      expect(total(t.server.requests)).toBe(n + 1);
      for (const key of t.keys) expect(t.server.requests.get(key), key).toBeGreaterThanOrEqual(1);
      await expectStoredOnce(t, runId);
      for (const [p, m] of mtimes) expect((await stat(p)).mtimeMs, p).toBe(m);
    } finally {
      await t.server.close();
    }
  }, 120_000);

  // gateway/runner/store-flac.ts writes `<hash>.<pid>.wav` and `<hash>.<pid>.tmp.flac` next to the recordings and
  // removes them in its own `finally`; a kill -9 while ffmpeg runs leaves both behind (the orphaned ffmpeg even
  // finishes the .tmp.flac). The next process sweeps another pid's temporary files before its first store (299480c).
  it('kill -9 while a FLAC is being written: the continued run leaves no temporary file', async () => {
    const t = await setup('f', 100);
    try {
      const first = t.start();
      let id: string | undefined;
      const temp = (f: string): boolean => /\.\d+\.(wav|tmp\.flac)$/.test(f);
      // Kill the moment a temporary file of the second or later answer appears (FLAC storing in progress).
      await waitFor(async () => {
        id ??= await t.runId();
        if (!id) return false;
        const files = await t.files(id);
        return files.some((f) => f.endsWith('.flac') && !temp(f)) && files.some(temp);
      }, 'a FLAC being stored');
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const runId = id!;
      // The killed process's temporary files are there (its `finally` never ran).
      expect((await t.files(runId)).some(temp)).toBe(true);
      const again = await t.start().exited;
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ runId, status: 'completed', counts: { ok: n } });
      // An orphaned ffmpeg may still be finishing its temporary file: give it a moment before looking.
      await sleep(500);
      await expectStoredOnce(t, runId);
    } finally {
      await t.server.close();
    }
  }, 120_000);
});
