// OCR metrics (ANLS, lmms ANLS, OCRBench, exact match, PaddleOCR NED) and MCQ extractors.
import { describe, expect, it } from 'vitest';
import { extractMvBench, extractVideoMme } from '../../scorers/mcq/mcq-extractors.js';
import { extractMcqLmms } from '../../scorers/mcq/lmms-mcq-extract.js';
import { scoreTask } from '../../scorers/score-task.js';
import { anls, anlsLmms, exactMatch, normalizedEditDistance, normEditDis, ocrbench } from '../../scorers/ocr-metrics/ocr-metrics.js';

describe('ANLS (official)', () => {
  const gts = ['Coca Cola', 'Coca Cola Company'];
  it('issue worked cases', () => {
    expect(anls(gts, 'CocaCola')).toBeCloseTo(1 - 1 / 9, 12);
    expect(anls(gts, 'The Coca')).toBe(0);
    expect(anls(gts, 'Coca cola')).toBe(1);
  });
  it('zero at NL = 0.5 exactly; lmms variant keeps 0.5', () => {
    expect(anls(['abcd'], 'abxy')).toBe(0);
    expect(anlsLmms(['abcd'], 'abxy')).toBe(0.5);
  });
  it('lmms variant divides by the raw lengths', () => {
    // raw "  Coca  Cola " has 13 code points; normalised distance to "cocacola" is 1
    expect(anlsLmms(['  Coca  Cola '], 'CocaCola')).toBeCloseTo(1 - 1 / 13, 12);
  });
});

describe('OCRBench', () => {
  it('case-insensitive containment', () => {
    expect(ocrbench(['Hello'], 'The text says HELLO world')).toBe(1);
    expect(ocrbench(['hello world'], 'hello\nworld')).toBe(1);
    expect(ocrbench(['bye'], 'hello')).toBe(0);
  });
  it('HME100k strips spaces and newlines and keeps case', () => {
    expect(ocrbench(['x ^ { 2 }'], '$x^{2}$', 'HME100k')).toBe(1);
    expect(ocrbench(['X^{2}'], 'x^{2}', 'HME100k')).toBe(0);
    expect(ocrbench(['x ^ { 2 }'], '$x^{2}$')).toBe(0);
  });
});

describe('exact match and PaddleOCR norm_edit_dis', () => {
  it('exact match after strip', () => {
    expect(exactMatch(['abc'], ' abc ')).toBe(1);
    expect(exactMatch(['abc'], 'ABC')).toBe(0);
  });
  it('ignores spaces by default and uses the 1e-5 epsilon', () => {
    expect(normalizedEditDistance(['a b c'], 'abc')).toBe(0);
    expect(normalizedEditDistance(['a b c'], 'abc', false)).toBeCloseTo(2 / 5, 12);
    expect(normEditDis([0, 0.5])).toBeCloseTo(1 - 0.5 / (2 + 1e-5), 15);
    expect(normEditDis([0, 0])).toBe(1);
  });
});

describe('Video-MME extract_characters_regex', () => {
  it('issue worked cases', () => {
    expect(extractVideoMme('The best answer is B.')).toBe('B');
    expect(extractVideoMme('the video shows a man walking his dog along the beach at sunset today')).toBeNull();
  });
  it('takes the first capital A-D anywhere, as the reference does', () => {
    expect(extractVideoMme('(C) the red car')).toBe('C');
    expect(extractVideoMme('Answer: D')).toBe('A');
    expect(extractVideoMme('')).toBeNull();
  });
});

describe('MVBench check_ans', () => {
  it('matches the first token against "(x)"', () => {
    expect(extractMvBench('(B) the cat', ['A', 'B', 'C', 'D'])).toBe('B');
    expect(extractMvBench('B) the cat', ['A', 'B', 'C', 'D'])).toBe('B');
    expect(extractMvBench('c.', ['A', 'B', 'C', 'D'])).toBe('C');
  });
  it('never guesses when every option would match', () => {
    expect(extractMvBench('', ['A', 'B', 'C', 'D'])).toBeNull();
    expect(extractMvBench('I think it is B', ['A', 'B', 'C', 'D'])).toBeNull();
  });
});

