import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliBin } from './run-cli.js';
import { toneWav } from '../datasets/fixtures.js';
import { freshPgliteDir } from '../store/pglite-template.js';

/** A running `evalgate serve` child process. */
export interface ServeProcess {
  /** The child. */
  readonly child: ChildProcessWithoutNullStreams;
  /** Base URL it listens on. */
  readonly url: string;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | string | null>;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
}

/** Starts the compiled `evalgate serve --port 0 --json` and waits for its listening line. */
export async function startServe(configPath: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cliBin, '-c', configPath, 'serve', '--port', '0', '--json', ...extraArgs], { env: process.env });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s: ${err}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${String(code)}) before listening: ${err}`));
    });
  });
  return { child, url, exited, stderr: () => err };
}

/** Ends a serve child whatever state it is in, and waits for it. */
export async function killServe(serve: Pick<ServeProcess, 'child' | 'exited'>): Promise<void> {
  serve.child.kill('SIGKILL');
  await serve.exited;
}

/** A config file whose embedded database lives in `dir/db` (an initialised, empty PGlite folder), plus a one-sample ASR dataset folder. */
export async function pgliteProject(dir: string): Promise<{ config: string; manifest: string; dbDir: string }> {
  const dbDir = join(dir, 'db');
  await freshPgliteDir(dbDir);
  const config = join(dir, 'evalgate.config.json');
  await writeFile(config, JSON.stringify({ database: { pgliteDir: dbDir }, logLevel: 'silent' }));
  await mkdir(join(dir, 'set'), { recursive: true });
  await writeFile(join(dir, 'set', 'a.wav'), toneWav(0.5, 1));
  const manifest = join(dir, 'set', 'manifest.jsonl');
  await writeFile(manifest, `${JSON.stringify({ id: 'a', task: 'asr', audio: 'a.wav', reference: 'a tone' })}\n`);
  return { config, manifest, dbDir };
}
