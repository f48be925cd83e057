import { spawn } from 'node:child_process';

/** Options of {@link runMediaTool}. */
export interface RunMediaToolOptions {
  /** Kills the process (SIGKILL) and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Bytes written to the process's stdin, which is then closed. */
  readonly stdin?: Uint8Array;
  /** Called for every stderr line as it arrives (ffmpeg's log, showinfo output). */
  readonly onStderrLine?: (line: string) => void;
  /** Cap on buffered stdout bytes; more fails the call (default 256 MiB). */
  readonly maxStdoutBytes?: number;
}

/** What a finished ffmpeg/ffprobe run left behind. */
export interface MediaToolResult {
  /** Exit status (null when killed by a signal). */
  readonly code: number | null;
  /** Everything written to stdout. */
  readonly stdout: Buffer;
  /** The last lines of stderr, for error messages. */
  readonly stderrTail: string;
}

const tailLines = 30;

/**
 * Spawns ffmpeg or ffprobe without a shell, with bounded buffering, and
 * resolves when it exits (never rejects on a non-zero status: callers turn
 * that into the right registry error, naming the file).
 */
export function runMediaTool(binary: string, args: readonly string[], opts: RunMediaToolOptions = {}): Promise<MediaToolResult> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], windowsHide: true });
    const maxStdout = opts.maxStdoutBytes ?? 256 * 1024 * 1024;
    const out: Buffer[] = [];
    let outBytes = 0;
    let overflow = false;
    const tail: string[] = [];
    let partial = '';
    let settled = false;

    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxStdout) {
        if (!overflow) child.kill('SIGKILL');
        overflow = true;
        return;
      }
      out.push(chunk);
    });
    const takeLine = (line: string): void => {
      if (!line) return;
      opts.onStderrLine?.(line);
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
    };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) takeLine(line);
    });
    if (opts.stdin && child.stdin) {
      // EPIPE when the tool stops reading early (it found what it needed) is not an error.
      child.stdin.on('error', () => {});
      child.stdin.end(Buffer.from(opts.stdin.buffer, opts.stdin.byteOffset, opts.stdin.byteLength));
    }
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      takeLine(partial);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      if (overflow) {
        reject(new Error(`${binary} wrote more than ${maxStdout} bytes to stdout`));
        return;
      }
      resolve({ code, stdout: Buffer.concat(out), stderrTail: tail.join('\n') });
    });
  });
}

/** The most telling line of an ffmpeg/ffprobe error log (its last non-progress line). */
export function errorDetail(stderrTail: string, fallback = 'ffmpeg failed'): string {
  const lines = stderrTail
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(frame=|size=|video:|Press \[q\])/.test(l) && !/^\[showinfo/.test(l));
  const last = lines.slice(-2).join(' | ');
  return last || fallback;
}
