import type { Command } from 'commander';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  program
    .command('serve')
    .description('start the gateway: REST under /v1, WebSockets, /healthz, /metrics and the web page')
    .option('--host <host>', 'interface to bind (default from config, 127.0.0.1)')
    .option('--port <port>', 'port (default from config, 8080; 0 picks a free one)', (v) => Number.parseInt(v, 10))
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS and WSS')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--no-auth', 'disable API-key auth (local use only; refused on a non-loopback --host)')
    .option('--allow-unauthenticated-network', 'allow --no-auth on a non-loopback --host: anyone who can reach it gets every scope')
    .option('--json', 'print the listening address as JSON')
    .action(
      runAction(
        async (
          opts: { host?: string; port?: number; tlsCert?: string; tlsKey?: string; auth: boolean; allowUnauthenticatedNetwork?: boolean; json?: boolean },
          cmd: Command,
        ) => {
          const { serveGateway } = await import('../../server/serve-gateway.js');
          const { configFor } = await import('../cli-context.js');
          const config = await configFor(cmd);
          if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
            const { EvalgateError } = await import('../../errors.js');
            throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--tls-cert and --tls-key must be given together' });
          }
          // A taken port is refused before the database opens, so the refusal leaves nothing open behind it.
          const port = opts.port ?? config.server.port;
          if (port !== 0) await assertPortFree(opts.host ?? config.server.host, port);
          const server = await serveGateway({
            config,
            host: opts.host,
            port: opts.port,
            tlsCertFile: opts.tlsCert,
            tlsKeyFile: opts.tlsKey,
            auth: opts.auth === false ? false : undefined,
            allowUnauthenticatedNetwork: opts.allowUnauthenticatedNetwork === true,
          });
          // stderr even in --json mode: stdout stays machine-readable, and the operator still sees it.
          for (const w of server.warnings) process.stderr.write(`\n${w}\n\n`);
          const line = { url: server.url, backend: server.backend, auth: server.auth };
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(line)}\n`
              : `evalgate listening on ${server.url} (database: ${server.backend}, auth: ${server.auth ? 'on' : 'off'})\n`,
          );
          await server.closed;
          return undefined;
        },
      ),
    );
}

/** Throws EVALGATE_ERR_PORT_IN_USE when `host:port` cannot be bound (EADDRINUSE); other bind errors are left to the server. */
async function assertPortFree(host: string, port: number): Promise<void> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  const inUse = await new Promise<boolean>((resolve) => {
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
  if (inUse) {
    const { EvalgateError } = await import('../../errors.js');
    throw new EvalgateError('EVALGATE_ERR_PORT_IN_USE', { host, port });
  }
}
