import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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

/**
 * An opt-in, file-backed cache of model answers keyed by request hash
 * (`<dir>/<aa>/<hash>.json`). Files are written to a temporary name and
 * renamed, so a crash never leaves a half-written entry; concurrent writers of
 * the same key write the same answer, so the last rename winning is harmless.
 */
export class ResponseCache {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Folder of the cache. */
  get dir(): string {
    return this.#dir;
  }

  #path(key: string): string {
    return join(this.#dir, key.slice(0, 2), `${key}.json`);
  }

  /** The cached answer, or undefined (a missing or unreadable entry is a miss). */
  async get(key: string): Promise<ModelResult | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.#path(key), 'utf8')) as { result?: ModelResult };
      return parsed.result && typeof parsed.result.text === 'string' ? parsed.result : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores an answer. */
  async set(key: string, result: ModelResult): Promise<void> {
    const path = this.#path(key);
    await mkdir(join(this.#dir, key.slice(0, 2)), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, storedAt: new Date().toISOString(), result }));
    await rename(tmp, path);
  }
}
