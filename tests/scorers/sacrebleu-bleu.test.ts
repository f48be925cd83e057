// BLEU against sacrebleu: every published case of test/test_bleu.py and
// test/test_sentence_bleu.py at mjpost/sacrebleu v2.6.0 (f591c7e4eb631ff11b740da2100ae6f33af4ae0a;
// the same cases and numbers as v2.4.3), then sacrebleu's own outputs on seeded random
// corpora (tests/scorers/sacrebleu-oracle.json, written by sacrebleu-oracle.py from that commit).
// sacrebleu's references are streams (refs[k][i]); here they are per sample, so the
// upstream lists are transposed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bleuFromStatistics, bleuSegmentStatistics, computeBleu, corpusBleu, sentenceBleu, type BleuOptions } from '../../scorers/translation/bleu.js';
import { getBleuTokenizer, tokenize13a, tokenizeChar, tokenizeIntl, tokenizeZh } from '../../scorers/translation/bleu-tokenizers.js';
import { sacrebleuSignatureVersion, sacrebleuVersion } from '../../scorers/translation/sacrebleu-version.js';

const EPSILON = 1e-8; // test_bleu.py's

/** sacrebleu stream-major references (refs[k][i]) to per-sample lists. */
function perSample(streams: readonly (readonly string[])[]): string[][] {
  return streams[0]!.map((_, i) => streams.map((s) => s[i]!));
}

/** sacrebleu.raw_corpus_bleu: floor smoothing, no tokenization, effective order. */
function rawCorpusBleu(hyps: string[], streams: string[][], smoothValue?: number) {
  return corpusBleu(hyps, perSample(streams), { smoothMethod: 'floor', smoothValue, tokenize: 'none', effectiveOrder: true });
}

const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const HYPS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

describe('test_bleu.py', () => {
  it('test_raw_bleu (3 cases)', () => {
    expect(rawCorpusBleu(['this is a test', 'another test'], [['ref1', 'ref2']], 0.01).score / 100).toBe(0);
    expect(Math.abs(rawCorpusBleu(['this is a test'], [['this is a test']], 0.01).score / 100 - 1)).toBeLessThan(EPSILON);
    expect(Math.abs(rawCorpusBleu(['this is a fest'], [['this is a test']], 0.01).score / 100 - 0.223606797749979)).toBeLessThan(EPSILON);
  });

  it('test_corpus_bleu (6 cases, incl. empty hypotheses kept)', () => {
    const cases: [string[], BleuOptions, number][] = [
      [HYPS, {}, 48.530827],
      [['', '', ''], {}, 0.0],
      [HYPS, { tokenize: 'none' }, 49.1919566],
      [HYPS, { tokenize: '13a' }, 48.530827],
      [HYPS, { tokenize: 'intl' }, 43.91623493],
      [HYPS, { smoothMethod: 'none' }, 48.530827],
    ];
    for (const [hyps, opts, want] of cases) expect(Math.abs(corpusBleu(hyps, perSample(REFS), opts).score - want)).toBeLessThan(EPSILON);
  });

  it('test_effective_order (3 cases)', () => {
    const cases: [string, string, number][] = [
      ['test', 'a test', 0.3678794411714425],
      ['a test', 'a test', 1.0],
      ['a little test', 'a test', 0.03218297948685433],
    ];
    for (const [h, r, want] of cases) expect(Math.abs(rawCorpusBleu([h], [[r]], 0.01).score / 100 - want)).toBeLessThan(EPSILON);
  });

  it('test_statistics', () => {
    const s = rawCorpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], 0.01);
    expect(s.counts).toEqual([4, 2, 1, 0]);
    expect(s.totals).toEqual([6, 5, 4, 3]);
  });

  it('test_scoring (compute_bleu defaults to no smoothing)', () => {
    expect(Math.abs(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100 - 0.8375922397)).toBeLessThan(EPSILON);
  });

  it('test_offset: floor smoothing with 0, with the default 0.1', () => {
    const h = ['am I am a character sequence'];
    const r = [['I am a symbol string sequence a a']];
    expect(Math.abs(rawCorpusBleu(h, r, 0).score / 100 - 0)).toBeLessThan(EPSILON);
    expect(Math.abs(rawCorpusBleu(h, r, undefined).score / 100 - 0.1555722182)).toBeLessThan(EPSILON);
  });

  it('test_degenerate_statistics (6 cases, exact 0)', () => {
    const cases: [number[], number[], number, number, number][] = [
      [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0],
      [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0],
      [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
      [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
    ];
    for (const [c, t, sys, ref, offset] of cases) {
      expect(computeBleu(c, t, sys, ref, { smoothMethod: 'floor', smoothValue: offset }).score / 100).toBe(0);
    }
  });

  it('test_max_ngram_order (orders 1–6, two decimals)', () => {
    const want = ['77.65', '60.50', '53.93', '48.53', '46.14', '43.28'];
    want.forEach((w, i) => expect(corpusBleu(HYPS, perSample(REFS), { maxNgramOrder: i + 1 }).score.toFixed(2)).toBe(w));
  });
});

