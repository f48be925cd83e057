import { conditionModelLabel } from './answer-condition.js';
import type { Kysely } from 'kysely';
import { EvalgateError } from '../errors.js';
import type { Database, PredictionStatus, SampleMedia } from '../store/database.js';
import { countSamplesByGroup, findRunHeader, listRunOutcomeRows } from '../store/run-outcome-repo.js';
import { sliceLabels } from './slice-labels.js';

/**
 * How many samples a sealed dataset defines on one task, overall and per
 * breakdown slice. The sealed policy shows a non-admin caller an aggregate
 * only when it covers one of these sets whole (gateway/compare/sealed-view.ts).
 */
export interface DatasetSliceSizes {
  /** Samples of the dataset on the task. */
  readonly all: number;
  /** Samples per tag label (`(untagged)` for samples without a tag), as compare labels them. */
  readonly tag: Readonly<Record<string, number>>;
  /** Samples per language label (`(none)` without one). */
  readonly lang: Readonly<Record<string, number>>;
}

/** A slice's defined size; 0 for a label the dataset does not define (own keys only: a tag may be named `constructor`). */
export function definedSize(sizes: DatasetSliceSizes | null | undefined, by: 'all' | 'tag' | 'lang', label = 'all'): number | undefined {
  if (!sizes) return undefined;
  if (by === 'all') return sizes.all;
  const rec = sizes[by];
  return Object.hasOwn(rec, label) ? rec[label] : 0;
}

/** One run's header as the comparison needs it. */
export interface RunHeader {
  /** Run id. */
  readonly id: string;
  /** Model id, with " (speech)" when it answered in speech (answer-condition.ts). */
  readonly modelId: string;
  /** `generalist` or `specialist`. */
  readonly modelKind: 'generalist' | 'specialist';
  /** Task scored. */
  readonly task: string;
  /** Dataset id. */
  readonly datasetId: string | null;
  /** Whether the run's dataset is sealed (see gateway/compare/sealed-view.ts). */
  readonly datasetSealed: boolean;
  /** On a sealed dataset: the sample sets it defines on the run's task (absent on open datasets). */
  readonly sliceSizes?: DatasetSliceSizes | null;
  /** Dataset digest recorded with the run. */
  readonly datasetDigest: string | null;
  /** Prompt template recorded with the run. */
  readonly promptTemplate: string | null;
  /** Normalizer recorded with the run. */
  readonly normalizer: string | null;
  /** Scoring options recorded in the run config (unit, extractor…). */
  readonly scoring: Readonly<Record<string, unknown>>;
  /** Scorer versions recorded in the run config (`scorerVersions`); absent for runs recorded before they were stored. */
  readonly scorerVersions?: unknown;
  /** Judge settings recorded by `evalgate judge` (`config.judge`); absent for runs that are not judged runs. */
  readonly judge?: unknown;
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
  /** Human answers (vqa), scored with VQA accuracy. */
  readonly humanAnswers: string[] | null;
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
  /** The successful model call, ms: RTFx's processing time (gateway/rtfx.ts). */
  readonly latencyRequestMs: number | null;
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

/**
 * The slice sizes of some datasets, per dataset and task, in one grouped
 * query (not one per run or per row).
 */
export async function loadSliceSizes(db: Kysely<Database>, datasetIds: readonly string[]): Promise<Map<string, Map<string, DatasetSliceSizes>>> {
  const out = new Map<string, Map<string, DatasetSliceSizes>>();
  if (datasetIds.length === 0) return out;
  const rows = await countSamplesByGroup(db, datasetIds);
  const acc = new Map<string, Map<string, { all: number; tag: Map<string, number>; lang: Map<string, number> }>>();
  for (const r of rows) {
    const n = r.n;
    const perTask = acc.get(r.datasetId) ?? new Map();
    acc.set(r.datasetId, perTask);
    const a = perTask.get(r.task) ?? { all: 0, tag: new Map<string, number>(), lang: new Map<string, number>() };
    perTask.set(r.task, a);
    a.all += n;
    const sample = { tags: r.tags ?? [], lang: r.lang };
    for (const l of sliceLabels(sample, 'tag', r.task)) a.tag.set(l, (a.tag.get(l) ?? 0) + n);
    for (const l of sliceLabels(sample, 'lang', r.task)) a.lang.set(l, (a.lang.get(l) ?? 0) + n);
  }
  for (const [datasetId, perTask] of acc) {
    out.set(datasetId, new Map([...perTask].map(([task, a]) => [task, { all: a.all, tag: Object.fromEntries(a.tag), lang: Object.fromEntries(a.lang) }])));
  }
  return out;
}

const noSizes: DatasetSliceSizes = { all: 0, tag: {}, lang: {} };

/** Loads runs and their predictions (with sample data) for comparison. */
export async function loadRunOutcomes(db: Kysely<Database>, runIds: readonly string[]): Promise<RunOutcomes[]> {
  const out: RunOutcomes[] = [];
  // Slice sizes of sealed datasets, loaded once per dataset however many runs name it.
  const sizesOf = new Map<string, Map<string, DatasetSliceSizes>>();
  // A run named twice is loaded (and counted) once.
  for (const id of new Set(runIds)) {
    const run = await findRunHeader(db, id);
    if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id });
    const rows = await listRunOutcomeRows(db, id);
    let sliceSizes: DatasetSliceSizes | null = null;
    if (run.sealed === true && run.dataset_id !== null) {
      if (!sizesOf.has(run.dataset_id)) sizesOf.set(run.dataset_id, (await loadSliceSizes(db, [run.dataset_id])).get(run.dataset_id) ?? new Map());
      sliceSizes = sizesOf.get(run.dataset_id)!.get(run.task) ?? noSizes;
    }
    const config = (run.config ?? {}) as Record<string, unknown>;
    // The runner records scorer options under `scorer` (normalizer, unit, extractor…).
    const scoring = (config.scorer ?? {}) as Record<string, unknown>;
    out.push({
      run: {
        id: run.id,
        modelId: conditionModelLabel(run.model_id, config),
        modelKind: run.kind,
        task: run.task,
        datasetId: run.dataset_id,
        datasetSealed: run.sealed === true,
        sliceSizes,
        datasetDigest: run.dataset_digest,
        promptTemplate: run.prompt_template,
        normalizer: run.normalizer,
        scoring,
        scorerVersions: config.scorerVersions,
        judge: config.judge,
        status: run.status,
        finishedAt: run.finished_at,
      },
      outcomes: rows.map((r) => ({
        sampleId: r.sample_id,
        sampleKey: r.sample_key,
        status: r.status,
        prediction: r.output_text,
        reference: r.reference,
        humanAnswers: r.human_answers,
        answer: r.answer,
        choices: r.choices,
        lang: r.lang,
        tags: r.tags ?? [],
        media: r.media ?? [],
        latencyTotalMs: r.latency_total_ms,
        latencyRequestMs: r.latency_request_ms,
        latencyFirstTokenMs: r.latency_first_token_ms,
        audioSeconds: r.audio_seconds,
      })),
    });
  }
  return out;
}
