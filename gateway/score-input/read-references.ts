import type { canonicalJson as CanonicalJson } from '../../datasets/dataset-digest.js';
import type { datasetLevelFields as DatasetLevelFields } from '../../datasets/manifest-schema.js';
import type { ScoreItem } from '../../scorers/score-task.js';
import type { TaskName, taskSpecs as TaskSpecs } from '../../scorers/tasks/index.js';
import { forEachJsonlLine } from './jsonl-lines.js';
import { badAt, idFromValue } from './prediction-rows.js';
import { ASR_READ_FACTS, orList, SCORE_TASK_NAMES, scoreTaskName } from './score-task-names.js';

/** A references row ready to score: where it is, its task, and its scorer input, whose prediction the caller fills in. */
export interface ReferenceRow {
  readonly line: number;
  readonly task: TaskName;
  /** The scorer input, `prediction` null until a prediction is read for it (built once: 100k rows make no copies). */
  readonly item: { -readonly [K in keyof ScoreItem]: ScoreItem[K] };
  /** The predictions file's line that gave `item` its prediction; 0 until one did (joinPredictionsById's repeat check). */
  predictionLine: number;
}

/** The references manifest as `score` reads it. */
export interface References {
  /** Rows to score by id, in file order. */
  readonly rows: Map<string, ReferenceRow>;
  /** Ids of rows another task owns, left out by `--task` (their predictions are not "unknown ids"). */
  readonly skipped: Set<string>;
  /** Scorer options the manifest sets for a whole task (cls's `labels` and `label_synonyms` → `synonyms`). */
  readonly taskOptions: Partial<Record<TaskName, Record<string, unknown>>>;
}

/** Dataset-level fields of a references row and the scorer option each sets. */
const DATASET_LEVEL = [
  ['labels', 'labels'],
  ['label_synonyms', 'synonyms'],
] as const;

/**
 * Reads a references manifest (JSONL). Each row is scored as its own `task`;
 * a row without one takes `onlyTask`, and with `onlyTask` set the rows of
 * other tasks are skipped, so one mixed manifest serves every task.
 */
export async function readReferences(file: string, onlyTask: TaskName | undefined): Promise<References> {
  // Plain asr rows are read without the task registry and the manifest schema (they load zod, ~0.1 s); the
  // first row that needs them stops that read, and the file is read again from the start with them. Both
  // reads check a row the same way, so the errors, and the order they come in, do not depend on which.
  const light = await readWith(file, onlyTask, undefined);
  if (light !== undefined) return light;
  const [{ taskSpecs }, { datasetLevelFields }, { canonicalJson }] = await Promise.all([
    import('../../scorers/tasks/index.js'),
    import('../../datasets/manifest-schema.js'),
    import('../../datasets/dataset-digest.js'),
  ]);
  return (await readWith(file, onlyTask, { taskSpecs, datasetLevelFields, canonicalJson }))!;
}

/** The modules reading a row of any task takes. */
interface FullChecks {
  readonly taskSpecs: typeof TaskSpecs;
  readonly datasetLevelFields: typeof DatasetLevelFields;
  readonly canonicalJson: typeof CanonicalJson;
}

