// score-task-names.ts repeats what `evalgate score` needs of the task registry so that scoring asr
// does not load it (and zod). Each fact must be the registry's.
import { describe, expect, it } from 'vitest';
import { ASR_READ_FACTS, orList, SCORE_TASK_NAMES, scoreTaskName } from '../../gateway/score-input/score-task-names.js';
import * as registry from '../../scorers/tasks/index.js';

describe('score-task-names = the task registry', () => {
  it('names the tasks score accepts, in registry order', () => {
    expect(SCORE_TASK_NAMES).toEqual(registry.scoreCommandTaskNames);
    for (const t of registry.taskNames) expect(scoreTaskName(t)).toBe(registry.tasks[t].scoreCommand ? t : undefined);
    expect(scoreTaskName('judge-score')).toBeUndefined();
    expect(scoreTaskName(3)).toBeUndefined();
  });

  it('words lists as the registry does', () => {
    for (const names of [[], ['a'], ['a', 'b'], SCORE_TASK_NAMES]) expect(orList(names)).toBe(registry.orList(names));
  });

  it("has asr's reading facts", () => {
    expect(ASR_READ_FACTS.target).toBe(registry.taskSpecs.asr.sample.target);
    expect(ASR_READ_FACTS.singleReference).toBe(registry.taskSpecs.asr.singleReference === true);
  });
});
