// What `evalgate score` must know of the task registry before it has loaded it. The registry
// (scorers/tasks/index.ts) loads every task's option schemas, and with them zod: ~0.1 s of a whole
// `evalgate score --task asr` process. score loads it only when it scores another task (or asr with
// --alignment, or an asr manifest that sets dataset-level fields). tests/score-input/score-task-names.test.ts
// checks every fact here against the registry.
import type { TaskName } from '../../scorers/tasks/index.js';

/** The tasks `evalgate score --task` accepts, in registry order (the registry's `scoreCommandTaskNames`). */
export const SCORE_TASK_NAMES: readonly TaskName[] = ['asr', 'ocr', 'vqa', 'mcq', 'mmau', 'ast', 'cls'];

/** What reading an asr references row needs of asr's spec: it is scored against a `reference`, one string. */
export const ASR_READ_FACTS = { target: 'reference', singleReference: true } as const;

/** The registry's task name for `name`, when `evalgate score` scores it. */
export function scoreTaskName(name: unknown): TaskName | undefined {
  return SCORE_TASK_NAMES.find((t) => t === name);
}

/** "a, b, c or d": a list of names for messages (the registry's `orList`). */
export function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
