// The one list of tasks. Manifest validation, CLI choices and help, run,
// score, compare and live sample binding derive from it; docs/scoring.md's
// task table is kept in step by tests/tasks/task-registry.test.ts.
import { asrTask } from './asr.js';
import { astTask } from './ast.js';
import { clsTask } from './cls.js';
import { duplexTask } from './duplex.js';
import { judgePairTask } from './judge-pair.js';
import { judgeScoreTask } from './judge-score.js';
import { mcqTask } from './mcq.js';
import { mmauTask } from './mmau.js';
import { ocrTask } from './ocr.js';
import type { TaskSpec } from './task-spec.js';
import { vqaTask } from './vqa.js';

export type { MediaKind, MetricSpec, PairedItem, PairedTest, TaskSampleSpec, TaskScoreOptions, TaskSpec } from './task-spec.js';

/** Every task, keyed by its manifest name. */
export const tasks = Object.freeze({
  asr: asrTask,
  ocr: ocrTask,
  vqa: vqaTask,
  mcq: mcqTask,
  mmau: mmauTask,
  ast: astTask,
  cls: clsTask,
  duplex: duplexTask,
} satisfies Record<string, TaskSpec>);

/** A task's manifest name. */
export type TaskName = keyof typeof tasks;

/** Every task as the general TaskSpec, for reading optional fields (`specialistAudioRateHz`, `demoScorer`…). */
export const taskSpecs: Readonly<Record<TaskName, TaskSpec<TaskName>>> = tasks;

/** Task names in registry order. */
export const taskNames = Object.keys(tasks) as [TaskName, ...TaskName[]];

/** Whether `name` is a registered task. */
export function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(tasks, name);
}

/**
 * Tasks whose samples are another run's answers, not a manifest's (`judge-score`
 * and `judge-pair`, written by `evalgate judge`): scored, compared and ranked through
 * {@link getTask} like the others, but never a manifest task or a `run --task`.
 */
export const derivedTasks: Readonly<Record<string, TaskSpec>> = Object.freeze({ 'judge-score': judgeScoreTask, 'judge-pair': judgePairTask });

/**
 * Whether a run of this task stores a score as its "prediction" (a judged run's answer is the judge's
 * score), so its prediction text and judge replies are per-sample scores to the sealed rules.
 */
export function predictionIsScore(task: string): boolean {
  return Object.hasOwn(derivedTasks, task);
}

/** The spec of a task (a registry task, else a derived one), or undefined for an unknown name. */
export function getTask(name: string): TaskSpec | undefined {
  if (isTaskName(name)) return tasks[name];
  return Object.hasOwn(derivedTasks, name) ? derivedTasks[name] : undefined;
}

/** Tasks `evalgate score --task` accepts by name. */
export const scoreCommandTaskNames = taskNames.filter((t) => tasks[t].scoreCommand);

/** "a, b, c or d": a list of names for messages and help. */
export function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
