import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { EvalgateError } from '../errors.js';
import { adapterNames, findAdapter } from '../models/adapters.js';
import { configSchema, type EvalgateConfig, type ModelConfig } from './config-schema.js';
import { findMovedProjectData, warnMovedProjectDataOnce, type MovedProjectData } from './moved-project-data.js';
import { defaultConfigFile, findProjectHome, projectDataDir, type ProjectHome } from './project-home.js';

/** Where the configuration may come from; all fields are optional. */
export interface LoadConfigOptions {
  /** Explicit file (`--config`); it must exist. */
  readonly file?: string;
  /** Folder the search for the project home starts from (default: the process's). */
  readonly cwd?: string;
  /** Environment to read overrides from (defaults to process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Where to say that data sits at the old, working-folder-relative place of a
   * setting ({@link LoadedProject.moved}): by default each message once per
   * process on stderr; a function gets every message of this load; false for
   * callers that show it themselves.
   */
  readonly warn?: ((line: string) => void) | false;
}

/** The live journal's folder when the configuration names none (relative to the project home). */
const defaultJournalDir = join(projectDataDir, 'journal');

/** The file name looked up in the working directory and its parents. */
export { defaultConfigFile };

/** A configuration and the project home its relative paths were resolved against. */
export interface LoadedProject {
  /** The validated, frozen configuration; every path in it is absolute. */
  readonly config: EvalgateConfig;
  /** Where the configuration (or, without one, the `.evalgate/` folder) was found. */
  readonly home: ProjectHome;
  /**
   * A database or live journal left where a relative path of the file pointed
   * before it resolved against the home (the working folder); empty when none.
   * See gateway/config/moved-project-data.ts.
   */
  readonly moved: readonly MovedProjectData[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * Reads the configuration once: file values over schema defaults, then
 * environment variables over both. The result is validated and deep-frozen;
 * an invalid field fails here, naming the field. See {@link loadProject}.
 */
export function loadConfig(opts: LoadConfigOptions = {}): EvalgateConfig {
  return loadProject(opts).config;
}

/**
 * Finds the project home (the explicit file's folder, else the first folder
 * from the working directory upward holding `evalgate.config.json` or
 * `.evalgate/`, else the working directory) and loads its configuration.
 * Relative paths written in the file (database and cache folders, the live
 * journal, model folders and files) resolve against the home, so every
 * subfolder of a project opens the same database; paths given by
 * environment variables resolve against the working directory, like any
 * path typed in a shell.
 */
export function loadProject(opts: LoadConfigOptions = {}): LoadedProject {
  const env = opts.env ?? process.env;
  const cwd = resolve(opts.cwd ?? process.cwd());
  const explicit = opts.file ?? env.EVALGATE_CONFIG;
  const home = findProjectHome(cwd, explicit);
  const path = home.configFile ?? join(home.dir, defaultConfigFile);
  let raw: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: path, detail: (err as Error).message });
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: path, detail: 'the file must hold a JSON object' });
    }
  } else if (explicit) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_NOT_FOUND', { path });
  }

  const withEnv = applyEnv(structuredClone(raw), env, cwd);
  const parsed = configSchema.safeParse(withEnv);
  if (!parsed.success) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: existsSync(path) ? `${path} (and environment)` : 'environment',
      detail: describeIssues(parsed.error.issues),
    });
  }
  // An adapter name nothing implements is a configuration error now, not a failure at the model's first use.
  const unknown = parsed.data.models.flatMap((m, i) => (findAdapter(m.adapter) ? [] : [`models.${i}.adapter: unknown adapter "${m.adapter}" (model ${m.id})`]));
  if (unknown.length > 0) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: existsSync(path) ? path : 'environment',
      detail: `${unknown.join('; ')}; the adapters are ${adapterNames.join(', ')}`,
    });
  }
  const config = deepFreeze(resolvePaths(parsed.data, home.dir));
  const moved = findMovedProjectData(home, {
    ...(config.database.url ? {} : { pgliteDir: { written: parsed.data.database.pgliteDir, used: config.database.pgliteDir } }),
    // EVALGATE_LIVE_JOURNAL_DIR, when set, is the journal the live gateway uses instead of the configured one.
    ...(env.EVALGATE_LIVE_JOURNAL_DIR ? {} : { journalDir: { written: parsed.data.live.journalDir ?? defaultJournalDir, used: config.live.journalDir! } }),
  });
  if (typeof opts.warn === 'function') for (const m of moved) opts.warn(m.message);
  else if (opts.warn !== false) warnMovedProjectDataOnce(moved);
  return { config, home, moved: Object.freeze(moved) };
}

/**
 * The configuration with every relative path made absolute against the
 * project home. The live journal gets its default here too (it has none in
 * the schema), so that it sits in the home rather than in the working folder.
 */
function resolvePaths(config: EvalgateConfig, homeDir: string): EvalgateConfig {
  const at = (p: string): string => resolve(homeDir, p);
  return {
    ...config,
    database: { ...config.database, pgliteDir: at(config.database.pgliteDir) },
    cacheDir: at(config.cacheDir),
    live: { ...config.live, journalDir: at(config.live.journalDir ?? defaultJournalDir) },
    models: config.models.map((m) => resolveModelPaths(m, homeDir)),
  };
}

/**
 * Model options that name local files: `modelDir` (local experts), the
 * predictions adapter's `path`, and an executable `binary` given as a path
 * (a bare name is looked up on PATH, so it is left alone). The OpenAI
 * adapters' `path` is a URL path and is not touched.
 */
function resolveModelPaths(model: ModelConfig, homeDir: string): ModelConfig {
  const options: Record<string, unknown> = { ...model.options };
  const fix = (key: string, when: (v: string) => boolean = () => true): void => {
    const v = options[key];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v) && when(v)) options[key] = resolve(homeDir, v);
  };
  fix('modelDir');
  if (findAdapter(model.adapter)?.name === 'predictions') fix('path');
  fix('binary', (v) => v.includes('/'));
  return { ...model, options };
}

function section(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const cur = obj[key];
  if (cur && typeof cur === 'object' && !Array.isArray(cur)) return cur as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  obj[key] = fresh;
  return fresh;
}

/** Environment variables documented in README.md ("Configuration"). */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, cwd: string): Record<string, unknown> {
  if (env.DATABASE_URL) section(raw, 'database').url = env.DATABASE_URL;
  if (env.EVALGATE_DB_DIR) section(raw, 'database').pgliteDir = resolve(cwd, env.EVALGATE_DB_DIR);
  if (env.EVALGATE_HOST) section(raw, 'server').host = env.EVALGATE_HOST;
  if (env.EVALGATE_PORT) section(raw, 'server').port = Number(env.EVALGATE_PORT);
  if (env.EVALGATE_AUTH) section(raw, 'server').auth = !['0', 'false', 'off', 'disabled'].includes(env.EVALGATE_AUTH);
  if (env.EVALGATE_CACHE_DIR) raw.cacheDir = resolve(cwd, env.EVALGATE_CACHE_DIR);
  if (env.EVALGATE_LOG_LEVEL) raw.logLevel = env.EVALGATE_LOG_LEVEL;
  return raw;
}
