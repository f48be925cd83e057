import type { Command } from 'commander';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending migrations (PostgreSQL when DATABASE_URL is set, else the embedded PGlite)')
    .option('--down', 'revert every migration instead (drops all evalgate tables)')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { down?: boolean; json?: boolean }, cmd: Command) => {
        const { configFor } = await import('../cli-context.js');
        const { storeFromConfig } = await import('../../store/store-from-config.js');
        const { migrateToLatest, migrateDownAll, appliedMigrations } = await import('../../store/open-store.js');
        const config = await configFor(cmd);
        const store = await storeFromConfig(config, { migrate: false });
        try {
          const steps = opts.down ? await migrateDownAll(store.db) : await migrateToLatest(store.db);
          const applied = await appliedMigrations(store.db);
          const result = { backend: store.backend, location: store.location, steps, applied };
          if (opts.json) return result;
          const lines = [`database: ${store.backend} (${store.location})`];
          lines.push(steps.length ? steps.map((s) => `  ${s.direction.toLowerCase()} ${s.name}: ${s.status}`).join('\n') : '  already up to date');
          lines.push(`applied migrations: ${applied.length}`);
          return lines.join('\n');
        } finally {
          await store.close();
        }
      }),
    );
}
