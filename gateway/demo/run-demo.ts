import type { EvalgateConfig } from '../config/config-schema.js';
import { storeFromConfig } from '../store/store-from-config.js';
import { appliedMigrations } from '../store/open-store.js';

/** Options of the quick start. */
export interface DemoOptions {
  /** Validated configuration (the demo uses its database settings). */
  readonly config: EvalgateConfig;
  /** Where report.html goes. */
  readonly reportPath: string;
  /** Samples per task. */
  readonly limit?: number;
  /** Machine-readable summary. */
  readonly json: boolean;
}

/**
 * The README's main job. It grows as features land; at every commit it does
 * only what is really implemented and says so.
 */
export async function runDemo(opts: DemoOptions): Promise<unknown> {
  const store = await storeFromConfig(opts.config);
  try {
    const applied = await appliedMigrations(store.db);
    const summary = { database: { backend: store.backend, location: store.location, migrations: applied.length } };
    if (opts.json) return summary;
    return [`evalgate demo`, `  database: ${store.backend} at ${store.location} (${applied.length} migration(s) applied)`].join('\n');
  } finally {
    await store.close();
  }
}