/** {@link readReferences} with `full`; without it, undefined as soon as a row needs it (a task other than asr, a dataset-level field, human answers). */
async function readWith(file: string, onlyTask: TaskName | undefined, full: FullChecks | undefined): Promise<References | undefined> {
  const bad = badAt;
  const rows = new Map<string, ReferenceRow>();
  const skipped = new Set<string>();
  const taskOptions: Partial<Record<TaskName, Record<string, unknown>>> = {};
  const firstLine = new Map<string, { line: number; json: string }>();
  let needsFull = false;
  await forEachJsonlLine(file, {}, ({ line, value: v }) => {
    const id = idFromValue(v.id);
    if (id === undefined) throw bad(file, line, 'id', 'missing, or not a non-empty string or finite number');
    const first = rows.get(id)?.line ?? (skipped.has(id) ? -1 : undefined);
    if (first !== undefined) throw bad(file, line, 'id', `duplicate id "${id}"${first > 0 ? ` (first on line ${first})` : ''}`);
    const named = v.task;
    if (named !== undefined && typeof named !== 'string') throw bad(file, line, 'task', 'must be a string');
    if (onlyTask && named !== undefined && named !== onlyTask) {
      skipped.add(id);
      return;
    }
    const taskName = named ?? onlyTask;
    if (taskName === undefined) throw bad(file, line, 'task', 'the row names no task; give each row a "task" or pass --task');
    const task = scoreTaskName(taskName);
    if (!task) throw bad(file, line, 'task', `"${taskName}" cannot be scored here; use ${orList(SCORE_TASK_NAMES)}`);
    if (!full) {
      if (task !== 'asr' || v.labels !== undefined || v.label_synonyms !== undefined || v.answers !== undefined) {
        needsFull = true;
        return false;
      }
      readReference(file, line, id, task, v, ASR_READ_FACTS.singleReference, rows);
      return;
    }
    const { taskSpecs, datasetLevelFields, canonicalJson } = full;
    const spec = taskSpecs[task];
    for (const [field, option] of DATASET_LEVEL) {
      if (v[field] === undefined) continue;
      const value = v[field];
      // The manifest's own rules (labels: at least two), then the task's: a field another task does not read is an error.
      const parsed = spec.options.safeParse({ [option]: value });
      if (!datasetLevelFields[field].safeParse(value).success || !parsed.success || !Object.hasOwn(parsed.data as object, option)) {
        throw bad(file, line, field, `is not a ${task} setting, or is malformed`);
      }
      // Compared as canonical JSON, as an import compares them: key order does not matter.
      const json = canonicalJson(value);
      const first = firstLine.get(`${task} ${field}`);
      if (first && first.json !== json) throw bad(file, line, field, `differs from line ${first.line}: it is set for the whole ${task} dataset`);
      if (!first) firstLine.set(`${task} ${field}`, { line, json });
      (taskOptions[task] ??= {})[option] = value;
    }
    if (spec.sample.target === 'choice') {
      if (typeof v.answer !== 'string' || v.answer.trim() === '') throw bad(file, line, 'answer', `${task} needs the correct answer`);
      const choices = v.choices;
      if (choices !== undefined && !(Array.isArray(choices) && choices.every((c) => typeof c === 'string'))) {
        throw bad(file, line, 'choices', 'must be a list of strings');
      }
      rows.set(id, {
        line,
        task,
        item: { id, answer: v.answer, ...(choices === undefined ? {} : { choices: choices as string[] }), prediction: null },
        predictionLine: 0,
      });
      return;
    }
    // vqa: the human answers (VQAv2/VizWiz/TextVQA `answers`) are scored with VQA accuracy instead of a reference.
    const human = v.answers;
    if (human !== undefined && spec.sample.fields.safeParse({ answers: human }).success !== true) {
      throw bad(file, line, 'answers', `${task} takes no "answers", or they are not a non-empty list of strings`);
    }
    if (human !== undefined) {
      if (v.reference !== undefined) throw bad(file, line, 'answers', 'give either "reference" or "answers" (human answers), not both');
      rows.set(id, { line, task, item: { id, humanAnswers: human as string[], prediction: null }, predictionLine: 0 });
      return;
    }
    readReference(file, line, id, task, v, spec.singleReference === true, rows);
  });
  return needsFull ? undefined : { rows, skipped, taskOptions };
}

/** A row scored against its `reference` (one string, or a list unless `single`), into `rows`. */
function readReference(
  file: string,
  line: number,
  id: string,
  task: TaskName,
  v: Record<string, unknown>,
  single: boolean,
  rows: Map<string, ReferenceRow>,
): void {
  const r = v.reference;
  const ok = typeof r === 'string' || (Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === 'string'));
  if (!ok) throw badAt(file, line, 'reference', 'must be a string or a non-empty list of strings');
  if (single && Array.isArray(r) && r.length !== 1) throw badAt(file, line, 'reference', `${task} takes one reference string`);
  // OCRBench's handwritten-math rule is chosen by the sample's source dataset.
  const datasetName = typeof v.dataset_name === 'string' ? v.dataset_name : typeof v.dataset === 'string' ? v.dataset : undefined;
  // Two literals, not a spread: a spread literal costs ~1 µs a row on 100k-row manifests.
  const reference = r as string | string[];
  rows.set(id, {
    line,
    task,
    item: datasetName === undefined ? { id, reference, prediction: null } : { id, reference, datasetName, prediction: null },
    predictionLine: 0,
  });
}