describe('test_sentence_bleu.py', () => {
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  const cases: [BleuOptions['smoothMethod'], number | undefined, boolean, string, number][] = [
    ['exp', undefined, false, '13a', 8.493],
    ['none', undefined, false, '13a', 0.0],
    ['floor', undefined, false, '13a', 4.51688],
    ['floor', 0.1, false, '13a', 4.51688],
    ['floor', 0.5, false, '13a', 10.1],
    ['add-k', undefined, false, '13a', 14.882],
    ['add-k', 1, false, '13a', 14.882],
    ['add-k', 2, false, '13a', 21.389],
    ['exp', undefined, false, 'none', 7.347],
    ['exp', undefined, false, 'intl', 8.493],
    ['exp', undefined, false, 'char', 40.8759],
    ['exp', undefined, true, 'char', 42.0267],
  ];
  it('test_api_sentence_bleu / test_compat_sentence_bleu (12 cases, effective order)', () => {
    for (const [smoothMethod, smoothValue, lowercase, tokenize, want] of cases) {
      const s = sentenceBleu(SYS, [REF], { smoothMethod, smoothValue, lowercase, tokenize });
      expect(Math.abs(s.score - want), `${smoothMethod} ${smoothValue} ${tokenize} ${lowercase}`).toBeLessThan(1e-3);
    }
  });
  it('test_api_sentence_bleu_zero (6 cases: no match is 0 whatever the smoothing)', () => {
    const zero: [BleuOptions['smoothMethod'], number | undefined][] = [
      ['exp', undefined],
      ['none', undefined],
      ['floor', undefined],
      ['floor', 0.1],
      ['add-k', undefined],
      ['add-k', 1],
    ];
    for (const [smoothMethod, smoothValue] of zero) {
      expect(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod, smoothValue }).score).toBe(0);
    }
  });
});

describe('BLEU semantics not covered upstream', () => {
  it('closest reference length: nearest, the shorter on a tie', () => {
    // hyp has 4 tokens; refs of 3 and 5 tokens are equally close -> 3 (no brevity penalty)
    const s = corpusBleu(['a b c d'], [['a b c', 'a b c d e']], { tokenize: 'none' });
    expect(s.refLen).toBe(3);
    expect(s.bp).toBe(1);
    const t = corpusBleu(['a b'], [['a b c d e f', 'a b c']], { tokenize: 'none' });
    expect(t.refLen).toBe(3);
    expect(t.bp).toBeCloseTo(Math.exp(1 - 3 / 2), 15);
  });

  it('clips each n-gram at its maximum count over the references', () => {
    const s = corpusBleu(['a a a a'], [['a b', 'a a c']], { tokenize: 'none' });
    expect(s.counts[0]).toBe(2);
    expect(s.totals[0]).toBe(4);
  });

  it('is case-sensitive unless lowercase', () => {
    expect(corpusBleu(['The Cat sat down'], [['the cat sat down']]).counts).toEqual([2, 1, 0, 0]);
    expect(corpusBleu(['The Cat sat down'], [['the cat sat down']], { lowercase: true }).score).toBeCloseTo(100, 10);
  });

  it('signature in sacrebleu format', () => {
    expect(sacrebleuVersion).toBe('mjpost/sacrebleu@v2.6.0');
    expect(corpusBleu(HYPS, perSample(REFS)).signature).toBe(`nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:${sacrebleuSignatureVersion}`);
    expect(corpusBleu(['a'], [['a']], { smoothMethod: 'floor', lowercase: true, tokenize: 'intl' }).signature).toBe(
      'nrefs:1|case:lc|eff:no|tok:intl|smooth:floor[0.10]|version:2.6.0',
    );
    expect(sentenceBleu('a', ['a', 'b'], { smoothMethod: 'add-k' }).signature).toBe('nrefs:2|case:mixed|eff:yes|tok:13a|smooth:add-k[1.00]|version:2.6.0');
    expect(corpusBleu(['a', 'b'], [['a'], ['b', 'c']]).signature).toContain('nrefs:var|');
  });

  it('refuses the model-based tokenizers by name, and bad input', () => {
    expect(() => corpusBleu(['a'], [['a']], { tokenize: 'flores101' })).toThrow(/flores101.*SentencePiece/);
    expect(() => getBleuTokenizer('flores200')).toThrow(/not implemented/);
    expect(() => getBleuTokenizer('ja-mecab')).toThrow(/MeCab/);
    expect(() => getBleuTokenizer('13b')).toThrow(/unknown BLEU tokenizer/);
    expect(() => corpusBleu([], [])).toThrow(RangeError);
    expect(() => corpusBleu(['a'], [[]])).toThrow(/no reference/);
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(/2 hypotheses but 1/);
  });

  it('13a and intl differ on a sentence-final number and period (mteval v13a vs v14)', () => {
    expect(tokenize13a('It was 2026.')).toBe('It was 2026 .');
    expect(tokenizeIntl('It was 2026.')).toBe('It was 2026.');
    expect(tokenize13a('&quot;1,000.5&quot; -3')).toBe('" 1,000.5 " -3');
    expect(tokenizeIntl('a€b, c')).toBe('a € b , c');
  });

  it('zh splits the characters sacrebleu treats as Chinese, including its two mis-written ranges', () => {
    expect(tokenizeZh('我们今天很好。')).toBe('我 们 今 天 很 好 。');
    // U+2014 and U+201C/D fall in sacrebleu's accidental U+2001..U+2A6D range; U+20000 is never split.
    expect(tokenizeZh('a—b“c”')).toBe('a — b “ c ”');
    expect(tokenizeZh('𠀀字')).toBe('𠀀 字');
    expect(tokenizeChar('a😀 b')).toBe('a 😀   b');
  });
});

