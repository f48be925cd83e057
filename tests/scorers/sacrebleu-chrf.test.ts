// chrF / chrF++ against sacrebleu: every published case of test/test_chrf.py at
// mjpost/sacrebleu v2.6.0 (f591c7e4eb631ff11b740da2100ae6f33af4ae0a; the same cases and
// numbers as v2.4.3), then sacrebleu's own outputs on seeded random corpora
// (tests/scorers/sacrebleu-oracle.json, written by sacrebleu-oracle.py from that commit).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chrfFromStatistics,
  chrfFScore,
  chrfSegmentStatistics,
  chrfWords,
  corpusChrf,
  sentenceChrf,
  type ChrfOptions,
} from '../../scorers/translation/chrf.js';

const EPSILON = 1e-4; // test_chrf.py's

/** sacrebleu.corpus_chrf(hyps, [refs], char_order=6, word_order=0, beta=3, ...) with one reference stream. */
function compatChrf(hyps: string[], refs: string[], options: ChrfOptions): number {
  return corpusChrf(
    hyps,
    refs.map((r) => [r]),
    { charOrder: 6, wordOrder: 0, beta: 3, ...options },
  ).score;
}

describe('test_chrf.py', () => {
  it('test_chrf: epsilon smoothing, beta 3 (13 cases)', () => {
    const cases: [string[], string[], number][] = [
      [['abcdefg'], ['hijklmnop'], 0.0],
      [['a'], ['b'], 0.0],
      [[''], ['b'], 0.0],
      [[''], ['ref'], 0.0],
      [[''], ['reference'], 0.0],
      [['aa'], ['ab'], 8.3333],
      [['a', 'b'], ['a', 'c'], 8.3333],
      [['a'], ['a'], 16.6667],
      [['a b c'], ['a b c'], 50.0],
      [['a b c'], ['abc'], 50.0],
      [
        [' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
        ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'],
        63.36173,
      ],
      [
        [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
        ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
        64.1302698,
      ],
      [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100.0],
    ];
    for (const [h, r, want] of cases) expect(Math.abs(compatChrf(h, r, { epsSmoothing: true }) - want), h.join('|')).toBeLessThan(EPSILON);
  });

  it('test_chrf_eff_order: sacrebleu < 2.0 effective-order averaging, beta 3 (7 cases)', () => {
    const cases: [string[], string[], number][] = [
      [['a'], ['a'], 100.0],
      [[''], ['reference'], 0.0],
      [['a b c'], ['a b c'], 100.0],
      [['a b c'], ['abc'], 100.0],
      [[''], ['c'], 0.0],
      [['a', 'b'], ['a', 'c'], 50.0],
      [['aa'], ['ab'], 25.0],
    ];
    for (const [h, r, want] of cases) expect(Math.abs(compatChrf(h, r, { epsSmoothing: false }) - want), h.join('|')).toBeLessThan(EPSILON);
  });

  it('test_chrf_keep_whitespace (2 cases)', () => {
    expect(
      Math.abs(
        compatChrf(
          ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
          ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
          { whitespace: true },
        ) - 67.3481606,
      ),
    ).toBeLessThan(EPSILON);
    expect(
      Math.abs(
        compatChrf(
          ['risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
          ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'],
          { whitespace: true },
        ) - 65.2414427,
      ),
    ).toBeLessThan(EPSILON);
  });

  it('test_chrf_sentence_level: sentence_chrf with epsilon smoothing (3 cases)', () => {
    const cases: [string, string, number][] = [
      [
        'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
        'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
        39.14078509,
      ],
      [
        'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
        'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
        31.22557079,
      ],
      [
        'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
        'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
        57.15704367,
      ],
    ];
    for (const [h, r, want] of cases) expect(Math.abs(sentenceChrf(h, [r], { epsSmoothing: true }).score - want)).toBeLessThan(EPSILON);
  });
});

describe('chrF semantics not covered upstream', () => {
  it("chrF++ words: one punctuation mark split from a word's end, else its start ((hi) -> (hi, ))", () => {
    expect(chrfWords('(hi) "quoted", a. x .y ..')).toEqual(['(hi', ')', '"quoted"', ',', 'a', '.', 'x', '.', 'y', '.', '.']);
  });

  it('names, defaults and signatures', () => {
    const c = corpusChrf(['The cat sat.'], [['The cat sat down.']]);
    expect(c.name).toBe('chrF2');
    expect(c.signature).toBe('nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0');
    const pp = corpusChrf(['The cat sat.'], [['The cat sat down.', 'A cat sat.']], { wordOrder: 2, lowercase: true });
    expect(pp.name).toBe('chrF2++');
    expect(pp.signature).toBe('nrefs:2|case:lc|eff:yes|nc:6|nw:2|space:no|version:2.6.0');
    expect(corpusChrf(['a'], [['a']], { epsSmoothing: true, whitespace: true }).signature).toBe('nrefs:1|case:mixed|eff:no|nc:6|nw:0|space:yes|version:2.6.0');
  });

  it('is case-sensitive unless lowercase, and picks the best reference per sample', () => {
    expect(corpusChrf(['ABC'], [['abc']]).score).toBe(0);
    expect(corpusChrf(['ABC'], [['abc']], { lowercase: true }).score).toBeCloseTo(100, 10);
    const best = corpusChrf(['the cat'], [['a dog', 'the cat']]).score;
    expect(best).toBeCloseTo(100, 10);
    expect(corpusChrf(['the cat'], [['the cat', 'a dog']]).score).toBe(best);
  });

  it('f-score from statistics: orders with no hypothesis or reference n-grams are left out of the average', () => {
    // one order: 2 hyp, 4 ref, 2 match -> P 1, R 0.5, F2 = 5*0.5/(4+0.5)
    expect(chrfFScore([2, 4, 2, 0, 0, 0])).toBeCloseTo((100 * 2.5) / 4.5, 12);
    expect(chrfFScore([0, 0, 0])).toBe(0);
  });
});

interface Oracle {
  corpora: { hyps: string[]; refs: string[][]; chrf: { options: ChrfOptions; score: number; name: string; signature: string }[] }[];
  sentences: { hyp: string; refs: string[]; chrf: number; chrfpp: number }[];
  large: { hyps: string[]; refs: string[][]; chrf: { options: ChrfOptions; score: number }[] };
}

const oracle = JSON.parse(readFileSync(new URL('./sacrebleu-oracle.json', import.meta.url), 'utf8')) as Oracle;

describe('sacrebleu oracle (seeded random text, v2.6.0 run from source)', () => {
  it('corpus chrF / chrF++: every option set on every corpus (score, name, signature)', () => {
    let n = 0;
    for (const corpus of oracle.corpora) {
      for (const want of corpus.chrf) {
        const got = corpusChrf(corpus.hyps, corpus.refs, want.options);
        const label = `${corpus.hyps.length} samples ${JSON.stringify(want.options)}`;
        expect(Math.abs(got.score - want.score), label).toBeLessThan(1e-9);
        expect(got.name, label).toBe(want.name);
        expect(got.signature, label).toBe(want.signature);
        n++;
      }
    }
    expect(n).toBe(oracle.corpora.length * 7);
  });

  it('segment statistics: their sum gives corpus chrF, one row gives sentence chrF++', () => {
    const corpus = oracle.corpora[4]!;
    for (const want of corpus.chrf) {
      const stats = chrfSegmentStatistics(corpus.hyps, corpus.refs, want.options);
      expect(Math.abs(chrfFromStatistics(stats, want.options) - want.score)).toBeLessThan(1e-9);
    }
    const rows = chrfSegmentStatistics(
      oracle.sentences.map((c) => c.hyp),
      oracle.sentences.map((c) => c.refs),
      { wordOrder: 2 },
    );
    rows.forEach((row, i) => expect(Math.abs(chrfFromStatistics([row], { wordOrder: 2 }) - oracle.sentences[i]!.chrfpp)).toBeLessThan(1e-9));
    expect(() => chrfFromStatistics(rows, { wordOrder: 0 })).toThrow(/18 entries/);
  });

  it('sentence chrF and chrF++ with one to three references', () => {
    for (const c of oracle.sentences) {
      expect(Math.abs(sentenceChrf(c.hyp, c.refs).score - c.chrf), c.hyp).toBeLessThan(1e-9);
      expect(Math.abs(sentenceChrf(c.hyp, c.refs, { wordOrder: 2 }).score - c.chrfpp), c.hyp).toBeLessThan(1e-9);
    }
  });

  it('samples with 6,000 distinct characters and words (counted with string keys, not the id tables)', () => {
    for (const want of oracle.large.chrf) {
      expect(Math.abs(corpusChrf(oracle.large.hyps, oracle.large.refs, want.options).score - want.score), JSON.stringify(want.options)).toBeLessThan(1e-9);
    }
  });
});
