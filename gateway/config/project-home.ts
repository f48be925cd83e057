import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';

/** The file name of the configuration. */
export const defaultConfigFile = 'evalgate.config.json';

/** The folder of the embedded database and caches, inside a project home. */
export const projectDataDir = '.evalgate';

/** How the project home was chosen. */
export type ProjectHomeSource =
  /** The current folder holds `evalgate.config.json` or `.evalgate/`. */
  | 'cwd'
  /** A parent folder holds one of them (found by searching upward, as git does). */
  | 'parent'
  /** `--config FILE` or EVALGATE_CONFIG: the file's folder. */
  | 'config'
  /** Nothing found up to the filesystem root: the current folder, as before. */
  | 'default';

/** Where a command's project lives. */
export interface ProjectHome {
  /** Absolute folder that relative paths of the configuration resolve against. */
  readonly dir: string;
  /** How it was chosen. */
  readonly source: ProjectHomeSource;
  /** Absolute path of the configuration file, when one exists (or was named explicitly). */
  readonly configFile?: string;
  /** The folder the search started from. */
  readonly cwd: string;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Whether a folder is a project home: it holds `evalgate.config.json` or a `.evalgate/` folder. */
export function isProjectHome(dir: string): boolean {
  return existsSync(join(dir, defaultConfigFile)) || isDir(join(dir, projectDataDir));
}

/**
 * The project home of a command run in `cwd`: with an explicit configuration
 * file, that file's folder; otherwise the first folder from `cwd` upward (to
 * the filesystem root) that holds `evalgate.config.json` or `.evalgate/`, so
 * that a command run from a data subfolder opens the project's database
 * rather than a new empty one. With none, `cwd` itself. The system temp folder and the filesystem root
 * count only as the starting folder, never as a parent found upward.
 */
export function findProjectHome(cwd: string = process.cwd(), explicitConfig?: string): ProjectHome {
  const start = resolve(cwd);
  if (explicitConfig) {
    const configFile = resolve(start, explicitConfig);
    return { dir: dirname(configFile), source: 'config', configFile, cwd: start };
  }
  // The temp folder and the filesystem root are never found by searching upward (only when a command runs in
  // them): one stray `.evalgate/` there, left by a command run in /tmp, would otherwise become the project of
  // every scratch folder under it.
  const notAbove = new Set([resolve(tmpdir()), parse(start).root]);
  for (let dir = start; ;) {
    if ((dir === start || !notAbove.has(dir)) && isProjectHome(dir)) {
      const file = join(dir, defaultConfigFile);
      return { dir, source: dir === start ? 'cwd' : 'parent', ...(existsSync(file) ? { configFile: file } : {}), cwd: start };
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { dir: start, source: 'default', cwd: start };
}
