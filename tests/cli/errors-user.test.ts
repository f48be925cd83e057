import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/run-cli.js';
import { killServe, pgliteProject, startServe, type ServeProcess } from '../helpers/serve-process.js';
import { toneWav } from '../datasets/fixtures.js';

// Issue 19, "Errors that say what to do": user errors surface from the real CLI with their own code and a hint, never EVALGATE_ERR_INTERNAL.

let dir: string;
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.EVALGATE_API_KEY;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-errors-'));
  await writeFile(join(dir, 'a.wav'), toneWav(0.5, 1));
  await writeFile(join(dir, 'p.jsonl'), `${JSON.stringify({ id: 'a', prediction: 'x' })}\n`);
  await writeFile(join(dir, 'r.jsonl'), `${JSON.stringify({ id: 'a', task: 'asr', reference: 'x' })}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The one `--json` error document the CLI wrote on stderr. */
function jsonError(stderr: string): { code: string; message: string } {
  const line = stderr.split('\n').find((l) => l.startsWith('{"error"'));
  expect(line, stderr).toBeDefined();
  return (JSON.parse(line!) as { error: { code: string; message: string } }).error;
}

/** A port where nothing listens: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('a file that is not there', () => {
  it('score --references missing.jsonl names the path with EVALGATE_ERR_FILE_NOT_FOUND', async () => {
    const r = await spawnCli(['score', '--references', 'missing.jsonl', '--predictions', 'p.jsonl', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_FILE_NOT_FOUND');
    expect(e.message).toContain('File not found: missing.jsonl');
    expect(e.message).toContain('Check the path');
  });

  it('score --predictions missing.jsonl too', async () => {
    const r = await spawnCli(['score', '--references', 'r.jsonl', '--predictions', 'gone.jsonl'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('File not found: gone.jsonl');
    expect(r.stderr).toContain('[EVALGATE_ERR_FILE_NOT_FOUND]');
  });

  it('datasets import manifest missing.jsonl', async () => {
    const r = await spawnCli(['datasets', 'import', 'manifest', 'missing.jsonl', '--name', 'x', '--no-db', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_FILE_NOT_FOUND');
    expect(e.message).toContain(join(dir, 'missing.jsonl'));
  });

  it('--config missing.json keeps its own code and path', async () => {
    const r = await spawnCli(['--config', 'missing.json', 'models', 'list'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Configuration file not found: ${join(dir, 'missing.json')}`);
    expect(r.stderr).toContain('[EVALGATE_ERR_CONFIG_NOT_FOUND]');
  });
});

describe('connection refused', () => {
  it('stream against a closed port names host and port and asks whether evalgate serve runs', async () => {
    const port = await closedPort();
    const r = await spawnCli(['stream', '--model', 'm', '--url', `http://127.0.0.1:${port}`, 'a.wav', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_GATEWAY_UNREACHABLE');
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).toContain('is `evalgate serve` running?');
  });
});

describe('port in use', () => {
  let blocker: Server;
  let port: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => blocker.close(() => r()));
  });

  it('serve --port N on a taken port names the port, hints another, and exits', async () => {
    const project = await pgliteProject(join(dir, 'port'));
    const r = await spawnCli(['-c', project.config, 'serve', '--host', '127.0.0.1', '--port', String(port), '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_PORT_IN_USE');
    expect(e.message).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(e.message).toContain('pick another port with --port');
  }, 60_000);
});

