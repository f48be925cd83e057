// Golden cases from jiwer's own tests (tests/test_measures.py, test_cer.py,
// test_empty_ref.py, test_alignment.py) and the worked examples.
import { describe, expect, it } from 'vitest';
import { scoreTask } from '../../scorers/score-task.js';
import { alignTokens } from '../../scorers/wer/levenshtein-align.js';
import { visualizeAlignment } from '../../scorers/wer/visualize-alignment.js';
import { cer, processCharacters, processUnit, processWords, wer } from '../../scorers/wer/word-error-rate.js';

function m(w: number, mer: number, wil: number) {
  return { wer: w, mer, wil, wip: 1 - wil };
}

function expectMeasures(ref: string | string[], hyp: string | string[], want: ReturnType<typeof m>): void {
  const o = processWords(ref, hyp);
  expect(o.wer).toBeCloseTo(want.wer, 12);
  expect(o.mer).toBeCloseTo(want.mer, 12);
  expect(o.wil).toBeCloseTo(want.wil, 12);
  expect(o.wip).toBeCloseTo(want.wip, 12);
}

describe('jiwer measures', () => {
  it('string and list inputs (test_measures.py)', () => {
    for (const [g, h] of [
      ['This is a test', 'This is a test'],
      [['This is a test'], ['This is a test']],
    ] as const)
      expectMeasures(g as string, h as string, m(0, 0, 0));
    expectMeasures('This is a test', '', m(1, 1, 1));
    expectMeasures(['This is a test'], [''], m(1, 1, 1));
    expectMeasures('This is a test', 'This test', m(0.5, 0.5, 0.5));
    expectMeasures(['This is a test'], ['This test'], m(0.5, 0.5, 0.5));
  });

  it('longer hypothesis (test_measures.py)', () => {
    expectMeasures('i am a short ground truth', 'i am a considerably longer and very much incorrect hypothesis', m(7 / 6, 0.7, 0.85));
  });

  it('known values from "From WER and RIL to MER and WIL"', () => {
    expectMeasures('X', 'X', m(0, 0, 0));
    expectMeasures('X', 'X X Y Y', m(3, 0.75, 0.75));
    expectMeasures('X Y X', 'X Z', m(2 / 3, 2 / 3, 5 / 6));
    expectMeasures('X', 'Y', m(1, 1, 1));
    expectMeasures('X', 'Y Z', m(2, 1, 1));
  });

  it('issue worked case: This is a test / This test', () => {
    const o = processWords('This is a test', 'This test');
    expect([o.wer, o.mer, o.wil]).toEqual([0.5, 0.5, 0.5]);
    expect(cer('This is a test', 'This test')).toBe(5 / 14);
  });

  it('pools counts over the corpus instead of averaging sentences', () => {
    const o = processWords(['i', 'am i good'], ['i am', 'i good']);
    expect(o.wer).toBe(0.5);
    expect(o.mer).toBe(0.4);
    expect(o.wil).toBeCloseTo(7 / 16, 15);
    expect({ h: o.hits, s: o.substitutions, d: o.deletions, i: o.insertions }).toEqual({ h: 3, s: 0, d: 1, i: 1 });
  });

  it('default transforms: collapse runs of whitespace, strip, split on spaces, keep case', () => {
    expect(wer('  hello   World ', 'hello world')).toBe(0.5);
    // RemoveMultipleSpaces only touches runs of 2+: a single tab is not a delimiter
    expect(processWords('a\tb', 'a b').references[0]).toEqual(['a\tb']);
  });
});

describe('jiwer empty references (test_empty_ref.py)', () => {
  it('empty reference and hypothesis', () => {
    for (let i = 0; i < 10; i++) {
      const o = i === 0 ? processWords('', '') : processWords(Array(i).fill(''), Array(i).fill(''));
      expect([o.hits, o.deletions, o.insertions, o.substitutions]).toEqual([0, 0, 0, 0]);
      expect([o.wer, o.mer, o.wip, o.wil]).toEqual([0, 0, 1, 0]);
    }
  });
  it('empty reference: WER is the insertion count', () => {
    const o = processWords('', 'hello');
    expect([o.insertions, o.wer, o.mer, o.wip, o.wil]).toEqual([1, 1, 1, 0, 1]);
    for (let i = 2; i <= 10; i++) {
      const r = processWords('', Array.from({ length: i }, (_, j) => String(j)).join(' '));
      expect([r.insertions, r.wer, r.mer, r.wip, r.wil]).toEqual([i, i, 1, 0, 1]);
    }
  });
  it('empty hypothesis', () => {
    const o = processWords('hello', '');
    expect([o.deletions, o.wer, o.mer, o.wip, o.wil]).toEqual([1, 1, 1, 0, 1]);
  });
  it('one empty reference among others', () => {
    const o = processWords(['hello world', ''], ['hello world', 'done']);
    expect(o.insertions).toBe(1);
    expect(o.wer).toBeCloseTo(1 / 2, 15);
    expect(o.mer).toBeCloseTo(1 / 3, 15);
    expect(o.wil).toBeCloseTo(1 / 3, 15);
    expect(o.wip).toBeCloseTo(2 / 3, 15);
    const a = processWords(['hello world'], ['hello world']);
    const b = processWords(['hello world', ''], ['hello world', '']);
    expect([b.hits, b.substitutions, b.insertions, b.deletions, b.wer, b.mer, b.wip, b.wil]).toEqual([
      a.hits,
      a.substitutions,
      a.insertions,
      a.deletions,
      a.wer,
      a.mer,
      a.wip,
      a.wil,
    ]);
  });
  it('cer with empty reference', () => {
    expect(processCharacters('', '').wer).toBe(0);
    expect(processCharacters('', 'a').wer).toBe(1);
    expect(processCharacters('', 'abd').wer).toBe(3);
    expect(processCharacters('a', '').wer).toBe(1);
    expect(processCharacters('abc', '').wer).toBe(1);
  });
});