describe('lmms-eval extract_mcq_answer (test/eval/mcq_extract/cases.json)', () => {
  const cases: readonly (readonly [string | null, string[] | null, string])[] = [
    ['The answer is b because the image shows a dog.', ['A', 'B', 'C', 'D'], 'B'],
    ['the answer is b because it is correct', ['A', 'B', 'C', 'D'], 'B'],
    ['<answer>b</answer>', ['A', 'B', 'C', 'D'], 'B'],
    ['The shape is cubic. I think so.', ['A', 'B', 'C', 'D'], ''],
    ['I need more data. Please clarify.', ['A', 'B', 'C', 'D'], ''],
    ['A because it is the only valid option', ['A', 'B', 'C', 'D'], 'A'],
    ['B', null, 'B'],
    ['The correct answer is (B).', null, 'B'],
    ['Answer: A', null, 'A'],
    ['I pick C and stop', null, 'C'],
    ['The best option is B)', null, 'B'],
    ['Option A is correct', null, 'A'],
    ['the answer is b', null, 'B'],
    ['(b) the nucleus', null, 'B'],
    ['b. the nucleus', null, 'B'],
    ['the answer is a', null, 'A'],
    ['b is correct', null, 'B'],
    ['b', null, 'B'],
    ['a', null, 'A'],
    ['<answer> c', null, 'C'],
    ['answer> d', null, 'D'],
    ['A triangle has three sides.', null, ''],
    ['The DNA helix unwinds during replication.', null, ''],
    ['I saw a movie', null, ''],
    ['It costs 5 a unit', null, ''],
    ['the value of c', null, ''],
    ["I'll go with plan b", null, ''],
    ['no letters here', null, ''],
    ['', null, ''],
    ['   ', null, ''],
    ['A. because it handles text better', ['A', 'B'], 'A'],
    ['(A) because it handles text better', ['A', 'B'], 'A'],
    [null, ['A', 'B', 'C', 'D'], ''],
    ['\t\n\r\n', ['A', 'B', 'C', 'D'], ''],
    ['...', ['A', 'B', 'C', 'D'], ''],
    ['I cannot determine the answer from the image.', ['A', 'B', 'C', 'D'], ''],
    ['2', ['A', 'B', 'C', 'D'], ''],
    ['h', [], 'H'],
    ['\n\t C \t\n', null, 'C'],
    ['H', null, 'H'],
    ['h', null, 'H'],
    ['I', null, ''],
    ['z', null, ''],
    ['C.', null, 'C'],
    ['d:', null, 'D'],
    ['b)', null, 'B'],
    ['B. a yellow bus', ['A', 'B', 'C', 'D'], 'B'],
    ['c: the object on the left', ['A', 'B', 'C', 'D'], 'C'],
    ['D) three objects', ['A', 'B', 'C', 'D'], 'D'],
    ['(a) a blue sphere', ['A', 'B', 'C', 'D'], 'A'],
    ['a. a dog lying on the floor', ['A', 'B', 'C', 'D'], 'A'],
    ['A: a triangle', ['A', 'B', 'C', 'D'], 'A'],
    ['\n  (D) Four wheels are visible.', ['A', 'B', 'C', 'D'], 'D'],
    ['The visible count matches (C).', ['A', 'B', 'C', 'D'], 'C'],
    ['The red object is above the table.\nB', ['A', 'B', 'C', 'D'], 'B'],
    ['After checking the diagram, C.', ['A', 'B', 'C', 'D'], 'C'],
    ['The wheel count is four; D', ['A', 'B', 'C', 'D'], 'D'],
    ['(B) is my selection.\n(B)', ['A', 'B', 'C', 'D'], 'B'],
    ['**B**', ['A', 'B', 'C', 'D'], 'B'],
    ['A or B', null, ''],
    // Python's \w is Unicode inside character classes too: a letter of any script glued to
    // `answer>` is not the markup (upstream `(?<![\w</])answer>`).
    ['最终answer> B', null, ''],
    ['fooéanswer> A', null, ''],
    ['Ｘanswer> D', null, ''],
    ['日本answer>答案是<answer>D', null, 'D'],
    // Python reads str by code point: a letter or format character outside the BMP right
    // after the choice letter makes it a word, not a label.
    ['Answer: B𝐱', null, ''],
    ['Answer: B\u{E0001}', null, ''],
    ['Answer: B 𝐱', null, 'B'],
  ];
  for (const [response, choices, want] of cases) {
    it(`${JSON.stringify(response)} → ${JSON.stringify(want)}`, () => expect(extractMcqLmms(response, choices)).toBe(want));
  }
});

describe('option letters when the choices are unknown', () => {
  it('lmms offers A–H (extract_mcq_answer with choices=None); MVBench keeps its four candidates', () => {
    const item = { id: 'q', prediction: 'The answer is E.', answer: 'E' };
    expect(scoreTask([item], { task: 'mcq', extractor: 'lmms' }).metrics).toMatchObject({ accuracy: 1, answered: 1 });
    expect(scoreTask([{ ...item, choices: ['a', 'b', 'c', 'd'] }], { task: 'mcq', extractor: 'lmms' }).metrics).toMatchObject({
      answered: 0,
    });
    expect(scoreTask([{ id: 'q', prediction: '(E) five', answer: 'E' }], { task: 'mcq', extractor: 'mvbench' }).metrics).toMatchObject({
      answered: 0,
    });
  });
});
