import type { MetricValues, ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';

/**
 * One item scored on its own through a task's `aggregate`, as the task's
 * `scoreSample`. The scorer answers one sample per item; none back would be a
 * scorer bug, said as such rather than handed on as `undefined`.
 */
export function scoreOne<S extends ScoredSample>(
  task: string,
  aggregate: (items: readonly ScoreItem[], options?: TaskScoreOptions) => ScoreTaskResult<MetricValues, S>,
  item: ScoreItem,
  options: TaskScoreOptions = {},
): S {
  const [sample] = aggregate([item], options).samples;
  if (sample === undefined) throw new Error(`the ${task} scorer returned no sample for item ${item.id}`);
  return sample;
}
