import type { Kysely } from 'kysely';
import type { Database } from '../../gateway/store/database.js';

/** What a seeded prediction looks like. */
export interface SeedPrediction {
  readonly key: string;
  readonly status?: 'ok' | 'failed';
  readonly text?: string;
  readonly latencyMs?: number;
  /** The successful model call, ms (`latency_request_ms`, RTFx's processing time); none unless given. */
  readonly requestMs?: number;
  readonly audioS?: number;
}

/** Inserts a dataset with samples. Returns sample ids by key. */
export async function seedDataset(
  db: Kysely<Database>,
  name: string,
  samples: readonly {
    key: string;
    task: 'asr' | 'mcq' | 'ocr';
    reference?: string | string[];
    answer?: string;
    choices?: string[];
    tags?: string[];
    lang?: string;
  }[],
  opts: { rootDir?: string; media?: (key: string) => { kind: string; path: string; sha256: string }[] } = {},
): Promise<{ datasetId: string; ids: Map<string, string> }> {
  const ds = await db
    .insertInto('datasets')
    .values({ name, manifest_digest: `digest-${name}`, merkle_root: `root-${name}`, sample_count: samples.length, root_dir: opts.rootDir ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids = new Map<string, string>();
  for (const s of samples) {
    const row = await db
      .insertInto('samples')
      .values({
        dataset_id: ds.id,
        sample_key: s.key,
        task: s.task,
        reference: s.reference === undefined ? null : JSON.stringify(s.reference),
        answer: s.answer ?? null,
        choices: s.choices ? JSON.stringify(s.choices) : null,
        tags: JSON.stringify(s.tags ?? []),
        lang: s.lang ?? null,
        media: JSON.stringify(opts.media?.(s.key) ?? []),
        sample_digest: `sd-${s.key}`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.set(s.key, row.id);
  }
  return { datasetId: ds.id, ids };
}

/** Inserts a model (if new) and a completed run with its predictions. */
export async function seedRun(
  db: Kysely<Database>,
  opts: {
    model: string;
    kind: 'generalist' | 'specialist';
    datasetId: string;
    ids: Map<string, string>;
    task: string;
    normalizer?: string;
    /** Scorer options recorded in the run config (`normalizer` is added from the option above). */
    scorer?: Record<string, unknown>;
    /** Dataset digest recorded with the run (default `d`). */
    datasetDigest?: string;
    finishedAt?: Date;
    predictions: readonly SeedPrediction[];
  },
): Promise<string> {
  await db
    .insertInto('models')
    .values({ id: opts.model, adapter: 'test', kind: opts.kind, model: null, base_url: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const run = await db
    .insertInto('runs')
    .values({
      model_id: opts.model,
      dataset_id: opts.datasetId,
      task: opts.task,
      status: 'completed',
      config: JSON.stringify({ scorer: { ...opts.scorer, ...(opts.normalizer ? { normalizer: opts.normalizer } : {}) } }),
      config_hash: `${opts.model}-${opts.task}`,
      dataset_digest: opts.datasetDigest ?? 'd',
      normalizer: opts.normalizer ?? null,
      evalgate_version: '0.1.0',
      finished_at: opts.finishedAt ?? new Date('2026-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const p of opts.predictions) {
    await db
      .insertInto('predictions')
      .values({
        run_id: run.id,
        sample_id: opts.ids.get(p.key)!,
        status: p.status ?? 'ok',
        output_text: p.status === 'failed' ? null : (p.text ?? ''),
        error: p.status === 'failed' ? JSON.stringify({ message: 'HTTP 500' }) : null,
        attempts: 1,
        latency_total_ms: p.latencyMs ?? null,
        latency_request_ms: p.requestMs ?? null,
        audio_seconds: p.audioS ?? null,
      })
      .execute();
  }
  return run.id;
}
