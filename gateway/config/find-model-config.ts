import { EvalgateError } from '../errors.js';
import { findBundledPreset, type PresetAvailability } from './bundled-presets.js';
import type { EvalgateConfig, ModelConfig } from './config-schema.js';

/** Where a model id was found. */
export type ModelSource = 'config' | 'preset';

/** A model found by id. */
export interface FoundModel {
  /** Its configuration. */
  readonly model: ModelConfig;
  /** Declared in the configuration, or a bundled preset. */
  readonly source: ModelSource;
  /** For a preset: whether its engine is installed here (a configured model is always taken as is). */
  readonly availability: PresetAvailability;
}

/**
 * The one model lookup (run, models test, transcribe, the live gateway): a
 * model declared in the configuration, else a bundled preset with that id.
 * The configuration wins, so a user can redefine `pp-ocrv4` with other
 * options or weights.
 */
export function findModelConfig(config: EvalgateConfig, id: string, env: NodeJS.ProcessEnv = process.env): FoundModel | undefined {
  const declared = config.models.find((m) => m.id === id);
  if (declared) return { model: declared, source: 'config', availability: { available: true } };
  const preset = findBundledPreset(id);
  return preset ? { model: preset.model, source: 'preset', availability: preset.availability(env) } : undefined;
}

/**
 * {@link findModelConfig}, or the error a user sees: an unknown id is
 * EVALGATE_ERR_MODEL_NOT_CONFIGURED (its hint points at `models list`); a
 * preset whose engine is not installed here is refused now, with what to
 * install, rather than failing on every sample.
 */
export function requireModelConfig(config: EvalgateConfig, id: string, env: NodeJS.ProcessEnv = process.env): ModelConfig {
  const found = findModelConfig(config, id, env);
  if (!found) throw new EvalgateError('EVALGATE_ERR_MODEL_NOT_CONFIGURED', { id });
  if (!found.availability.available) {
    throw new EvalgateError('EVALGATE_ERR_MODEL_UNAVAILABLE', { id, detail: found.availability.reason });
  }
  return found.model;
}
