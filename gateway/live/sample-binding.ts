import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { EXTRACTOR_NAMES, type ExtractorName } from '../../scorers/mcq/mcq-extractors.js';
import { isNormalizerName, type NormalizerName } from '../../scorers/normalizers/normalizer-registry.js';
import { getTask } from '../../scorers/tasks/index.js';
import type { TokenUnit } from '../../scorers/wer/tokenize.js';
import { containMediaPath, isContainmentProblem } from '../../datasets/contain-media-path.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { datasetScorerOptionsOf, findBindableSample } from '../store/dataset-repo.js';

/** A dataset sample a stream or an utterance is scored against. The reference never leaves the server. */
export interface BoundSample {
  /** samples.id */
  readonly sampleId: string;
  /** datasets.id */
  readonly datasetId: string;
  /** The manifest `id`. */
  readonly sampleKey: string;
  /** Task of the sample: a name in the task registry (scorers/tasks/). */
  readonly task: string;
  /** Reference text(s). */
  readonly reference: string | readonly string[] | null;
  /** Language, which picks the normalizer (zh → WeNet characters). */
  readonly lang: string | null;
  /** Question of a VQA/MCQ sample. */
  readonly question: string | null;
  /** Correct letter of an mcq sample. */
  readonly answer: string | null;
  /** Option texts of an mcq sample. */
  readonly choices: readonly string[] | null;
  /** vqa: the human answers (scored with VQA accuracy); references, so they never leave the server either. */
  readonly humanAnswers?: readonly string[] | null;
  /** Scorer options the client chose when it bound the sample. */
  readonly scoring: LiveScoring;
  /** Whether its dataset is sealed: per-sample scores then go to admin keys only (gateway/compare/sealed-view.ts). */
  readonly sealed?: boolean;
  /**
   * The sample's media by kind (for a video reference): `path` is the real
   * file (links resolved, inside the dataset root); `manifestPath` is the
   * dataset-relative name that errors show (never a server path).
   */
  readonly media: readonly { readonly kind: string; readonly path: string; readonly manifestPath: string }[];
}

/** Options handed to scoreTask, as `evalgate score` takes them; absent ones take its defaults. */
export interface LiveScoring {
  /** Normalizer (default `none`, or `wenet-zh` with unit `mixed`). */
  readonly normalizer?: NormalizerName;
  /** asr token unit (default `word`). */
  readonly unit?: TokenUnit;
  /** mcq answer extractor (default `videomme`). */
  readonly extractor?: ExtractorName;
}

/** What a client sends to bind: `{dataset, sample, normalizer?, unit?, extractor?}`. */
export interface SampleRef extends LiveScoring {
  /** Dataset name (or id). */
  readonly dataset: string;
  /** Sample id from the manifest. */
  readonly sample: string;
}

const units: readonly string[] = ['word', 'char', 'mixed'];

/** Validates an `evalgate` extension's `{dataset, sample, normalizer?, unit?, extractor?}` shape. */
export function parseSampleRef(value: unknown, param: string): SampleRef | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as { dataset?: unknown; sample?: unknown; normalizer?: unknown; unit?: unknown; extractor?: unknown };
  if (typeof v !== 'object' || typeof v.dataset !== 'string' || typeof v.sample !== 'string' || !v.dataset || !v.sample) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param} must be {"dataset": "<name>", "sample": "<id>"}`, param });
  }
  const bad = (field: string, allowed: readonly string[]): EvalgateError =>
    new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param}.${field} must be one of ${allowed.join(', ')}`, param: `${param}.${field}` });
  if (v.normalizer !== undefined && (typeof v.normalizer !== 'string' || !isNormalizerName(v.normalizer)))
    throw bad('normalizer', ['whisper-en', 'whisper-basic', 'open-asr-en', 'wenet-zh', 'none']);
  if (v.unit !== undefined && (typeof v.unit !== 'string' || !units.includes(v.unit))) throw bad('unit', units);
  if (v.extractor !== undefined && (typeof v.extractor !== 'string' || !(EXTRACTOR_NAMES as readonly string[]).includes(v.extractor)))
    throw bad('extractor', EXTRACTOR_NAMES);
  return {
    dataset: v.dataset,
    sample: v.sample,
    ...(v.normalizer !== undefined ? { normalizer: v.normalizer as NormalizerName } : {}),
    ...(v.unit !== undefined ? { unit: v.unit as TokenUnit } : {}),
    ...(v.extractor !== undefined ? { extractor: v.extractor as ExtractorName } : {}),
  };
}

