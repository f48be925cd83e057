import type { Kysely } from 'kysely';
import type { Database } from '../../gateway/store/database.js';

/** A sample of a seeded dataset. */
export interface SeedSample {
  readonly key: string;
  readonly reference: string | string[];
}

/** A prediction of a seeded run, with its per-sample scores. */
export interface SeedScoredPrediction {
  readonly key: string;
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly text?: string;
  readonly scores?: Record<string, number>;
  readonly details?: Record<string, unknown>;
  readonly error?: { code?: string; message: string; statusCode?: number; retryable?: boolean };
  readonly latencyMs?: number;
  readonly attempts?: number;
}

/** Inserts an asr dataset (sealed or not). Returns its id and sample ids by key. */
export async function seedAsrDataset(
  db: Kysely<Database>,
  name: string,
  samples: readonly SeedSample[],
  opts: { sealed?: boolean } = {},
): Promise<{ datasetId: string; ids: Map<string, string> }> {
  const ds = await db
    .insertInto('datasets')
    .values({ name, manifest_digest: `digest-${name}`, merkle_root: `root-${name}`, sample_count: samples.length, sealed: opts.sealed ?? false })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids = new Map<string, string>();
  // Bulk inserts in chunks: a 2,500-sample run seeds in a few statements.
  for (let i = 0; i < samples.length; i += 500) {
    const rows = await db
      .insertInto('samples')
      .values(
        samples.slice(i, i + 500).map((s) => ({
          dataset_id: ds.id,
          sample_key: s.key,
          task: 'asr' as const,
          reference: JSON.stringify(s.reference),
          sample_digest: `sd-${s.key}`,
        })),
      )
      .returning(['id', 'sample_key'])
      .execute();
    for (const r of rows) ids.set(r.sample_key, r.id);
  }
  return { datasetId: ds.id, ids };
}

/** Inserts a model (if new) and a completed run (with the given id, if any) with its predictions and scores. */
export async function seedScoredRun(
  db: Kysely<Database>,
  opts: {
    id?: string;
    model: string;
    datasetId: string;
    ids: ReadonlyMap<string, string>;
    predictions: readonly SeedScoredPrediction[];
  },
): Promise<string> {
  await db
    .insertInto('models')
    .values({ id: opts.model, adapter: 'test', kind: 'generalist', model: null, base_url: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const run = await db
    .insertInto('runs')
    .values({
      ...(opts.id ? { id: opts.id } : {}),
      model_id: opts.model,
      dataset_id: opts.datasetId,
      task: 'asr',
      status: 'completed',
      config: JSON.stringify({ scorer: {} }),
      config_hash: `${opts.model}-${opts.id ?? Math.random()}`,
      dataset_digest: 'd',
      evalgate_version: '0.1.0',
      finished_at: new Date('2026-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let i = 0; i < opts.predictions.length; i += 500) {
    const chunk = opts.predictions.slice(i, i + 500);
    const rows = await db
      .insertInto('predictions')
      .values(
        chunk.map((p) => ({
          run_id: run.id,
          sample_id: opts.ids.get(p.key)!,
          status: p.status,
          output_text: p.text ?? null,
          error: p.error ? JSON.stringify(p.error) : null,
          attempts: p.attempts ?? 1,
          latency_total_ms: p.latencyMs ?? null,
        })),
      )
      .returning(['id', 'sample_id'])
      .execute();
    const predictionOf = new Map(rows.map((r) => [r.sample_id, r.id]));
    const scores = chunk.flatMap((p) =>
      Object.entries(p.scores ?? {}).map(([metric, value]) => ({
        prediction_id: predictionOf.get(opts.ids.get(p.key)!)!,
        metric,
        value,
        details: p.details ? JSON.stringify(p.details) : null,
      })),
    );
    if (scores.length) await db.insertInto('scores').values(scores).execute();
  }
  return run.id;
}
