import type { Kysely } from 'kysely';
import { EvalgateError } from '../errors.js';
import type { Database, PredictionStatus, SampleMedia } from '../store/database.js';

/** One run's header as the comparison needs it. */
export interface RunHeader {
  /** Run id. */
  readonly id: string;
  /** Model id. */
  readonly modelId: string;
  /** `generalist` or `specialist`. */
  readonly modelKind: 'generalist' | 'specialist';
  /** Task scored. */
  readonly task: string;
  /** Dataset id. */
  readonly datasetId: string | null;
  /** Whether the run's dataset is sealed (see gateway/compare/sealed-view.ts). */
  readonly datasetSealed: boolean;
  /** Dataset digest recorded with the run. */
  readonly datasetDigest: string | null;
  /** Prompt template recorded with the run. */
  readonly promptTemplate: string | null;
  /** Normalizer recorded with the run. */
  readonly normalizer: string | null;
  /** Scoring options recorded in the run config (unit, extractor…). */
  readonly scoring: Readonly<Record<string, unknown>>;
  /** Run status. */
  readonly status: string;
  /** When the run finished. */
  readonly finishedAt: Date | null;
}

/** One prediction joined with its sample. */
export interface SampleOutcome {
  /** Sample row id. */
  readonly sampleId: string;
  /** Sample id in the manifest. */
  readonly sampleKey: string;
  /** Prediction status. */
  readonly status: PredictionStatus;
  /** Model output. */
  readonly prediction: string | null;
  /** Reference string(s). */
  readonly reference: string | string[] | null;
  /** MCQ answer letter. */
  readonly answer: string | null;
  /** MCQ options. */
  readonly choices: string[] | null;
  /** Language. */
  readonly lang: string | null;
  /** Capability tags. */
  readonly tags: readonly string[];
  /** Media files. */
  readonly media: readonly SampleMedia[];
  /** End-to-end latency, ms. */
  readonly latencyTotalMs: number | null;
  /** Time to first token, ms. */
  readonly latencyFirstTokenMs: number | null;
  /** Audio seconds, for RTFx. */
  readonly audioSeconds: number | null;
}

/** A run with every prediction. */
export interface RunOutcomes {
  /** The run. */
  readonly run: RunHeader;
  /** Its predictions, one per sample. */
  readonly outcomes: readonly SampleOutcome[];
}

/** Loads runs and their predictions (with sample data) for comparison. */
export async function loadRunOutcomes(db: Kysely<Database>, runIds: readonly string[]): Promise<RunOutcomes[]> {
  const out: RunOutcomes[] = [];
  // A run named twice is loaded (and counted) once.
  for (const id of new Set(runIds)) {
    const run = await db
      .selectFrom('runs')
      .innerJoin('models', 'models.id', 'runs.model_id')
      .leftJoin('datasets', 'datasets.id', 'runs.dataset_id')
      .select([
        'datasets.sealed',
        'runs.id',
        'runs.model_id',
        'models.kind',
        'runs.task',
        'runs.dataset_id',
        'runs.dataset_digest',
        'runs.prompt_template',
        'runs.normalizer',
        'runs.config',
        'runs.status',
        'runs.finished_at',
      ])
      .where('runs.id', '=', id)
      .executeTakeFirst();
    if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id });
    const rows = await db
      .selectFrom('predictions')
      .innerJoin('samples', 'samples.id', 'predictions.sample_id')
      .select([
        'samples.id as sample_id',
        'samples.sample_key',
        'predictions.status',
        'predictions.output_text',
        'samples.reference',
        'samples.answer',
        'samples.choices',
        'samples.lang',
        'samples.tags',
        'samples.media',
        'predictions.latency_total_ms',
        'predictions.latency_first_token_ms',
        'predictions.audio_seconds',
      ])
      .where('predictions.run_id', '=', id)
      .orderBy('samples.sample_key')
      .execute();
    const config = (run.config ?? {}) as Record<string, unknown>;
    // The runner records scorer options under `scorer` (normalizer, unit, extractor…).
    const scoring = (config.scorer ?? {}) as Record<string, unknown>;
    out.push({
      run: {
        id: run.id,
        modelId: run.model_id,
        modelKind: run.kind,
        task: run.task,
        datasetId: run.dataset_id,
        datasetSealed: run.sealed === true,
        datasetDigest: run.dataset_digest,
        promptTemplate: run.prompt_template,
        normalizer: run.normalizer,
        scoring,
        status: run.status,
        finishedAt: run.finished_at,
      },
      outcomes: rows.map((r) => ({
        sampleId: r.sample_id,
        sampleKey: r.sample_key,
        status: r.status,
        prediction: r.output_text,
        reference: r.reference,
        answer: r.answer,
        choices: r.choices,
        lang: r.lang,
        tags: r.tags ?? [],
        media: r.media ?? [],
        latencyTotalMs: r.latency_total_ms,
        latencyFirstTokenMs: r.latency_first_token_ms,
        audioSeconds: r.audio_seconds,
      })),
    });
  }
  return out;
}
