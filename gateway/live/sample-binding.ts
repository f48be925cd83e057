import { resolve, sep } from 'node:path';
import type { Kysely } from 'kysely';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';

/** A dataset sample a stream or an utterance is scored against. The reference never leaves the server. */
export interface BoundSample {
  /** samples.id */
  readonly sampleId: string;
  /** datasets.id */
  readonly datasetId: string;
  /** The manifest `id`. */
  readonly sampleKey: string;
  /** Task of the sample (live scoring handles `asr`; others are stored unscored). */
  readonly task: string;
  /** Reference text(s). */
  readonly reference: string | readonly string[] | null;
  /** Language, which picks the normalizer (zh → WeNet characters). */
  readonly lang: string | null;
  /** Question of a VQA/MCQ sample. */
  readonly question: string | null;
  /** Absolute media paths of the sample by kind (for a video reference). */
  readonly media: readonly { readonly kind: string; readonly path: string }[];
}

/** What a client sends to bind: `{dataset, sample}`. */
export interface SampleRef {
  /** Dataset name (or id). */
  readonly dataset: string;
  /** Sample id from the manifest. */
  readonly sample: string;
}

/** Validates an `evalgate` extension's `{dataset, sample}` shape. */
export function parseSampleRef(value: unknown, param: string): SampleRef | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as { dataset?: unknown; sample?: unknown };
  if (typeof v !== 'object' || typeof v.dataset !== 'string' || typeof v.sample !== 'string' || !v.dataset || !v.sample) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param} must be {"dataset": "<name>", "sample": "<id>"}` });
  }
  return { dataset: v.dataset, sample: v.sample };
}

/** Looks a sample up by dataset name (newest import wins) and sample key. */
export async function findBoundSample(db: Kysely<Database>, ref: SampleRef): Promise<BoundSample> {
  const row = await db
    .selectFrom('samples')
    .innerJoin('datasets', 'datasets.id', 'samples.dataset_id')
    .select([
      'samples.id as sampleId',
      'samples.dataset_id as datasetId',
      'samples.sample_key as sampleKey',
      'samples.task as task',
      'samples.reference as reference',
      'samples.lang as lang',
      'samples.question as question',
      'samples.media as media',
      'datasets.root_dir as rootDir',
    ])
    .where((eb) => eb.or([eb('datasets.name', '=', ref.dataset), eb(eb.cast('datasets.id', 'text'), '=', ref.dataset)]))
    .where('samples.sample_key', '=', ref.sample)
    .orderBy('datasets.created_at', 'desc')
    .executeTakeFirst();
  if (!row) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Sample', id: `${ref.dataset}/${ref.sample}` });
  const root = row.rootDir ?? '.';
  const media = (row.media ?? []).map((m) => {
    const abs = resolve(root, m.path);
    if (abs !== resolve(root) && !abs.startsWith(resolve(root) + sep)) throw new EvalgateError('EVALGATE_ERR_PATH_ESCAPE', { path: m.path, root });
    return { kind: m.kind, path: abs };
  });
  return {
    sampleId: row.sampleId,
    datasetId: row.datasetId,
    sampleKey: row.sampleKey,
    task: row.task,
    reference: row.reference,
    lang: row.lang,
    question: row.question,
    media,
  };
}
