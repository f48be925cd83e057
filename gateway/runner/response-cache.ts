import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRequest, ModelResult } from '../models/spec/model-v1.js';

/** What identifies the model behind a request, besides the request itself. */
export interface CacheModelIdentity {
  /** Adapter name. */
  readonly adapter: string;
  /** Adapter implementation version: a new adapter may build a different wire request. */
  readonly adapterVersion: string;
  /** Provider model name. */
  readonly modelName: string;
  /** Endpoint, when remote: the same name on two servers may be two models. */
  readonly baseUrl?: string;
}

/**
 * The request hash, or `undefined` when the request is not deterministic
 * (temperature other than exactly 0): sampled answers must not be replayed as
 * if they were the model's only answer.
 */
export function requestCacheKey(model: CacheModelIdentity, request: ModelRequest): string | undefined {
  if (request.temperature !== 0) return undefined;
  const h = createHash('sha256');
  const field = (name: string, value: string): void => {
    // Length-prefixed so that no two different field sequences hash alike.
    h.update(`${name}:${Buffer.byteLength(value)}:`);
    h.update(value);
  };
  field('v', 'evalgate-response-cache-1');
  field('adapter', model.adapter);
  field('adapterVersion', model.adapterVersion);
  field('model', model.modelName);
  field('baseUrl', model.baseUrl ?? '');
  field('system', request.system ?? '');
  field('temperature', String(request.temperature));
  field('maxOutputTokens', String(request.maxOutputTokens ?? ''));
  field('providerOptions', stableJson(request.providerOptions ?? {}));
  for (const part of request.parts) {
    field('part', part.type);
    switch (part.type) {
      case 'text':
        field('text', part.text);
        break;
      case 'audio':
      case 'image':
        field('mime', part.mimeType);
        field('bytes', createHash('sha256').update(part.data).digest('hex'));
        if (part.type === 'image') field('timestampS', String(part.timestampS ?? ''));
        break;
      case 'video':
        field('mime', part.mimeType);
        field('path', part.path);
        break;
    }
  }
  return h.digest('hex');
}

/** JSON with object keys sorted, so equal values always hash alike. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/** The file operations the cache uses (injectable so tests can fail them; the default is node:fs). */
export interface CacheFs {
  readonly mkdir: typeof mkdir;
  readonly readFile: (path: string, encoding: 'utf8') => Promise<string>;
  readonly writeFile: (path: string, data: string) => Promise<void>;
  readonly rename: typeof rename;
  readonly rm: typeof rm;
}

const nodeFs: CacheFs = { mkdir, readFile, writeFile, rename, rm };

/**
 * An opt-in, file-backed cache of model answers keyed by request hash
 * (`<dir>/<aa>/<hash>.json`). Files are written to a temporary name and
 * renamed, so a crash never leaves a half-written entry; concurrent writers of
 * the same key write the same answer, so the last rename winning is harmless.
 *
 * Writes are best effort (issue 13 #12): a full disk or an unwritable folder
 * must not fail a run whose answers are already in hand. A failed write
 * removes its temporary file, reports one warning for the cache's lifetime,
 * and resolves; the answer simply is not cached.
 */
export class ResponseCache {
  readonly #dir: string;
  readonly #fs: CacheFs;
  readonly #onWarning: ((message: string) => void) | undefined;
  #warned = false;
  #failedWrites = 0;

  constructor(dir: string, opts: { fs?: CacheFs; onWarning?: (message: string) => void } = {}) {
    this.#dir = dir;
    this.#fs = opts.fs ?? nodeFs;
    this.#onWarning = opts.onWarning;
  }

  /** Folder of the cache. */
  get dir(): string {
    return this.#dir;
  }

  /** Writes that failed (and were dropped) so far. */
  get failedWrites(): number {
    return this.#failedWrites;
  }

  #path(key: string): string {
    return join(this.#dir, key.slice(0, 2), `${key}.json`);
  }

  /** The cached answer, or undefined (a missing or unreadable entry is a miss). */
  async get(key: string): Promise<ModelResult | undefined> {
    try {
      const parsed = JSON.parse(await this.#fs.readFile(this.#path(key), 'utf8')) as { result?: ModelResult };
      return parsed.result && typeof parsed.result.text === 'string' ? parsed.result : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores an answer; resolves with whether it was stored (never rejects). */
  async set(key: string, result: ModelResult): Promise<boolean> {
    const path = this.#path(key);
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await this.#fs.mkdir(join(this.#dir, key.slice(0, 2)), { recursive: true });
      await this.#fs.writeFile(tmp, JSON.stringify({ key, storedAt: new Date().toISOString(), result }));
      await this.#fs.rename(tmp, path);
      return true;
    } catch (err) {
      this.#failedWrites++;
      await this.#fs.rm(tmp, { force: true }).catch(() => undefined);
      if (!this.#warned) {
        this.#warned = true;
        const code = (err as { code?: unknown }).code;
        this.#onWarning?.(
          `response cache: could not write to ${this.#dir}${typeof code === 'string' ? ` (${code})` : ''}: ${(err as Error).message}; answers are stored in the database but not cached`,
        );
      }
      return false;
    }
  }
}
