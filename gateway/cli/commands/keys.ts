import type { Command } from 'commander';
import { runAction } from '../run-action.js';

const scopes = ['admin', 'evaluator', 'submitter', 'viewer'] as const;

export default function register(program: Command): void {
  const keys = program.command('keys').description('API keys for the gateway (stored hashed; shown once)');
  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--scope <scope>', `one of ${scopes.join(', ')} (each includes the weaker ones after it)`)
    .option('--name <name>', 'label for the key')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { scope: string; name?: string; json?: boolean }, cmd: Command) => {
        const { EvalgateError } = await import('../../errors.js');
        if (!(scopes as readonly string[]).includes(opts.scope)) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--scope must be one of ${scopes.join(', ')}, not "${opts.scope}"` });
        }
        const { withStore } = await import('../cli-context.js');
        const { createApiKey } = await import('../../store/api-key-repo.js');
        const created = await withStore(cmd, (store) => createApiKey(store.db, { scopes: [opts.scope as (typeof scopes)[number]], name: opts.name }));
        if (opts.json) return created;
        return `${created.key}\n(scope ${opts.scope}; id ${created.id}. This key is not shown again: store it now.)`;
      }),
    );
  keys
    .command('revoke <idOrPrefix>')
    .description('revoke a key by id or prefix')
    .option('--json', 'print JSON')
    .action(
      runAction(async (idOrPrefix: string, opts: { json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { revokeApiKey } = await import('../../store/api-key-repo.js');
        const revoked = await withStore(cmd, (store) => revokeApiKey(store.db, idOrPrefix));
        if (!revoked) {
          const { EvalgateError } = await import('../../errors.js');
          throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Active API key', id: idOrPrefix });
        }
        return opts.json ? { revoked: idOrPrefix } : `revoked ${idOrPrefix}`;
      }),
    );
}
