import type { ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import type { AdapterDeps } from './adapter-support.js';
import type { AdapterDescriptor } from './adapter-descriptor.js';
import { adapterNames, findAdapter, realtimeAdapterNames } from './adapters.js';
import type { ModelV1 } from './spec/model-v1.js';
import type { RealtimeModelV1 } from './spec/realtime-model-v1.js';

/** Dependencies every adapter may take; all optional. */
export type CreateModelDeps = AdapterDeps;

// Kept as re-exports: callers (tests, the live gateway) import the adapter names from here.
export { adapterNames, realtimeAdapterNames } from './adapters.js';

function descriptorFor(config: ModelConfig): AdapterDescriptor {
  const d = findAdapter(config.adapter);
  if (!d) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: `model ${config.id}`,
      detail: `unknown adapter "${config.adapter}"; known adapters: ${adapterNames.join(', ')}`,
    });
  }
  return d;
}

/**
 * Builds the adapter a model config names. Options are validated here (a bad
 * option type fails now, naming the field); secrets are not read until a call
 * is made, and local weights load on first use.
 */
export async function createModel(config: ModelConfig, deps: CreateModelDeps = {}): Promise<ModelV1> {
  return descriptorFor(config).load(config, deps);
}

/** Builds a realtime (streaming audio in, events out) model for the live gateway. */
export async function createRealtimeModel(config: ModelConfig, deps: CreateModelDeps = {}): Promise<RealtimeModelV1> {
  const d = descriptorFor(config);
  if (!d.loadRealtime) {
    throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
      source: `model ${config.id}`,
      detail: `adapter "${config.adapter}" is not a realtime adapter; realtime adapters: ${realtimeAdapterNames.join(', ')}`,
    });
  }
  return d.loadRealtime(config, deps);
}
