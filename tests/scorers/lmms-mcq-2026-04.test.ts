// lmms-eval's April 2026 `extract_mcq_answer`
// (EvolvingLMMs-Lab/lmms-eval@7a69a9a12f8e6ea872f18762b496b424a8e63a6a,
// lmms_eval/tasks/_task_utils/mcq_extract.py). Expected values are that
// function's outputs (run under python3 as an oracle), each checked by hand
// against its ranking: start > end > answer phrase > (X) > X. > X: > X) > "X " >
// any occurrence, the last occurrence within a format.
import { describe, expect, it } from 'vitest';
import { extractMcqLmms202604 } from '../../scorers/mcq/lmms-mcq-extract-2026-04.js';
import { extractMcqLmms } from '../../scorers/mcq/lmms-mcq-extract.js';
import { extractChoice, extractors, EXTRACTOR_NAMES } from '../../scorers/mcq/mcq-extractors.js';

describe('lmms-2026-04: upstream outputs', () => {
  const cases: readonly (readonly [string, string[] | null, string])[] = [
    ['The correct answer is (B).', null, 'B'],
    ['B', null, 'B'],
    ['b', null, ''],
    ['Answer: A', null, 'A'],
    ['The answer is C because A is wrong.', null, 'A'],
    ['I think (A) is plausible, but (C) fits better', null, 'C'],
    ['A. cat B. dog', null, 'A'],
    ['Option B: the red one. Option D: the blue one', null, 'D'],
    ['A triangle has three sides.', null, 'A'],
    ['I saw a movie', null, ''],
    ['no letters here', null, ''],
    ['', null, ''],
    ['   ', null, ''],
    ['...', null, ''],
    ['(D)', ['A', 'B', 'C', 'D'], 'D'],
    ['The best option is B)', null, 'B'],
    ['After checking the diagram, C.', ['A', 'B', 'C', 'D'], 'C'],
    ['The red object is above the table.\nB', ['A', 'B', 'C', 'D'], 'B'],
    ['A or B', null, 'A'],
    ['I choose A. Actually, the answer is B', null, 'B'],
    ['The answer is D', ['A', 'B', 'C'], ''],
    ['Between A and C I pick C', null, 'C'],
    ['答案是C', null, 'C'],
    ['정답은 B입니다', null, 'B'],
    ['答えはDです', null, 'D'],
    ['It is E.', ['A', 'B', 'C', 'D', 'E'], 'E'],
    ['It is E.', null, 'E'],
    ['Hmm, G: the last one', null, 'G'],
    ['X marks the spot', null, ''],
    ['The DNA helix unwinds', null, 'A'],
    ['"B"', null, 'B'],
    ['B,.', null, 'B'],
    ['B.,', null, 'B'],
    ['**B**', null, 'B'],
    ['<answer>B</answer>', null, 'B'],
    ['\\boxed{C}', null, 'C'],
    ['A) first option', ['A', 'B'], 'A'],
    ['Clearly the Answer Is b or C', null, 'C'],
    ['ÉB', null, 'B'],
    ['é B', null, 'B'],
    ['The answer is, without doubt, F', null, 'F'],
    ['H.', ['A', 'B', 'C', 'D'], ''],
    ['Aa', null, 'A'],
    ['A1', null, 'A'],
    ['ab C', null, 'C'],
    ['Both (A) and (B) are wrong; D. is right', null, 'B'],
    ['answer: I', ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'], 'I'],
    ["I don't know", ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'], 'I'],
  ];
  it.each(cases)('%j with choices %j -> %j', (response, choices, expected) => {
    expect(extractMcqLmms202604(response, choices)).toBe(expected);
  });
});

describe('lmms-2026-04 vs the current lmms parser', () => {
  it('the old ranking guesses where the current parser abstains or reads the declaration', () => {
    // A later letter in the explanation outranks the declared one only in the 2026-04 version.
    expect(extractMcqLmms202604('The answer is C because A is wrong.')).toBe('A');
    expect(extractMcqLmms('The answer is C because A is wrong.')).toBe('C');
    expect(extractMcqLmms202604('A or B')).toBe('A');
    expect(extractMcqLmms('A or B')).toBe('');
    expect(extractMcqLmms202604('The DNA helix unwinds')).toBe('A');
    expect(extractMcqLmms('The DNA helix unwinds')).toBe('');
  });

  it('is registered as an extractor and unanswered stays null', () => {
    expect(EXTRACTOR_NAMES).toContain('lmms-2026-04');
    expect(extractors['lmms-2026-04'].upstream[0]).toMatchObject({ repo: 'EvolvingLMMs-Lab/lmms-eval', ref: '7a69a9a12f8e6ea872f18762b496b424a8e63a6a' });
    expect(extractChoice('lmms-2026-04', 'The answer is C because A is wrong.', 4)).toBe('A');
    // Four choices offer A-D only: E is not a candidate.
    expect(extractChoice('lmms-2026-04', 'It is E.', 4)).toBeNull();
    expect(extractChoice('lmms-2026-04', 'It is E.', 5)).toBe('E');
    expect(extractChoice('lmms-2026-04', 'no letters here')).toBeNull();
  });
});
