import type { Command } from 'commander';
import type { EvalgateConfig } from '../config/config-schema.js';
import type { Store } from '../store/open-store.js';

/** Loads the configuration named by the root `--config` option (or the default). */
export async function configFor(cmd: Command): Promise<EvalgateConfig> {
  const { loadConfig } = await import('../config/load-config.js');
  const { config } = cmd.optsWithGlobals<{ config?: string }>();
  return loadConfig({ file: config });
}

/**
 * Runs `fn` with the configured store open and migrated (every command that
 * needs the database migrates first), and always closes it.
 */
export async function withStore<T>(cmd: Command, fn: (store: Store, config: EvalgateConfig) => Promise<T>): Promise<T> {
  const config = await configFor(cmd);
  const { storeFromConfig } = await import('../store/store-from-config.js');
  const store = await storeFromConfig(config);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}