describe('CER', () => {
  it('counts spaces', () => {
    expect(cer('This is a test', 'This is a test')).toBe(0);
    expect(cer('This is a test', 'Thisisatest')).toBe(3 / 14);
    expect(cer(['This is a test', 'abc'], ['This is a test', 'ab'])).toBe(1 / 17);
  });
});

const vis = (o: ReturnType<typeof processWords>, opts: Parameters<typeof visualizeAlignment>[1] = {}) =>
  visualizeAlignment(o, { showMeasures: false, ...opts });

describe('visualize_alignment and rapidfuzz tie-breaking (test_alignment.py)', () => {
  const words = (r: string | string[], h: string | string[]) => processWords(r, h, { alignments: true });
  const chars = (r: string | string[], h: string | string[]) => processCharacters(r, h, { alignments: true });

  it('words', () => {
    expect(vis(words('this is a', 'this is a test'))).toBe('=== SENTENCE 1 ===\n\nREF: this is a ****\nHYP: this is a test\n                  I\n');
    expect(vis(words('this is a test', 'this is a'))).toBe('=== SENTENCE 1 ===\n\nREF: this is a test\nHYP: this is a ****\n                  D\n');
    expect(vis(words('this is a test', 'this was a test'))).toBe('=== SENTENCE 1 ===\n\nREF: this  is a test\nHYP: this was a test\n            S       \n');
    expect(vis(words('this is a test of skill', 'this was a messy test'))).toBe(
      '=== SENTENCE 1 ===\n\nREF: this  is a ***** test of skill\nHYP: this was a messy test ** *****\n            S       I       D     D\n',
    );
    expect(vis(words('empty', ''))).toBe('=== SENTENCE 1 ===\n\nREF: empty\nHYP: *****\n         D\n');
    expect(vis(words(['one', 'two'], ['1', '2']))).toBe(
      '=== SENTENCE 1 ===\n\nREF: one\nHYP:   1\n       S\n\n=== SENTENCE 2 ===\n\nREF: two\nHYP:   2\n       S\n',
    );
    expect(vis(words(['perfect', 'one', 'two', 'three'], ['perfect', '1', '2', 'three']))).toBe(
      '=== SENTENCE 2 ===\n\nREF: one\nHYP:   1\n       S\n\n=== SENTENCE 3 ===\n\nREF: two\nHYP:   2\n       S\n',
    );
    expect(vis(words('', ''))).toBe('');
    expect(vis(words('', 'inserted'))).toBe('=== SENTENCE 1 ===\n\nREF: ********\nHYP: inserted\n            I\n');
    expect(vis(words('this sentence could be split', 'this sentence will be split by ai'), { lineWidth: 30 })).toBe(
      '=== SENTENCE 1 ===\n\nREF: this sentence could be\nHYP: this sentence  will be\n                       S   \n\nREF: split ** **\nHYP: split by ai\n            I  I\n',
    );
  });

  it('words with measures', () => {
    expect(visualizeAlignment(words('this test will  have a high word error rate', 'no it will not'))).toBe(
      '=== SENTENCE 1 ===\n\nREF: this test will have a high word error rate\nHYP:   no   it will  not * **** **** ***** ****\n        S    S         S D    D    D     D    D\n\n' +
        '=== SUMMARY ===\nnumber of sentences: 1\nsubstitutions=3 deletions=5 insertions=0 hits=1\n\nmer=88.89%\nwil=97.22%\nwip=2.78%\nwer=88.89%\n',
    );
  });

  it('characters', () => {
    const c = (r: string | string[], h: string | string[], opts = {}) => vis(chars(r, h), { isCer: true, ...opts });
    expect(c('this is a', 'this is a test')).toBe('=== SENTENCE 1 ===\n\nREF: this is a*****\nHYP: this is a test\n              IIIII\n');
    expect(c('this is a test', 'this is a')).toBe('=== SENTENCE 1 ===\n\nREF: this is a test\nHYP: this is a*****\n              DDDDD\n');
    expect(c('this is a test', 'this iz a test')).toBe('=== SENTENCE 1 ===\n\nREF: this is a test\nHYP: this iz a test\n           S       \n');
    expect(c('this is a test of skill', 'this was a messy test')).toBe(
      '=== SENTENCE 1 ===\n\nREF: this *is a tes*t of skill\nHYP: this was a messy te*st***\n          IS    S  IS SSD SDDD\n',
    );
    expect(c('empty', '')).toBe('=== SENTENCE 1 ===\n\nREF: empty\nHYP: *****\n     DDDDD\n');
    expect(c(['one', 'two'], ['1', '2'])).toBe('=== SENTENCE 1 ===\n\nREF: one\nHYP: 1**\n     SDD\n\n=== SENTENCE 2 ===\n\nREF: two\nHYP: 2**\n     SDD\n');
    expect(c('', '')).toBe('');
    expect(c('', 'inserted')).toBe('=== SENTENCE 1 ===\n\nREF: ********\nHYP: inserted\n     IIIIIIII\n');
    expect(c('this sentence could be split', 'this sentence will be split by ai', { lineWidth: 30 })).toBe(
      '=== SENTENCE 1 ===\n\nREF: this sentence could be sp\nHYP: this sentence will* be sp\n                   SSS D      \n\nREF: lit******\nHYP: lit by ai\n        IIIIII\n',
    );
  });

  it('characters with measures', () => {
    expect(visualizeAlignment(chars('this test will  have a high word error rate', 'no it will not'), { isCer: true })).toBe(
      '=== SENTENCE 1 ===\n\nREF: this test will  have a high word error rate\nHYP: no** i**t will n*************o***********t*\n     SSDD SDD       SDDDDDDDDDDDDD DDDDDDDDDDD D\n\n' +
        '=== SUMMARY ===\nnumber of sentences: 1\nsubstitutions=4 deletions=29 insertions=0 hits=10\n\ncer=76.74%\n',
    );
  });
});

