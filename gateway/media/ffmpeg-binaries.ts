import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { EvalgateError } from '../errors.js';

/** The ffmpeg/ffprobe pair in use, and where it came from. */
export interface FfmpegBinaries {
  /** Absolute path of the ffmpeg executable. */
  readonly ffmpegPath: string;
  /** Absolute path of the ffprobe executable. */
  readonly ffprobePath: string;
  /** `env`: FFMPEG_PATH/FFPROBE_PATH; `path`: found on PATH; `npm`: @ffmpeg-installer / @ffprobe-installer. */
  readonly source: 'env' | 'path' | 'npm';
  /** ffmpeg's version string (first line of `ffmpeg -version`, after "ffmpeg version "). */
  readonly version: string;
  /** ffprobe's version string. */
  readonly ffprobeVersion: string;
}

let memo: Promise<FfmpegBinaries> | undefined;

/**
 * Finds ffmpeg and ffprobe once per process, in this order: FFMPEG_PATH /
 * FFPROBE_PATH, then PATH, then the static binaries from the npm packages
 * `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe`; checks that
 * both run, and points fluent-ffmpeg at them. An explicit FFMPEG_PATH that does
 * not run is an error rather than a silent fallback.
 */
export function resolveFfmpeg(): Promise<FfmpegBinaries> {
  if (!memo) {
    const pending = findBinaries(process.env).then((found) => {
      ffmpeg.setFfmpegPath(found.ffmpegPath);
      ffmpeg.setFfprobePath(found.ffprobePath);
      return Object.freeze(found);
    });
    memo = pending;
    // A failed resolution is not cached: the operator may install ffmpeg and retry in the same process.
    pending.catch(() => {
      if (memo === pending) memo = undefined;
    });
  }
  return memo;
}

/** Forgets the memoised resolution (tests, or after the environment changed). */
export function resetFfmpegResolution(): void {
  memo = undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function whichOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Runs `<bin> -version` and returns the version word, or throws with the reason. */
export function binaryVersion(path: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['-hide_banner', '-version'], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) {
        reject(err);
        return;
      }
      const match = /^\S+ version (\S+)/m.exec(stdout);
      resolve(match?.[1] ?? stdout.split('\n')[0]?.trim() ?? 'unknown');
    });
  });
}

function npmBinary(pkg: '@ffmpeg-installer/ffmpeg' | '@ffprobe-installer/ffprobe'): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    // Both packages throw (a string) when their platform binary is missing.
    const mod = require(pkg) as { path?: string };
    return mod.path && existsSync(mod.path) ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

async function checked(ffmpegPath: string, ffprobePath: string, source: FfmpegBinaries['source']): Promise<FfmpegBinaries> {
  const [version, ffprobeVersion] = await Promise.all([binaryVersion(ffmpegPath), binaryVersion(ffprobePath)]);
  return { ffmpegPath, ffprobePath, source, version, ffprobeVersion };
}

async function findBinaries(env: NodeJS.ProcessEnv): Promise<FfmpegBinaries> {
  const tried: string[] = [];
  if (env.FFMPEG_PATH || env.FFPROBE_PATH) {
    const ffmpegPath = env.FFMPEG_PATH ?? whichOnPath('ffmpeg', env) ?? npmBinary('@ffmpeg-installer/ffmpeg');
    const sibling = env.FFMPEG_PATH ? join(dirname(env.FFMPEG_PATH), 'ffprobe') : undefined;
    const ffprobePath =
      env.FFPROBE_PATH ??
      (sibling && isExecutableFile(sibling) ? sibling : undefined) ??
      whichOnPath('ffprobe', env) ??
      npmBinary('@ffprobe-installer/ffprobe');
    if (!ffmpegPath || !ffprobePath) {
      throw new EvalgateError('EVALGATE_ERR_FFMPEG_NOT_FOUND', {
        detail: `FFMPEG_PATH=${env.FFMPEG_PATH ?? '(unset)'}, FFPROBE_PATH=${env.FFPROBE_PATH ?? '(unset)'}; no partner binary found`,
      });
    }
    try {
      return await checked(ffmpegPath, ffprobePath, 'env');
    } catch (err) {
      throw new EvalgateError(
        'EVALGATE_ERR_FFMPEG_NOT_FOUND',
        { detail: `${ffmpegPath} / ${ffprobePath} from FFMPEG_PATH/FFPROBE_PATH do not run: ${(err as Error).message}` },
        { cause: err },
      );
    }
  }

  const onPathFfmpeg = whichOnPath('ffmpeg', env);
  const onPathFfprobe = whichOnPath('ffprobe', env);
  if (onPathFfmpeg && onPathFfprobe) {
    try {
      return await checked(onPathFfmpeg, onPathFfprobe, 'path');
    } catch (err) {
      tried.push(`PATH: ${(err as Error).message}`);
    }
  } else {
    tried.push('PATH: ffmpeg and ffprobe not both on PATH');
  }

  const npmFfmpeg = npmBinary('@ffmpeg-installer/ffmpeg');
  const npmFfprobe = npmBinary('@ffprobe-installer/ffprobe');
  if (npmFfmpeg && npmFfprobe) {
    try {
      // The installers' postinstall only runs `chmod u+x`; an install with
      // scripts off (npm 11 allowScripts, --ignore-scripts) leaves the file
      // without its execute bit, so set it here rather than fail.
      await Promise.all([ensureExecutable(npmFfmpeg), ensureExecutable(npmFfprobe)]);
      return await checked(npmFfmpeg, npmFfprobe, 'npm');
    } catch (err) {
      tried.push(`npm static binaries: ${(err as Error).message}`);
    }
  } else {
    tried.push('npm static binaries not installed');
  }
  throw new EvalgateError('EVALGATE_ERR_FFMPEG_NOT_FOUND', { detail: tried.join('; ') });
}

async function ensureExecutable(path: string): Promise<void> {
  const { access, chmod, stat } = await import('node:fs/promises');
  try {
    await access(path, fsConstants.X_OK);
  } catch {
    const { mode } = await stat(path);
    await chmod(path, mode | 0o111);
  }
}
