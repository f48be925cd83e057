import { readFile } from 'node:fs/promises';
import type { EvalgateConfig } from '../config/config-schema.js';
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
}

/** A running gateway. */
export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Database backend in use. */
  readonly backend: string;
  /** Whether API keys are required. */
  readonly auth: boolean;
  /** Resolves once the server has shut down (SIGINT/SIGTERM or close()). */
  readonly closed: Promise<void>;
  /** Graceful shutdown. */
  close(): Promise<void>;
}

/** Opens the store, builds the app, listens, and shuts down cleanly on SIGINT/SIGTERM. */
export async function serveGateway(opts: ServeOptions): Promise<RunningGateway> {
  const auth = opts.auth ?? opts.config.server.auth;
  const config: EvalgateConfig = { ...opts.config, server: { ...opts.config.server, auth } };
  const store = await storeFromConfig(config);
  const https =
    opts.tlsCertFile && opts.tlsKeyFile
      ? { cert: await readFile(opts.tlsCertFile), key: await readFile(opts.tlsKeyFile) }
      : undefined;
  const app = await createApp({ config, store, https, logger: { level: config.logLevel } });
  const address = await app.listen({ host: opts.host ?? config.server.host, port: opts.port ?? config.server.port });
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
  return { url: address, backend: store.backend, auth, closed, close };
}
