import { EvalgateError } from '../errors.js';
import type { ModelConfig } from '../config/config-schema.js';
import type { FetchLike } from './http/post-json.js';

/** What every adapter factory receives besides its config. */
export interface AdapterDeps {
  /** The fetch used for HTTP calls (default: the global fetch). */
  readonly fetch?: FetchLike;
  /** Where `apiKeyEnv` is looked up, at call time (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reads the API key named by `apiKeyEnv` from the environment. Called on each
 * request, never at construction, so a key rotated or exported after start-up
 * is picked up and a model that is only listed never needs one. Returns
 * undefined when the model declares no key (a local vLLM server).
 */
export function readApiKey(config: ModelConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!config.apiKeyEnv) return undefined;
  const key = env[config.apiKeyEnv];
  if (!key) throw new EvalgateError('EVALGATE_ERR_MISSING_SECRET', { env: config.apiKeyEnv, model: config.id });
  return key;
}

/** `config.baseUrl` without a trailing slash, or `fallback`. */
export function baseUrlOf(config: ModelConfig, fallback: string): string {
  return (config.baseUrl ?? fallback).replace(/\/+$/, '');
}

/**
 * Joins a base URL and an API path that starts with a version segment
 * (`/v1/...`), without doubling the version when the base already ends with it
 * (users write both `https://api.openai.com` and `https://api.openai.com/v1`).
 */
export function joinVersioned(base: string, path: string): string {
  const version = /^\/(v\d+\w*)\//.exec(path)?.[1];
  if (version && base.endsWith(`/${version}`)) return base + path.slice(version.length + 1);
  return base + path;
}

/**
 * Option keys the batch runner reads from every model's options
 * (gateway/runner/prepare-run.ts): per-task prompt templates, the system
 * prompt, request extras, and how video is sent (frames or the whole file).
 * An adapter never reports these as unknown.
 */
export const runnerOptionKeys: readonly string[] = Object.freeze(['prompts', 'system', 'providerOptions', 'videoTransport']);

/**
 * Typed access to `config.options` that remembers which keys were read, so
 * that the keys nobody read can be reported as warnings ("unknown option").
 */
export class AdapterOptions {
  readonly #options: Readonly<Record<string, unknown>>;
  readonly #modelId: string;
  readonly #known = new Set<string>(runnerOptionKeys);

  constructor(config: ModelConfig) {
    this.#options = config.options;
    this.#modelId = config.id;
  }

  /** A string option limited to `allowed`, or the default. */
  enumOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    this.#known.add(key);
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    throw this.#invalid(key, `one of ${allowed.join(', ')}`);
  }

  /** A string option, or undefined. */
  string(key: string): string | undefined {
    this.#known.add(key);
    const v = this.#options[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    throw this.#invalid(key, 'a string');
  }

  /** A finite number option, or undefined. */
  number(key: string): number | undefined {
    this.#known.add(key);
    const v = this.#options[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw this.#invalid(key, 'a number');
  }

  /** A boolean option, or the default. */
  boolean(key: string, fallback: boolean): boolean {
    this.#known.add(key);
    const v = this.#options[key];
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    throw this.#invalid(key, 'true or false');
  }

  /** A plain-object option passed through as is (e.g. extra body fields), or undefined. */
  record(key: string): Readonly<Record<string, unknown>> | undefined {
    this.#known.add(key);
    const v = this.#options[key];
    if (v === undefined) return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    throw this.#invalid(key, 'an object');
  }

  /** Warnings for option keys this adapter never read. Call after construction has read them all. */
  unknownKeyWarnings(adapter: string): string[] {
    return Object.keys(this.#options)
      .filter((k) => !this.#known.has(k))
      .map((k) => `option "${k}" is not used by the ${adapter} adapter and was ignored`);
  }

  #invalid(key: string, expected: string): EvalgateError {
    return new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: `model ${this.#modelId}`,
      detail: `options.${key} must be ${expected}`,
    });
  }
}

/**
 * Warnings for `providerOptions` keys an adapter does not understand. The
 * runner always passes `sampleId` (used by the predictions replay), so it is
 * never reported.
 */
export function unknownProviderOptionWarnings(
  providerOptions: Readonly<Record<string, unknown>> | undefined,
  known: readonly string[],
  adapter: string,
): string[] {
  if (!providerOptions) return [];
  const ok = new Set(['sampleId', ...known]);
  return Object.keys(providerOptions)
    .filter((k) => !ok.has(k))
    .map((k) => `providerOptions.${k} is not used by the ${adapter} adapter and was ignored`);
}
