import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthSpeech } from '../../datasets/synth/speech-clips.js';
import { synthTurnTakingSet, trimSpeech } from '../../datasets/synth/turn-taking-set.js';
import { decodeAudioFile } from '../../gateway/media/decode-audio.js';
import { floatToPcm16 } from '../../gateway/models/media/media-encoding.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { ScriptedRealtimeServer, type RealtimeSessionRecord } from '../models/servers/scripted-realtime-server.js';
import { turnTakingScript } from '../duplex/turn-taking-upstream.js';

// What the duplex chaos tests share (issue 17): three synthetic turn-taking
// scenarios (`datasets synth turn-taking`, count 1, backchannel left out: it
// plays for 23 s), a scripted realtime upstream answering in espeak-ng speech
// (tests/duplex/turn-taking-upstream.ts: answers 0.3 s into silence, yields to
// barge-ins), a config for the built CLI on a PostgreSQL the test chose, and
// the CLI spawned on it. Upstream sessions are counted per model name (the
// `model` query of the upgrade URL), so two runs can share one server.

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const cliPath = join(repo, 'dist/gateway/cli/main.js');

/** What the spawned CLI printed and how it ended. */
export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A spawned CLI: its process and a promise of how it ended. */
export interface SpawnedCli {
  readonly child: ChildProcess;
  readonly exited: Promise<CliExit>;
}

export interface DuplexChaosKit {
  readonly dir: string;
  readonly cacheDir: string;
  readonly configPath: string;
  readonly manifest: string;
  /** The scenarios' manifest ids. */
  readonly keys: readonly string[];
  /** The raw config written to `configPath` (for in-process runs). */
  readonly rawConfig: Record<string, unknown>;
  readonly server: ScriptedRealtimeServer;
  /** A store of the test's own on the same database. */
  readonly store: Store;
  /** Upstream sessions opened for one model name. */
  sessionsOf(model: string): RealtimeSessionRecord[];
  /** Whether the upstream saw that session closed. */
  isClosed(s: RealtimeSessionRecord): boolean;
  /** `evalgate duplex --dataset <manifest> --model <model> --asr-model ps --concurrency <c> --json`, spawned. */
  spawnDuplex(model: string, concurrency: number): SpawnedCli;
  /** The newest run of `model`, if any. */
  runOf(model: string): Promise<{ id: string; status: string } | undefined>;
  /** Predictions of a run: sample key, status, and the FLAC path of `ok` ones. */
  predictionsOf(runId: string): Promise<Array<{ key: string; status: string; mediaPath: string | undefined }>>;
  /** File names in `<cacheDir>/duplex/<runId>/` ([] when absent). */
  recordingFiles(runId: string): Promise<string[]>;
  dispose(): Promise<void>;
}

/** Builds the CLI when this checkout has no build yet (CI builds first). */
export function ensureBuilt(): void {
  if (!existsSync(join(repo, 'dist/gateway/cli/commands/duplex.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
}

export async function startDuplexChaos(opts: {
  readonly databaseUrl: string;
  /** Model ids (= upstream model names) to configure, all behaving the same. */
  readonly models: readonly string[];
  readonly dbOutageMaxMs?: number;
}): Promise<DuplexChaosKit> {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-duplex-chaos-'));
  // Seed 5: the set tests/duplex/duplex-cli.test.ts plays; pause 13.3 s, turn 9.4 s, interruption 14.1 s.
  const set = await synthTurnTakingSet({ outDir: join(dir, 'set'), seed: 5, count: 1 });
  const samples = set.samples.filter((s) => s.scenario !== 'backchannel');
  const manifest = join(dir, 'set', 'three.jsonl');
  await writeFile(manifest, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  // One sentence without punctuation (espeak-ng pauses at commas, and a barge-in may fall into such a pause).
  await synthSpeech({ text: 'sure I can tell you all about it right now if you like', voice: 'en-us', speedWpm: 175, pitch: 50 }, join(dir, 'r.wav'));
  const reply = trimSpeech(floatToPcm16((await decodeAudioFile(join(dir, 'r.wav'), { sampleRateHz: 24_000 })).samples));
  const server = await ScriptedRealtimeServer.start();
  const behaviour = { answerAfterSilenceMs: 300, onBargeIn: 'stop' as const, reply, selfTranscript: 'sure' };
  server.script = turnTakingScript(Object.fromEntries(opts.models.map((m) => [m, behaviour])));
  const closed = new WeakSet<RealtimeSessionRecord>();
  const watched = new WeakSet<RealtimeSessionRecord>();
  const watch = (): void => {
    for (const s of server.sessions) {
      if (watched.has(s)) continue;
      watched.add(s);
      void s.closed.then(() => closed.add(s));
    }
  };
  const cacheDir = join(dir, 'cache');
  const rawConfig: Record<string, unknown> = {
    database: { url: opts.databaseUrl },
    cacheDir,
    ...(opts.dbOutageMaxMs !== undefined ? { runner: { dbOutageMaxMs: opts.dbOutageMaxMs } } : {}),
    models: [
      ...opts.models.map((m) => ({
        id: m,
        adapter: 'openai-realtime',
        kind: 'generalist',
        baseUrl: server.url,
        model: m,
        options: { outputModality: 'audio', turnDetection: 'server_vad' },
      })),
      { id: 'ps', adapter: 'pocketsphinx', kind: 'specialist' },
    ],
  };
  const configPath = join(dir, 'evalgate.config.json');
  await writeFile(configPath, JSON.stringify(rawConfig));
  const store = await openStore({ url: opts.databaseUrl });
  const children: ChildProcess[] = [];

  return {
    dir,
    cacheDir,
    configPath,
    manifest,
    keys: samples.map((s) => s.id),
    rawConfig,
    server,
    store,
    sessionsOf: (model) => {
      watch();
      return server.sessions.filter((s) => new URL(s.url, 'http://x').searchParams.get('model') === model);
    },
    isClosed: (s) => {
      watch();
      return closed.has(s);
    },
    spawnDuplex: (model, concurrency) => {
      const args = [
        '--config',
        configPath,
        'duplex',
        '--dataset',
        manifest,
        '--model',
        model,
        '--asr-model',
        'ps',
        '--concurrency',
        String(concurrency),
        '--json',
      ];
      const child = spawn(process.execPath, [cliPath, ...args], { cwd: repo, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<CliExit>((resolvePromise, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
      });
      return { child, exited };
    },
    runOf: async (model) =>
      store.db
        .selectFrom('runs')
        .select(['id', 'status'])
        .where('model_id', '=', model)
        .orderBy('created_at', 'desc')
        .executeTakeFirst()
        .catch(() => undefined),
    predictionsOf: async (runId) => {
      const rows = await store.db
        .selectFrom('predictions as p')
        .innerJoin('samples as s', 's.id', 'p.sample_id')
        .select(['s.sample_key', 'p.status', 'p.raw_response'])
        .where('p.run_id', '=', runId)
        .execute();
      return rows.map((r) => ({
        key: r.sample_key,
        status: r.status,
        mediaPath: (r.raw_response as { duplex?: { mediaPath?: string } } | null)?.duplex?.mediaPath,
      }));
    },
    recordingFiles: async (runId) => (await readdir(join(cacheDir, 'duplex', runId)).catch(() => [] as string[])).sort(),
    dispose: async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await store.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(cond: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}

/** Retries a query of the test's own pool, which may hand out a connection a database restart cut: it fails once, the next gets a fresh one. */
export async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 5) throw err;
      await pause(200);
    }
  }
}