/** Looks a sample up by dataset name (newest import wins) and sample key. */
export async function findBoundSample(db: Kysely<Database>, ref: SampleRef): Promise<BoundSample> {
  const row = await findBindableSample(db, ref.dataset, ref.sample);
  if (!row) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Sample', id: `${ref.dataset}/${ref.sample}` });
  // A turn-taking scenario is scored from a whole recorded conversation, never from one turn's answer.
  if (getTask(row.task)?.sample.target === 'scenario') {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `${ref.dataset}/${ref.sample} is a ${row.task} scenario: it is played with \`evalgate duplex\`, not bound to a live turn`,
    });
  }
  const root = row.rootDir ?? '.';
  // The same rule as the media route and the runner (the recorded file when there is one): a link out of its folder never reaches a model.
  const media = await Promise.all(
    (row.media ?? []).map(async (m, i) => {
      const recorded = row.mediaFiles?.[i];
      const real = await containMediaPath(root, m.path, recorded ? { recorded } : {});
      if (!isContainmentProblem(real)) return { kind: m.kind, path: real.realPath, manifestPath: m.path };
      if (real.problem === 'escape') throw new EvalgateError('EVALGATE_ERR_PATH_ESCAPE', { path: m.path, root: `of dataset ${ref.dataset}` });
      // Another file (or size) than the one recorded at import: never bound in its place.
      if (real.problem === 'changed') throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: `${m.path} (not the file recorded at import)` });
      // Missing now: binding a sample for live scoring needs no file; a video turn checks it and says so.
      return { kind: m.kind, path: resolve(root, m.path), manifestPath: m.path };
    }),
  );
  return {
    sampleId: row.sampleId,
    datasetId: row.datasetId,
    sampleKey: row.sampleKey,
    task: row.task,
    reference: row.reference,
    lang: row.lang,
    question: row.question,
    answer: row.answer,
    choices: row.choices,
    humanAnswers: row.humanAnswers,
    sealed: row.sealed === true,
    scoring: {
      // The dataset's own scorer options (cls's labels and synonyms, from its manifest), under the client's.
      ...datasetScorerOptionsOf(row.datasetMeta, row.task),
      ...(ref.normalizer ? { normalizer: ref.normalizer } : {}),
      ...(ref.unit ? { unit: ref.unit } : {}),
      ...(ref.extractor ? { extractor: ref.extractor } : {}),
    },
    media,
  };
}

/**
 * Scores a live answer against a bound sample through its task spec (scoreTask, the code
 * behind `evalgate score` and the batch runner), with the options the client
 * bound the sample with. Returns the per-sample numbers (booleans as 0/1,
 * plus `answered` for tasks that extract an answer), or undefined when the sample's task has no scorer
 * or no reference/answer (or vqa human answers) to score against. The reference never leaves here.
 */
export function scoreBoundSample(sample: BoundSample, prediction: string): Record<string, number> | undefined {
  const spec = getTask(sample.task);
  if (!spec) return undefined;
  const choice = spec.sample.target === 'choice';
  const humanAnswers = sample.humanAnswers ?? null;
  if (choice ? !sample.answer : sample.reference === null && humanAnswers === null) return undefined;
  const entry = spec.scoreSample(
    {
      id: sample.sampleKey,
      prediction,
      ...(sample.reference !== null ? { reference: sample.reference } : {}),
      ...(sample.answer !== null ? { answer: sample.answer } : {}),
      ...(sample.choices !== null ? { choices: sample.choices } : {}),
      ...(humanAnswers !== null ? { humanAnswers } : {}),
    },
    { ...sample.scoring },
  );
  const scores: Record<string, number> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v === 'number' && Number.isFinite(v)) scores[k] = v;
    else if (typeof v === 'boolean' && k !== 'missing') scores[k] = v ? 1 : 0;
  }
  // Tasks that extract an answer (mcq's letter) say whether they found one; mmau matches text and has no such step.
  if ('extracted' in entry) scores.answered = entry.extracted != null ? 1 : 0;
  return scores;
}
