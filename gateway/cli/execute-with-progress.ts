import type { EvalgateConfig } from '../config/config-schema.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import type { ExecuteOptions, ExecuteResult } from '../runner/execute-run.js';
import type { PreparedRun } from '../runner/prepare-run.js';
import type { Store } from '../store/open-store.js';

/** What `evalgate run` and `evalgate duplex` choose about one local execution. */
export interface ProgressExecution extends Pick<ExecuteOptions, 'concurrency' | 'timeoutMs' | 'retry' | 'stream' | 'cacheDir'> {
  /** The progress bar's label. */
  readonly label: string;
  /** Printed on the first Ctrl-C (none with --json). */
  readonly stopMessage?: string;
  /** How long an unreachable database is waited out (default: runner.dbOutageMaxMs). */
  readonly dbOutageMaxMs?: number;
  /** --json: no progress bar, stdout stays one document. */
  readonly json?: boolean;
}

/**
 * Executes a prepared run in this process with a progress bar, Ctrl-C
 * handling (samples in flight end, the rest stay pending) and outage notices
 * on stderr, as the CLI commands that run models share it.
 */
export async function executeWithProgress(
  store: Store,
  config: EvalgateConfig,
  prepared: PreparedRun & { model: ModelV1 },
  o: ProgressExecution,
): Promise<ExecuteResult> {
  const { executeLocalRun } = await import('../runner/execute-run.js');
  const { spillDirOf } = await import('../runner/run-spill.js');
  const { createProgress } = await import('./progress.js');
  const { abortOnSignal } = await import('./abort-on-signal.js');
  const stop = abortOnSignal(o.json ? undefined : o.stopMessage);
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    return await executeLocalRun(store.db, prepared, {
      concurrency: o.concurrency,
      timeoutMs: o.timeoutMs,
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.stream !== undefined ? { stream: o.stream } : {}),
      ...(o.cacheDir !== undefined ? { cacheDir: o.cacheDir } : {}),
      signal: stop.signal,
      dbOutageMaxMs: o.dbOutageMaxMs ?? config.runner.dbOutageMaxMs,
      spillDir: spillDirOf(config.cacheDir),
      // Outage notices go to stderr even with --json: stdout stays one JSON document.
      onNotice: (m) => process.stderr.write(`evalgate: ${m}\n`),
      onStart: (n) => {
        progress = createProgress(o.label, n, { json: o.json });
      },
      onOutcome: (out) => progress?.increment(1, out.status === 'ok' ? 0 : 1),
    });
  } finally {
    progress?.stop();
    stop.detach();
  }
}
