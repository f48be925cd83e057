import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { EvalgateError } from '../errors.js';
import { adapterNames, findAdapter } from '../models/adapters.js';
import { configSchema, type EvalgateConfig } from './config-schema.js';

/** Where the configuration may come from; all fields are optional. */
export interface LoadConfigOptions {
  /** Explicit file (`--config`); it must exist. */
  readonly file?: string;
  /** Directory searched for `evalgate.config.json` when no file is given. */
  readonly cwd?: string;
  /** Environment to read overrides from (defaults to process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The file name looked up in the working directory. */
export const defaultConfigFile = 'evalgate.config.json';

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
 * an invalid field fails here, naming the field.
 */
export function loadConfig(opts: LoadConfigOptions = {}): EvalgateConfig {
  const env = opts.env ?? process.env;
  const explicit = opts.file ?? env.EVALGATE_CONFIG;
  const path = resolve(opts.cwd ?? process.cwd(), explicit ?? defaultConfigFile);
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

  const withEnv = applyEnv(structuredClone(raw), env);
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
  return deepFreeze(parsed.data);
}

function section(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const cur = obj[key];
  if (cur && typeof cur === 'object' && !Array.isArray(cur)) return cur as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  obj[key] = fresh;
  return fresh;
}

/** Environment variables documented in README.md ("Configuration"). */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (env.DATABASE_URL) section(raw, 'database').url = env.DATABASE_URL;
  if (env.EVALGATE_DB_DIR) section(raw, 'database').pgliteDir = env.EVALGATE_DB_DIR;
  if (env.EVALGATE_HOST) section(raw, 'server').host = env.EVALGATE_HOST;
  if (env.EVALGATE_PORT) section(raw, 'server').port = Number(env.EVALGATE_PORT);
  if (env.EVALGATE_AUTH) section(raw, 'server').auth = !['0', 'false', 'off', 'disabled'].includes(env.EVALGATE_AUTH);
  if (env.EVALGATE_CACHE_DIR) raw.cacheDir = env.EVALGATE_CACHE_DIR;
  if (env.EVALGATE_LOG_LEVEL) raw.logLevel = env.EVALGATE_LOG_LEVEL;
  return raw;
}
