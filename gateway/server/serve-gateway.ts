import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import type { EvalgateConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import { storeFromConfig } from '../store/store-from-config.js';
import { createApp } from './create-app.js';

/** Options for a listening gateway. */
export interface ServeOptions {
  /** Validated configuration. */
  readonly config: EvalgateConfig;
  /** Overrides config.server.host. */
  readonly host?: string;
  /** Overrides config.server.port. */
  readonly port?: number;
  /** PEM certificate file for HTTPS/WSS. */
  readonly tlsCertFile?: string;
  /** PEM key file for HTTPS/WSS. */
  readonly tlsKeyFile?: string;
  /** Overrides config.server.auth. */
  readonly auth?: boolean;
  /** Allows auth off on a non-loopback host (refused otherwise); a warning is logged and returned. */
  readonly allowUnauthenticatedNetwork?: boolean;
}

/** A running gateway. */
export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Database backend in use. */
  readonly backend: string;
  /** Whether API keys are required. */
  readonly auth: boolean;
  /** Things the operator must hear about (e.g. serving without auth on a network address). */
  readonly warnings: readonly string[];
  /** Resolves once the server has shut down (SIGINT/SIGTERM or close()). */
  readonly closed: Promise<void>;
  /** Graceful shutdown. */
  close(): Promise<void>;
}

/** Opens the store, builds the app, listens, and shuts down cleanly on SIGINT/SIGTERM. */
export async function serveGateway(opts: ServeOptions): Promise<RunningGateway> {
  const auth = opts.auth ?? opts.config.server.auth;
  const config: EvalgateConfig = { ...opts.config, server: { ...opts.config.server, auth } };
  const host = opts.host ?? config.server.host;
  const warnings: string[] = [];
  if (!auth && !isLoopbackHost(host)) {
    // Checked before the store opens, so a refused start leaves nothing behind.
    if (!opts.allowUnauthenticatedNetwork) throw new EvalgateError('EVALGATE_ERR_INSECURE_BIND', { host });
    warnings.push(
      `WARNING: serving WITHOUT authentication on ${host}: anyone who can reach this address gets every scope, references included (--allow-unauthenticated-network).`,
    );
  }
  const store = await storeFromConfig(config);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let address: string;
  try {
    const https = opts.tlsCertFile && opts.tlsKeyFile ? { cert: await readFile(opts.tlsCertFile), key: await readFile(opts.tlsKeyFile) } : undefined;
    app = await createApp({ config, store, https, logger: { level: config.logLevel } });
    for (const w of warnings) app.log.warn(w);
    address = await app.listen({ host, port: opts.port ?? config.server.port });
  } catch (err) {
    // A start that fails (a port taken after the CLI's check, an unreadable certificate) closes what it
    // opened, so the process exits with the error instead of hanging on an open database.
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        // Stop accepting sessions, let open utterances finish (bounded), flush, close sockets with 1001.
        await (await import('../live/live-gateway.js')).shutdownLiveSessions(app);
        await app.close();
      } finally {
        await store.close();
        resolveClosed();
      }
    })();
    return closing;
  };
  const onSignal = (): void => {
    void close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { url: address, backend: store.backend, auth, warnings, closed, close };
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether binding `host` keeps the server on this machine: 127.0.0.0/8, ::1
 * (IPv4-mapped forms included) and `localhost`. Wildcards (0.0.0.0, ::) and
 * any other name count as network addresses, since a name can resolve anywhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  return family !== 0 && loopback.check(h, family === 4 ? 'ipv4' : 'ipv6');
}
