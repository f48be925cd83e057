import type PgBoss from 'pg-boss';
import { EvalgateError } from '../../errors.js';
import type { Store } from '../../store/open-store.js';

/** The pg-boss queue that carries one job per (run, sample). */
export const sampleQueueName = 'evalgate-run-sample';

/** A job's payload. */
export interface SampleJobData {
  /** Run id. */
  readonly runId: string;
  /** `samples.id`. */
  readonly sampleId: string;
}

/** Refuses distributed mode on the embedded database: other machines cannot reach it. */
export function assertDistributable(store: Pick<Store, 'backend'>, url: string | undefined): string {
  if (store.backend !== 'postgres' || !url) throw new EvalgateError('EVALGATE_ERR_DISTRIBUTED_NEEDS_POSTGRES');
  return url;
}

/**
 * Starts pg-boss on the shared PostgreSQL (it creates its own `pgboss` schema
 * on first start) and makes sure the sample queue exists. Jobs whose worker
 * died are expired after `expireInSeconds` and delivered again; the
 * idempotent prediction write makes that redelivery harmless.
 */
export async function openSampleQueue(url: string, opts: { expireInSeconds?: number; onError?: (err: Error) => void } = {}): Promise<PgBoss> {
  const { default: PgBossCtor } = await import('pg-boss');
  const boss = new PgBossCtor({ connectionString: url, max: 4, application_name: 'evalgate', supervise: true, schedule: false });
  // pg-boss emits 'error' for background failures; without a listener Node would crash the process.
  boss.on('error', opts.onError ?? ((err: Error) => process.stderr.write(`evalgate: job queue: ${err.message}\n`)));
  await boss.start();
  const queueOptions = { name: sampleQueueName, retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: opts.expireInSeconds ?? 900 };
  try {
    await boss.createQueue(sampleQueueName, queueOptions);
  } catch {
    // Two processes creating the queue at once may collide on its partition
    // table; the other one won, which is all we need.
    if (!(await boss.getQueue(sampleQueueName))) await boss.createQueue(sampleQueueName, queueOptions);
  }
  return boss;
}

/**
 * Enqueues one job per sample; returns how many were handed to the queue.
 * Job ids are pg-boss's own: a sample enqueued twice (a second `run
 * --distributed` while the first is still queued) is processed twice at most,
 * and the second delivery finds the `ok` prediction and does nothing.
 */
export async function enqueueSamples(boss: PgBoss, runId: string, sampleIds: readonly string[], opts: { expireInSeconds?: number } = {}): Promise<number> {
  for (let i = 0; i < sampleIds.length; i += 500) {
    const chunk = sampleIds.slice(i, i + 500);
    await boss.insert(
      chunk.map((sampleId) => ({
        name: sampleQueueName,
        data: { runId, sampleId } satisfies SampleJobData,
        retryLimit: 5,
        retryDelay: 5,
        retryBackoff: true,
        expireInSeconds: opts.expireInSeconds ?? 900,
      })),
    );
  }
  return sampleIds.length;
}
