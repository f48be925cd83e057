import { spawn } from 'node:child_process';

/** A failed external tool run, with the end of its stderr. */
export class ToolError extends Error {
  constructor(
    /** The executable. */
    readonly tool: string,
    /** Exit status, or null when it was killed or could not start. */
    readonly exitCode: number | null,
    /** What went wrong. */
    readonly detail: string,
  ) {
    super(`${tool} failed${exitCode !== null ? ` (exit ${exitCode})` : ''}: ${detail}`);
    this.name = 'ToolError';
  }
}

/**
 * Runs a command-line tool (ffmpeg, sox, espeak-ng, fc-match) without a
 * shell and resolves with its stdout; a non-zero exit rejects with the last
 * lines of stderr. A missing tool says which package provides it.
 */
export function runTool(tool: string, args: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      err = (err + c).slice(-4000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'ENOENT' ? `not found on PATH (install it: apt-get install ${packageOf(tool)})` : e.message;
      reject(new ToolError(tool, null, hint));
    });
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new ToolError(tool, code, err.trim().split('\n').slice(-3).join(' | ') || 'no output'));
    });
  });
}

function packageOf(tool: string): string {
  if (tool.endsWith('ffmpeg') || tool.endsWith('ffprobe')) return 'ffmpeg';
  if (tool.endsWith('fc-match')) return 'fontconfig';
  return tool.split('/').pop() ?? tool;
}

/** The ffmpeg to run: the given path, FFMPEG_PATH, or `ffmpeg` on PATH. */
export function ffmpegBinary(explicit?: string): string {
  return explicit ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
}

/** Flags that keep encoder versions and timestamps out of the output, so the same inputs give the same bytes. */
export const bitexactFlags = ['-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact', '-map_metadata', '-1'] as const;

/** Finds a font file through fontconfig (`fc-match`), or undefined when fontconfig is absent. */
export async function findFontFile(pattern: string): Promise<string | undefined> {
  try {
    const out = (await runTool('fc-match', ['-f', '%{file}', pattern])).toString('utf8').trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}
