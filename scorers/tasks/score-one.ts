import { scoreTask, type ScoredSample, type ScoreItem, type ScoreTaskKind } from '../score-task.js';
import type { TaskScoreOptions } from './task-spec.js';

/**
 * One item scored on its own, as a task's `scoreSample`. The scorer answers
 * one sample per item; none back would be a scorer bug, said as such rather
 * than handed on as `undefined`.
 */
export function scoreOne(task: ScoreTaskKind, item: ScoreItem, options: TaskScoreOptions = {}): ScoredSample {
  const [sample] = scoreTask([item], { ...options, task }).samples;
  if (sample === undefined) throw new Error(`the ${task} scorer returned no sample for item ${item.id}`);
  return sample;
}