describe('alignment core', () => {
  it('agrees with a plain DP on the edit distance for random inputs', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let t = 0; t < 300; t++) {
      const a = Array.from({ length: Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 4));
      const b = Array.from({ length: Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 4));
      const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      const { counts } = alignTokens(a, b);
      expect(counts.substitutions + counts.deletions + counts.insertions).toBe(d[a.length]?.[b.length]);
      expect(counts.hits + counts.substitutions + counts.deletions).toBe(a.length);
      expect(counts.hits + counts.substitutions + counts.insertions).toBe(b.length);
    }
  });

  it('Hirschberg path (≥ 4M cells) keeps the optimal distance', () => {
    const n = 2100;
    const a = Array.from({ length: n }, (_, i) => (i * 7) % 13);
    const b = Array.from({ length: n }, (_, i) => (i * 5 + 3) % 13);
    const { counts } = alignTokens(a, b);
    expect(counts.hits + counts.substitutions + counts.deletions).toBe(n);
    const e = counts.substitutions + counts.deletions + counts.insertions;
    // compare with a plain two-row DP
    let prev = Array.from({ length: n + 1 }, (_, j) => j);
    for (let i = 1; i <= n; i++) {
      const cur = [i];
      for (let j = 1; j <= n; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    expect(e).toBe(prev[n]);
  });
});

describe('WeNet mixed unit', () => {
  it('issue worked case: 我爱北京天安门 vs 我爱背景天安门广场', () => {
    const o = processUnit('我爱北京天安门', '我爱背景天安门广场', 'mixed');
    expect(o.references[0]).toHaveLength(7);
    expect([o.substitutions, o.deletions, o.insertions, o.hits]).toEqual([2, 0, 2, 5]);
    expect(o.wer).toBe(4 / 7);
  });
  it('scores 0 where there are no reference tokens, as compute-wer.py does (word units count the insertions, as jiwer 4)', () => {
    const items = [
      { id: 'a', reference: '', prediction: '你好' },
      { id: 'b', reference: '<unk>', prediction: 'ok' },
    ];
    const mixed = scoreTask(items, { task: 'asr', unit: 'mixed' });
    expect(mixed.metrics).toMatchObject({ cer: 0, insertions: 3 });
    expect(mixed.samples.map((x) => x.cer)).toEqual([0, 0]);
    const silent = [
      { id: 'a', reference: '', prediction: '你好' },
      { id: 'b', reference: ' ', prediction: 'ok then' },
    ];
    expect(scoreTask(silent, { task: 'asr', unit: 'word' }).metrics).toMatchObject({ wer: 3, mer: 1, wil: 1, wip: 0, insertions: 3 });
    // With reference tokens somewhere in the corpus, the pooled rate is the usual one.
    const pooled = scoreTask([...items, { id: 'c', reference: '我爱北京', prediction: '我爱北京' }], { task: 'asr', unit: 'mixed' });
    expect((pooled.metrics as { cer: number }).cer).toBe(3 / 4);
  });

  it('keeps English runs whole, upper-cases and drops the punctuation list', () => {
    const o = processUnit('我用iPhone，拍照！', '我用 IPHONE 拍照', 'mixed');
    expect(o.references[0]).toEqual(['我', '用', 'IPHONE', '拍', '照']);
    expect(o.wer).toBe(0);
  });
});
