import type { EvalgateConfig } from '../config/config-schema.js';
import { openStore, type Store } from './open-store.js';

/** Opens the store the configuration names (PostgreSQL if `database.url`, else PGlite). */
export function storeFromConfig(config: EvalgateConfig, opts: { migrate?: boolean } = {}): Promise<Store> {
  return openStore({ url: config.database.url, pgliteDir: config.database.pgliteDir, migrate: opts.migrate });
}