describe('client commands against a real gateway', () => {
  let serve: ServeProcess;
  let key: string;
  beforeAll(async () => {
    const project = await pgliteProject(join(dir, 'auth'));
    const created = await spawnCli(['-c', project.config, 'keys', 'create', '--scope', 'admin', '--json'], { cwd: dir, env });
    key = (JSON.parse(created.stdout) as { key: string }).key;
    serve = await startServe(project.config);
  }, 60_000);
  afterAll(async () => {
    if (serve) await killServe(serve);
  });

  it('no key: says none was sent and how to set one', async () => {
    const r = await spawnCli(['stream', '--model', 'm', '--url', serve.url, 'a.wav', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_API_KEY_REJECTED');
    expect(e.message).toContain('no API key was sent');
    expect(e.message).toContain('Set EVALGATE_API_KEY or --api-key');
  });

  it('a wrong key: says it was rejected, with the same hint', async () => {
    const r = await spawnCli(['stream', '--model', 'm', '--url', serve.url, '--api-key', 'eg_not_a_key', 'a.wav'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the API key was rejected');
    expect(r.stderr).toContain('Set EVALGATE_API_KEY or --api-key');
    expect(r.stderr).toContain('[EVALGATE_ERR_API_KEY_REJECTED]');
  });

  it('a gateway error while connecting keeps its own code and message (an unknown model is MODEL_NOT_CONFIGURED, not INTERNAL)', async () => {
    const r = await spawnCli(['stream', '--model', 'no-such-model', '--url', serve.url, '--api-key', key, 'a.wav', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_MODEL_NOT_CONFIGURED');
    expect(e.message).toBe(
      'Model no-such-model is neither declared in the configuration nor a bundled preset (see `evalgate models list`; `evalgate doctor` shows which configuration is in use).',
    );
  });
});

describe('a media file that exists but does not decode', () => {
  it('is EVALGATE_ERR_MEDIA_DECODE_FAILED with the path and ffmpeg’s reason, not MEDIA_NOT_FOUND', async () => {
    const bad = join(dir, 'corrupt.mp4');
    await writeFile(bad, Buffer.from('this is not a video file, only text pretending to be one\n'.repeat(50)));
    const r = await spawnCli(['frames', bad, '--count', '2', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_MEDIA_DECODE_FAILED');
    expect(e.message).toContain(`Could not decode ${bad}`);
    expect(e.message).toMatch(/Invalid data found when processing input/);
  });

  it('stream says the same of an audio file it cannot decode (before connecting anywhere)', async () => {
    const bad = join(dir, 'corrupt.wav');
    await writeFile(bad, Buffer.from('not audio at all\n'.repeat(100)));
    const r = await spawnCli(['stream', '--model', 'm', '--url', 'http://127.0.0.1:9', bad, '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const e = jsonError(r.stderr);
    expect(e.code).toBe('EVALGATE_ERR_MEDIA_DECODE_FAILED');
    expect(e.message).toContain(bad);
  });

  it('while a missing one stays EVALGATE_ERR_MEDIA_NOT_FOUND', async () => {
    const r = await spawnCli(['frames', join(dir, 'absent.mp4'), '--count', '2', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(jsonError(r.stderr).code).toBe('EVALGATE_ERR_MEDIA_NOT_FOUND');
  });
});

describe('bad option values', () => {
  // Each is refused before any work, as EVALGATE_ERR_BAD_INPUT naming the option and the value given.
  const cases: [string, string[], RegExp][] = [
    ['run --concurrency 0', ['run', '--model', 'pp-ocrv4', '--dataset', 'x', '--concurrency', '0'], /--concurrency must be a positive integer, got "0"/],
    ['run --task nope', ['run', '--model', 'pp-ocrv4', '--dataset', 'x', '--task', 'nope'], /--task must be .*, got "nope"/],
    ['run --temperature -1', ['run', '--model', 'pp-ocrv4', '--dataset', 'x', '--temperature', '-1'], /--temperature must be a number ≥ 0, got "-1"/],
    ['runs list --limit x', ['runs', 'list', '--limit', 'x'], /--limit must be a positive integer, got "x"/],
    [
      'datasets import --limit -1',
      ['datasets', 'import', 'manifest', 'r.jsonl', '--name', 'x', '--limit', '-1'],
      /--limit must be a non-negative integer, got "-1"/,
    ],
    ['score --task nope', ['score', '--task', 'nope', '--references', 'r.jsonl', '--predictions', 'p.jsonl'], /--task must be .*, not "nope"/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await spawnCli([...args, '--json'], { cwd: dir, env: { ...env, EVALGATE_DB_DIR: join(dir, 'db') } });
      expect(r.code).toBe(1);
      const e = jsonError(r.stderr);
      expect(e.code).toBe('EVALGATE_ERR_BAD_INPUT');
      expect(e.message).toMatch(message);
    });
  }
});
