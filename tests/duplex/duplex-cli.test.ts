// The built `evalgate duplex` (issue 17): help, the refusals made before
// anything runs, a run of two synthetic scenarios against a scripted realtime
// upstream with its per-scenario table and JSON, the leaderboard ranking duplex
// runs, and a live session refusing to bind a duplex scenario (PostgreSQL).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthSpeech } from '../../datasets/synth/speech-clips.js';
import { synthTurnTakingSet, trimSpeech } from '../../datasets/synth/turn-taking-set.js';
import { findBoundSample } from '../../gateway/live/sample-binding.js';
import { decodeAudioFile } from '../../gateway/media/decode-audio.js';
import { floatToPcm16 } from '../../gateway/models/media/media-encoding.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { spawnCli } from '../helpers/run-cli.js';
import { createTestDatabase, postgresAvailable } from '../helpers/test-stores.js';
import { ScriptedRealtimeServer } from '../models/servers/scripted-realtime-server.js';
import { turnTakingScript } from './turn-taking-upstream.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const hasPostgres = await postgresAvailable();

describe.skipIf(!hasPostgres)('evalgate duplex (built CLI, PostgreSQL, a scripted realtime upstream)', () => {
  let dir: string;
  let server: ScriptedRealtimeServer;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let configPath: string;
  let manifest: string;
  const cli = (args: string[]): ReturnType<typeof spawnCli> =>
    spawnCli(['--config', configPath, ...args], { cwd: repo, env: { ...process.env, DATABASE_URL: '' } });

  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/gateway/cli/commands/duplex.js'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'ignore' });
    dir = await mkdtemp(join(tmpdir(), 'evalgate-duplex-cli-'));
    const set = await synthTurnTakingSet({ outDir: join(dir, 'set'), seed: 5, count: 1 });
    manifest = join(dir, 'set', 'two.jsonl');
    const two = set.samples.filter((s) => s.scenario === 'pause-handling' || s.scenario === 'smooth-turn-taking');
    await writeFile(manifest, two.map((s) => JSON.stringify(s)).join('\n') + '\n');
    await synthSpeech({ text: 'sure I can tell you all about it right now if you like', voice: 'en-us', speedWpm: 175, pitch: 50 }, join(dir, 'r.wav'));
    const reply = trimSpeech(floatToPcm16((await decodeAudioFile(join(dir, 'r.wav'), { sampleRateHz: 24_000 })).samples));
    server = await ScriptedRealtimeServer.start();
    server.script = turnTakingScript({ eager: { answerAfterSilenceMs: 300, onBargeIn: 'stop', reply, selfTranscript: 'sure' } });
    database = await createTestDatabase();
    const realtime = (id: string, options: Record<string, unknown>): Record<string, unknown> => ({
      id,
      adapter: 'openai-realtime',
      kind: 'generalist',
      baseUrl: server.url,
      model: 'eager',
      options,
    });
    configPath = join(dir, 'evalgate.config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        database: { url: database.url },
        cacheDir: join(dir, 'cache'),
        models: [
          realtime('eager', { outputModality: 'audio', turnDetection: 'server_vad' }),
          realtime('no-vad', { outputModality: 'audio' }),
          { id: 'texter', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.url, model: 'gpt-4o', options: { outputAudio: { voice: 'alloy' } } },
          { id: 'ps', adapter: 'pocketsphinx', kind: 'specialist' },
          { id: 'whisper', adapter: 'whisper-onnx', kind: 'specialist', options: { modelDir: join(dir, 'no-such-whisper') } },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--help names the options and where recordings go', async () => {
    const r = await cli(['duplex', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--dataset', '--model', '--asr-model', '--concurrency', '--resume', '--json']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain('<cacheDir>/duplex/');
  });

  it.each([
    [['--model', 'texter', '--asr-model', 'ps'], /played live to a realtime upstream; texter uses adapter openai-chat/],
    [['--model', 'no-vad', '--asr-model', 'ps'], /must decide when to speak .*turnDetection "server_vad" or "semantic_vad"/],
    [['--model', 'eager', '--asr-model', 'whisper'], /whisper-onnx\) gives no word timings/],
    [['--model', 'eager'], /heard by a local ASR expert giving word timings: pass --asr-model ID \(pocketsphinx or an ONNX CTC export\)/],
  ])('refuses before anything is played: %j', async (args, message) => {
    const before = server.sessions.length;
    const r = await cli(['duplex', '--dataset', manifest, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(server.sessions.length).toBe(before);
  });

  it('plays the scenarios, prints the per-scenario table, ranks the run, and refuses to bind a scenario to a live turn', async () => {
    const r = await cli(['duplex', '--dataset', manifest, '--model', 'eager', '--asr-model', 'ps']);
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pause-handling\s+n\s+1\s+TOR \(lower is better\) 1\.000/);
    expect(r.stdout).toMatch(/smooth-turn-taking\s+n\s+1\s+TOR 1\.000, latency \d\.\d{3} s/);
    expect(r.stdout).toMatch(/behaviour accuracy 0\.500/);
    expect(server.sessions.length).toBe(2);

    // The same command again continues the finished run: nothing is played, the JSON reports the metrics.
    const again = await cli(['duplex', '--dataset', manifest, '--model', 'eager', '--asr-model', 'ps', '--json']);
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout) as { task: string; metrics: Record<string, number>; counts: { ok: number } };
    expect(doc).toMatchObject({ task: 'duplex', counts: { ok: 2 } });
    expect(doc.metrics).toMatchObject({ pause_tor: 1, turn_tor: 1, behaviour_accuracy: 0.5 });
    expect(server.sessions.length).toBe(2);

    const board = await cli(['leaderboard', '--task', 'duplex', '--json']);
    expect(board.code).toBe(0);
    expect(board.stdout).toContain('eager');
    expect(board.stdout).toContain('behaviour_accuracy');

    const store: Store = await openStore({ url: database.url });
    try {
      await expect(findBoundSample(store.db, { dataset: 'two', sample: 'pause-handling-01' })).rejects.toThrow(
        /duplex scenario: it is played with `evalgate duplex`/,
      );
    } finally {
      await store.close();
    }
  }, 120_000);
});