interface OracleBleu {
  options: BleuOptions;
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  signature: string;
}
interface Oracle {
  tokenizers: { line: string; '13a': string; intl: string; zh: string; char: string }[];
  lowercase: { line: string; lower: string }[];
  corpora: { hyps: string[]; refs: string[][]; bleu: OracleBleu[] }[];
  sentences: { hyp: string; refs: string[]; bleu: number }[];
  large: { hyps: string[]; refs: string[][]; bleu: { options: BleuOptions; score: number; counts: number[]; totals: number[] }[] };
}

const oracle = JSON.parse(readFileSync(new URL('./sacrebleu-oracle.json', import.meta.url), 'utf8')) as Oracle;

describe('sacrebleu oracle (seeded random text, v2.6.0 run from source)', () => {
  it(`tokenizers 13a, intl, zh and char on ${oracle.tokenizers.length} lines`, () => {
    for (const c of oracle.tokenizers) {
      expect(tokenize13a(c.line), JSON.stringify(c.line)).toBe(c['13a']);
      expect(tokenizeIntl(c.line), JSON.stringify(c.line)).toBe(c.intl);
      expect(tokenizeZh(c.line), JSON.stringify(c.line)).toBe(c.zh);
      expect(tokenizeChar(c.line), JSON.stringify(c.line)).toBe(c.char);
    }
  });

  it('Python str.lower() equals toLowerCase() on the same lines', () => {
    for (const c of oracle.lowercase) expect(c.line.toLowerCase()).toBe(c.lower);
  });

  it('corpus BLEU: every option set on every corpus (score, statistics, signature)', () => {
    let n = 0;
    for (const corpus of oracle.corpora) {
      for (const want of corpus.bleu) {
        const got = corpusBleu(corpus.hyps, corpus.refs, want.options);
        const label = `${corpus.hyps.length} samples ${JSON.stringify(want.options)}`;
        expect(got.counts, label).toEqual(want.counts);
        expect(got.totals, label).toEqual(want.totals);
        expect(got.sysLen, label).toBe(want.sysLen);
        expect(got.refLen, label).toBe(want.refLen);
        expect(got.bp, label).toBeCloseTo(want.bp, 12);
        got.precisions.forEach((p, i) => expect(p, label).toBeCloseTo(want.precisions[i]!, 10));
        expect(Math.abs(got.score - want.score), label).toBeLessThan(1e-9);
        expect(got.signature, label).toBe(want.signature);
        n++;
      }
    }
    expect(n).toBe(oracle.corpora.length * 13);
  });

  it('segment statistics: their sum gives corpus BLEU, one row gives sentence BLEU', () => {
    const corpus = oracle.corpora[4]!;
    for (const want of corpus.bleu) {
      const stats = bleuSegmentStatistics(corpus.hyps, corpus.refs, want.options);
      expect(stats).toHaveLength(corpus.hyps.length);
      expect(Math.abs(bleuFromStatistics(stats, want.options).score - want.score)).toBeLessThan(1e-9);
    }
    const rows = bleuSegmentStatistics(
      oracle.sentences.map((c) => c.hyp),
      oracle.sentences.map((c) => c.refs),
    );
    rows.forEach((row, i) => expect(Math.abs(bleuFromStatistics([row], { effectiveOrder: true }).score - oracle.sentences[i]!.bleu)).toBeLessThan(1e-9));
    expect(() => bleuFromStatistics([[1, 2, 3]])).toThrow(/10 entries/);
  });

  it('sentence BLEU (sacrebleu.sentence_bleu) with one to three references', () => {
    for (const c of oracle.sentences) expect(Math.abs(sentenceBleu(c.hyp, c.refs).score - c.bleu), c.hyp).toBeLessThan(1e-9);
  });

  it('samples with 6,000 distinct tokens (counted with string keys, not the id tables)', () => {
    for (const want of oracle.large.bleu) {
      const got = corpusBleu(oracle.large.hyps, oracle.large.refs, want.options);
      expect(got.counts, JSON.stringify(want.options)).toEqual(want.counts);
      expect(got.totals, JSON.stringify(want.options)).toEqual(want.totals);
      expect(Math.abs(got.score - want.score)).toBeLessThan(1e-9);
    }
  });
});
