// A gateway whose listen fails (a port taken after the CLI's own check) closes
// what it opened, so a process that gets the error ends by itself instead of
// hanging on an open database and app (as `evalgate serve` did).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const serveModule = fileURLToPath(new URL('../../dist/gateway/server/serve-gateway.js', import.meta.url));
const schemaModule = fileURLToPath(new URL('../../dist/gateway/config/config-schema.js', import.meta.url));

describe('serveGateway start failure', () => {
  let blocker: Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(serveModule)) throw new Error(`${serveModule} is missing: run npm run build first`);
    dir = await mkdtemp(join(tmpdir(), 'evalgate-serve-fail-'));
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    port = (blocker.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => blocker.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects with EADDRINUSE, and the process that caught it ends on its own (nothing left open)', async () => {
    // The child catches the error and returns: it exits only if serveGateway closed its store and app.
    const script = `
      const { serveGateway } = await import(${JSON.stringify(serveModule)});
      const { configSchema } = await import(${JSON.stringify(schemaModule)});
      const config = configSchema.parse({ database: { pgliteDir: ${JSON.stringify(dir)} }, server: { host: '127.0.0.1', port: ${port}, auth: false }, logLevel: 'silent' });
      try { await serveGateway({ config }); console.log('listening?'); } catch (e) { console.log('error ' + e.code); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = await new Promise<number | null | 'hung'>((resolve) => {
      // Opening and migrating PGlite alone took 17–30 s on a loaded 2-core machine; a hang never ends at all.
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, 90_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(out.trim()).toBe('error EADDRINUSE');
    expect(exited).toBe(0);
  }, 120_000);
});
