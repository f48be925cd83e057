import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { vi } from 'vitest';

/** The compiled bin (`npm test` builds before vitest runs). */
export const cliBin = fileURLToPath(new URL('../../dist/gateway/cli/main.js', import.meta.url));

/** What a CLI invocation printed and how it exited. */
export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | string | undefined;
}

/**
 * Runs one command module in this process with stdout/stderr captured, the
 * way `evalgate` would (root `--config` option included). Faster than a
 * child process; use `spawnCli` where the real bin matters.
 */
export async function runCommandInProcess(register: (program: Command) => void, args: readonly string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command('evalgate').option('-c, --config <file>').exitOverride();
    register(program);
    await program.parseAsync(['node', 'evalgate', ...args]);
    return { stdout: out.join(''), stderr: err.join(''), exitCode: process.exitCode };
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = before;
  }
}

/** Runs the compiled `evalgate` bin as a child process. */
export function spawnCli(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
