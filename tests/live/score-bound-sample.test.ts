import { describe, expect, it } from 'vitest';
import { parseSampleRef, scoreBoundSample, type BoundSample } from '../../gateway/live/sample-binding.js';
import { scoreTask } from '../../scorers/score-task.js';

const sample = (s: Partial<BoundSample>): BoundSample => ({
  sampleId: 'row',
  datasetId: 'ds',
  sampleKey: 'k',
  task: 'asr',
  reference: null,
  lang: null,
  question: null,
  answer: null,
  choices: null,
  scoring: {},
  media: [],
  ...s,
});

describe('live scoring goes through scoreTask', () => {
  it('asr: defaults to evalgate score (normalizer none, word unit); a bound normalizer is honoured', () => {
    const ref = 'And so my fellow Americans, ask not.';
    const hyp = 'AND SO MY FELLOW AMERICANS ASK NOT';
    const none = scoreBoundSample(sample({ reference: ref }), hyp)!;
    expect(none.wer).toBe(scoreTask([{ id: 'k', reference: ref, prediction: hyp }], { task: 'asr' }).samples[0]?.wer);
    expect(none.wer).toBe(1);
    const en = scoreBoundSample(sample({ reference: ref, scoring: { normalizer: 'whisper-en' } }), hyp)!;
    expect(en.wer).toBe(0);
    expect(en).toMatchObject({ hits: 7, substitutions: 0, deletions: 0, insertions: 0 });
  });

  it('asr with unit mixed scores CER with WeNet tokens (wenet-zh by default)', () => {
    const s = scoreBoundSample(sample({ reference: '今天天气很好', lang: 'zh', scoring: { unit: 'mixed' } }), '今天天气不好')!;
    expect(s.cer).toBeCloseTo(1 / 6, 12);
    expect(s.wer).toBeUndefined();
  });

  it('vqa and ocr use the OCR metrics; mcq uses the chosen extractor and reports answered', () => {
    const v = scoreBoundSample(sample({ task: 'vqa', reference: ['Paris', 'paris, france'] }), 'Paris')!;
    expect(v).toMatchObject({ anls: 1, exact_match: 1, ocrbench: 1 });
    const m = scoreBoundSample(
      sample({ task: 'mcq', answer: 'B', choices: ['red', 'blue', 'green', 'white'], scoring: { extractor: 'lmms' } }),
      'The answer is (B) blue.',
    )!;
    expect(m).toEqual({ correct: 1, answered: 1 });
    const u = scoreBoundSample(sample({ task: 'mcq', answer: 'B', choices: ['red', 'blue'] }), 'I cannot tell.')!;
    expect(u).toEqual({ correct: 0, answered: 0 });
    expect(scoreBoundSample(sample({ task: 'asr', reference: null }), 'x')).toBeUndefined();
  });

  it('mmau matches the choice text and reports no answered flag (it extracts nothing)', () => {
    const choices = ['Dog barking', 'Cat meowing', 'Bird singing'];
    expect(scoreBoundSample(sample({ task: 'mmau', answer: 'A', choices }), 'I hear a dog barking.')).toEqual({ correct: 1 });
    expect(scoreBoundSample(sample({ task: 'mmau', answer: 'A', choices }), 'A cat meowing.')).toEqual({ correct: 0 });
  });

  it('the evalgate extension takes scorer options and refuses unknown ones', () => {
    expect(parseSampleRef({ dataset: 'd', sample: 's', normalizer: 'whisper-en', unit: 'word', extractor: 'mvbench' }, 'response.evalgate')).toEqual({
      dataset: 'd',
      sample: 's',
      normalizer: 'whisper-en',
      unit: 'word',
      extractor: 'mvbench',
    });
    expect(() => parseSampleRef({ dataset: 'd', sample: 's', normalizer: 'lowercase' }, 'response.evalgate')).toThrow(/normalizer must be one of/);
    expect(() => parseSampleRef({ dataset: 'd', sample: 's', unit: 'token' }, 'response.evalgate')).toThrow(/unit must be one of/);
  });
});
