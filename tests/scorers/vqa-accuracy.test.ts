// VQA accuracy and its answer normalization against the official evaluation
// (GT-Vision-Lab/VQA vqaEval.py VQAEval at a013f00): the evaluation page's
// normalization examples, and every case upstream's own code computed in
// vqa-oracle.json (written by vqa-oracle.py through VQAEval.evaluate).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vqaAccuracy } from '../../scorers/vqa/vqa-accuracy.js';
import {
  VQA_ARTICLES,
  VQA_CONTRACTIONS,
  VQA_MANUAL_MAP,
  VQA_PUNCT,
  vqaCleanWhitespace,
  vqaNormalizeAnswer,
  vqaProcessDigitArticle,
  vqaProcessPunctuation,
} from '../../scorers/vqa/vqa-normalize.js';

interface Oracle {
  readonly source: string;
  readonly handCases: number;
  readonly randomCases: number;
  readonly overall: number;
  readonly maps: {
    readonly contractions: Record<string, string>;
    readonly manualMap: Record<string, string>;
    readonly articles: string[];
    readonly punct: string[];
  };
  readonly normalize: readonly { readonly input: string; readonly punctuation: string; readonly normalized: string }[];
  readonly accuracy: readonly { readonly answers: string[]; readonly prediction: string; readonly accuracy: number; readonly rounded: number }[];
}

const oracle = JSON.parse(readFileSync(new URL('./vqa-oracle.json', import.meta.url), 'utf8')) as Oracle;

describe('the pinned oracle', () => {
  it('comes from the official VQAEval at the recorded commit and holds the cases the generator writes', () => {
    expect(oracle.source).toContain('GT-Vision-Lab/VQA@a013f0043c1e2cdc995922dfe257f7149aa9af06');
    expect(oracle.accuracy).toHaveLength(oracle.handCases + oracle.randomCases);
    expect(oracle.handCases).toBeGreaterThan(200);
    expect(oracle.normalize.length).toBeGreaterThan(150);
  });
});

describe('the official maps', () => {
  it('contractions, number words, articles and punctuation are exactly upstream’s', () => {
    expect(Object.fromEntries(VQA_CONTRACTIONS)).toEqual(oracle.maps.contractions);
    expect(VQA_CONTRACTIONS.size).toBe(Object.keys(oracle.maps.contractions).length);
    expect(Object.fromEntries(VQA_MANUAL_MAP)).toEqual(oracle.maps.manualMap);
    expect([...VQA_ARTICLES]).toEqual(oracle.maps.articles);
    expect(VQA_PUNCT).toEqual(oracle.maps.punct);
  });
});

describe('normalization: the VQA evaluation page’s examples (visualqa.org/evaluation.html)', () => {
  it('adds a missing apostrophe to a contraction: dont → don’t', () => {
    expect(vqaNormalizeAnswer('dont')).toBe("don't");
  });
  it('keeps apostrophes (possessives) and colons (times)', () => {
    expect(vqaNormalizeAnswer("girl's")).toBe("girl's");
    expect(vqaNormalizeAnswer('2:50 pm')).toBe('2:50 pm');
  });
  it('a comma between digits goes without a space: 100,978 → 100978', () => {
    expect(vqaNormalizeAnswer('100,978')).toBe('100978');
  });
  it('removes periods except decimal points, lowercases, number words to digits, drops articles', () => {
    expect(vqaNormalizeAnswer('3.5')).toBe('3.5');
    expect(vqaNormalizeAnswer('Yes.')).toBe('yes');
    expect(vqaNormalizeAnswer('Two')).toBe('2');
    expect(vqaNormalizeAnswer('the cat')).toBe('cat');
  });
  it('other punctuation becomes a space, or goes when it touches a space', () => {
    expect(vqaNormalizeAnswer('black/white')).toBe('black white');
    expect(vqaNormalizeAnswer('black / white')).toBe('black white');
    expect(vqaNormalizeAnswer('t-shirt')).toBe('t shirt');
  });
});

describe('normalization agrees with upstream on every pinned string', () => {
  it.each(oracle.normalize.map((c) => [JSON.stringify(c.input), c] as const))('%s', (_, c) => {
    const cleaned = vqaCleanWhitespace(c.input);
    expect(vqaProcessPunctuation(cleaned)).toBe(c.punctuation);
    expect(vqaProcessDigitArticle(c.punctuation)).toBe(c.normalized);
    expect(vqaNormalizeAnswer(c.input)).toBe(c.normalized);
  });

  it('removes at most 32 periods, as upstream (re.UNICODE lands in re.sub’s count)', () => {
    expect(vqaProcessPunctuation(`a${'.'.repeat(40)}`)).toBe(`a${'.'.repeat(8)}`);
  });
});

describe('VQA accuracy agrees with upstream on every pinned case', () => {
  it.each(oracle.accuracy.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const r = vqaAccuracy(c.answers, c.prediction);
    // The same floating-point operations in the same order: equal to the last bit.
    expect(r.accuracy).toBe(c.accuracy);
    expect(Math.round(100 * r.accuracy * 100) / 100).toBeCloseTo(c.rounded, 10);
  });

  it('the corpus mean, rounded as upstream’s overall accuracy, matches', () => {
    const accs = oracle.accuracy.map((c) => vqaAccuracy(c.answers, c.prediction).accuracy);
    let sum = 0;
    for (const a of accs) sum += a;
    expect(Math.round(((100 * sum) / accs.length) * 100) / 100).toBe(oracle.overall);
  });
});

describe('vqaAccuracy', () => {
  const ten = (...pairs: [string, number][]): string[] => pairs.flatMap(([a, k]) => Array<string>(k).fill(a));

  it('steps by thirds of the other humans, averaged over the leave-one-out subsets', () => {
    expect(vqaAccuracy(ten(['red', 3], ['blue', 7]), 'red').accuracy).toBeCloseTo(0.9, 12);
    expect(vqaAccuracy(ten(['red', 4], ['blue', 6]), 'red').accuracy).toBe(1);
    expect(vqaAccuracy(ten(['red', 1], ['blue', 9]), 'red').accuracy).toBeCloseTo(0.3, 12);
    expect(vqaAccuracy(ten(['red', 1], ['blue', 9]), 'green').accuracy).toBe(0);
  });

  it('normalizes only when the human answers differ, as upstream', () => {
    const same = vqaAccuracy(ten(['yes', 10]), 'Yes');
    expect(same.normalized).toBe(false);
    expect(same.accuracy).toBe(0);
    const differ = vqaAccuracy(ten(['yes', 9], ['yes.', 1]), 'Yes');
    expect(differ.normalized).toBe(true);
    expect(differ.accuracy).toBe(1);
  });

  it('takes any number of answers ≥ 1; a single answer leaves no other human, so 0', () => {
    expect(vqaAccuracy(['yes'], 'yes').accuracy).toBe(0);
    expect(vqaAccuracy(['yes', 'yes', 'yes', 'yes'], 'yes').accuracy).toBe(1);
    expect(() => vqaAccuracy([], 'yes')).toThrow(RangeError);
  });
});
