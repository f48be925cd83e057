import type { Command } from 'commander';
import { positiveNumber } from '../option-values.js';
import { runAction } from '../run-action.js';

/** Options of `evalgate worker`. */
interface WorkerCliOptions {
  concurrency: string;
  timeoutMs: string;
  maxAttempts: string;
  stream?: boolean;
  cache?: boolean;
  exitWhenIdle?: string;
  dbOutageMaxMs?: string;
  json?: boolean;
}

export default function register(program: Command): void {
  program
    .command('worker')
    .description('process samples enqueued by `evalgate run --distributed` (any machine with the same DATABASE_URL)')
    .option('--concurrency <n>', 'maximum requests in flight in this process', '8')
    .option('--timeout-ms <ms>', 'per-request timeout', '120000')
    .option('--max-attempts <n>', 'attempts per sample for retryable errors', '5')
    .option('--stream', 'stream answers (when the model can) to measure time to first token')
    .option('--cache', 'reuse answers to identical temperature-0 requests from the response cache')
    .option('--exit-when-idle <seconds>', 'exit once the queue has been empty this long (default: run until stopped)')
    .option('--db-outage-max-ms <ms>', 'how long the worker waits for an unreachable database before it stops (default: runner.dbOutageMaxMs, 120000)')
    .option('--json', 'print one JSON document when the worker exits')
    .action(
      runAction(async (opts: WorkerCliOptions, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { createModel } = await import('../../models/create-model.js');
        const { assertDistributable, openSampleQueue } = await import('../../runner/distributed/sample-queue.js');
        const { runWorker } = await import('../../runner/distributed/run-worker.js');
        const { defaultRetryPolicy } = await import('../../runner/retry-policy.js');
        const { spillDirOf } = await import('../../runner/run-spill.js');
        const { abortOnSignal } = await import('../abort-on-signal.js');
        const concurrency = Math.floor(positiveNumber('--concurrency', opts.concurrency));
        const timeoutMs = positiveNumber('--timeout-ms', opts.timeoutMs);
        const maxAttempts = Math.floor(positiveNumber('--max-attempts', opts.maxAttempts));
        const exitWhenIdleMs = opts.exitWhenIdle !== undefined ? positiveNumber('--exit-when-idle', opts.exitWhenIdle) * 1000 : undefined;
        const dbOutageMaxMs = opts.dbOutageMaxMs !== undefined ? Math.floor(positiveNumber('--db-outage-max-ms', opts.dbOutageMaxMs)) : undefined;
        return withStore(cmd, async (store, config) => {
          const url = assertDistributable(store, config.database.url);
          const boss = await openSampleQueue(url);
          const stop = abortOnSignal(opts.json ? undefined : '\nworker stopping: jobs in progress are handed back to the queue\n');
          if (!opts.json) process.stderr.write(`worker started (concurrency ${concurrency}) on ${store.location}\n`);
          try {
            const totals = await runWorker({
              db: store.db,
              boss,
              config,
              loadModel: (m) => createModel(m),
              concurrency,
              timeoutMs,
              retry: { ...defaultRetryPolicy, maxAttempts },
              stream: opts.stream,
              cacheDir: opts.cache ? `${config.cacheDir}/responses` : undefined,
              signal: stop.signal,
              exitWhenIdleMs,
              dbOutageMaxMs: dbOutageMaxMs ?? config.runner.dbOutageMaxMs,
              spillDir: spillDirOf(config.cacheDir),
              // Outage notices go to stderr even with --json: stdout stays one JSON document.
              onNotice: (m) => process.stderr.write(`evalgate: ${m}\n`),
            });
            if (opts.json) return totals;
            return `worker done: ${totals.jobs} jobs (ok ${totals.ok}, failed ${totals.failed}, skipped ${totals.skipped}, already done ${totals.alreadyDone}, claimed elsewhere ${totals.claimedElsewhere})${
              totals.finalizedRuns.length ? `; finished runs ${totals.finalizedRuns.join(', ')}` : ''
            }`;
          } finally {
            stop.detach();
            await boss.stop({ graceful: true, wait: true, close: true, timeout: 10_000 });
          }
        });
      }),
    );
}
