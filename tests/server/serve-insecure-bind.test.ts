import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../gateway/server/serve-gateway.js';
import { cliBin, spawnCli } from '../helpers/run-cli.js';
import { createTestDatabase, postgresAvailable } from '../helpers/test-stores.js';

/**
 * Starts the real `evalgate serve`; resolves when it prints its listening
 * line (then it is still running: `stop()` sends SIGTERM) or when it exits.
 */
function startServe(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ listening: boolean; stdout: string; stderr: string; code: number | null; stop(): Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, 'serve', ...args], { env });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const stop = async (): Promise<number | null> => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    };
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      // The --json line (pino's own lines go to stdout too, before it).
      if (!settled && /^\{"url".*\n/m.test(stdout)) {
        settled = true;
        resolve({ listening: true, stdout, stderr, code: null, stop });
      }
    });
    child.once('error', reject);
    void exited.then((code) => {
      if (!settled) {
        settled = true;
        resolve({ listening: false, stdout, stderr, code, stop });
      }
    });
  });
}

describe('serve refuses to run without auth on a network address (finding 6)', () => {
  let db: { url: string; drop(): Promise<void> } | undefined;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    // A real PostgreSQL database keeps the start-up of the allowed case short.
    if (!(await postgresAvailable())) throw new Error('these CLI tests need the PostgreSQL test server');
    db = await createTestDatabase();
    env = { ...process.env, DATABASE_URL: db.url, EVALGATE_LOG_LEVEL: 'warn', EVALGATE_AUTH: '', EVALGATE_HOST: '' };
  });
  afterAll(async () => db?.drop());

  it('refuses --no-auth --host 0.0.0.0 with EVALGATE_ERR_INSECURE_BIND, from flags or from the environment', async () => {
    for (const [args, extra] of [
      [['--no-auth', '--host', '0.0.0.0', '--port', '0', '--json'], {}],
      [['--port', '0', '--json'], { EVALGATE_AUTH: '0', EVALGATE_HOST: '::' }],
    ] as const) {
      const run = await startServe(args, { ...env, ...extra });
      if (run.listening) await run.stop();
      expect(run.listening, `started: ${run.stdout}`).toBe(false);
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stderr.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'EVALGATE_ERR_INSECURE_BIND' } });
    }
  });

  it('says what to do in text mode', async () => {
    const res = await spawnCli(['serve', '--no-auth', '--host', '0.0.0.0', '--port', '0'], { env });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('--allow-unauthenticated-network');
    expect(res.stderr).toContain('EVALGATE_ERR_INSECURE_BIND');
  });

  it('starts with --allow-unauthenticated-network, warning loudly on stderr', async () => {
    const run = await startServe(['--no-auth', '--host', '0.0.0.0', '--port', '0', '--allow-unauthenticated-network', '--json'], env);
    let exitCode: number | null = -1;
    try {
      expect(run.listening, run.stderr).toBe(true);
      const line = JSON.parse(/^\{"url".*$/m.exec(run.stdout)![0]) as { url: string; auth: boolean };
      expect(line.auth).toBe(false);
      expect(run.stderr).toMatch(/WARNING: serving WITHOUT authentication on 0\.0\.0\.0/);
      const port = new URL(line.url).port;
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      exitCode = await run.stop();
    }
    // SIGTERM is handled: a clean shutdown, not a kill.
    expect(exitCode).toBe(0);
  });

  it('treats 127.0.0.0/8, ::1 and localhost as loopback, wildcards and names as network', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '::ffff:10.0.0.1', '']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
