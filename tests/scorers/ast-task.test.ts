// The `ast` task (issue 15): sacrebleu corpus BLEU / chrF / chrF++ through the
// task registry, checked against sacrebleu's own numbers pinned in
// sacrebleu-oracle.json; compare resampling corpus BLEU from per-sample
// statistics; and `evalgate score --task ast` on the built CLI.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { computeLeaderboards } from '../../gateway/compare/leaderboard.js';
import type { RunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { scoreTask, type ScoreItem } from '../../scorers/score-task.js';
import type { AstScoreResult, AstScoredSample } from '../../scorers/tasks/ast.js';
import { tasks } from '../../scorers/tasks/index.js';
import { differingScorerVersions, scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { corpusBleu, sentenceBleu } from '../../scorers/translation/bleu.js';
import { runHeader, sampleOutcome } from '../compare/outcome-fixtures.js';
import { cliBin, spawnCli } from '../helpers/run-cli.js';

interface OracleBleu {
  options: Record<string, unknown>;
  score: number;
  signature: string;
}
interface OracleChrf {
  options: Record<string, unknown>;
  score: number;
  signature: string;
}
interface Oracle {
  corpora: { hyps: string[]; refs: string[][]; bleu: OracleBleu[]; chrf: OracleChrf[] }[];
  sentences: { hyp: string; refs: string[]; bleu: number; chrf: number; chrfpp: number }[];
}

const oracle = JSON.parse(readFileSync(new URL('./sacrebleu-oracle.json', import.meta.url), 'utf8')) as Oracle;

const itemsOf = (hyps: readonly string[], refs: readonly (readonly string[])[]): ScoreItem[] =>
  hyps.map((h, i) => ({ id: `s${i}`, reference: refs[i]!.length === 1 ? refs[i]![0]! : refs[i]!, prediction: h }));

const score = (items: readonly ScoreItem[], options: Record<string, unknown> = {}): AstScoreResult =>
  scoreTask(items, { task: 'ast', ...options }) as AstScoreResult;

// The BLEU option sets ast exposes (effective order and n-gram order are fixed at sacrebleu's corpus defaults).
const astBleuOptions = (o: Record<string, unknown>): boolean => !('effectiveOrder' in o) && !('maxNgramOrder' in o);

describe('ast: sacrebleu BLEU, chrF and chrF++ through scoreTask', () => {
  it('corpus BLEU equals sacrebleu on every oracle corpus under every tokenizer, smoothing and case option', () => {
    let n = 0;
    for (const corpus of oracle.corpora) {
      for (const want of corpus.bleu.filter((w) => astBleuOptions(w.options))) {
        const got = score(itemsOf(corpus.hyps, corpus.refs), want.options);
        const label = `${corpus.hyps.length} samples ${JSON.stringify(want.options)}`;
        expect(Math.abs(got.metrics.bleu - want.score), label).toBeLessThan(1e-9);
        expect(got.signatures.bleu, label).toBe(want.signature);
        n++;
      }
    }
    // 11 of the oracle's 13 BLEU option sets on each corpus.
    expect(n).toBe(oracle.corpora.length * 11);
  });

  it('corpus chrF and chrF++ equal sacrebleu (default options) on every oracle corpus, several references included', () => {
    for (const corpus of oracle.corpora) {
      const got = score(itemsOf(corpus.hyps, corpus.refs));
      const chrf = corpus.chrf.find((w) => Object.keys(w.options).length === 0)!;
      const chrfpp = corpus.chrf.find((w) => JSON.stringify(w.options) === '{"wordOrder":2}')!;
      expect(Math.abs(got.metrics.chrf - chrf.score)).toBeLessThan(1e-9);
      expect(Math.abs(got.metrics.chrf_pp - chrfpp.score)).toBeLessThan(1e-9);
      expect(got.signatures.chrf).toBe(chrf.signature);
      expect(got.signatures.chrf_pp).toBe(chrfpp.signature);
    }
    // The oracle's mixed-reference corpus: nrefs:var in every signature.
    const mixed = oracle.corpora.find((c) => new Set(c.refs.map((r) => r.length)).size > 1)!;
    expect(score(itemsOf(mixed.hyps, mixed.refs)).signatures.bleu).toMatch(/^nrefs:var\|/);
  });

  it('per sample: sentence BLEU (effective order) and sentence chrF as sacrebleu computes them', () => {
    const cases = oracle.sentences;
    const got = score(
      itemsOf(
        cases.map((c) => c.hyp),
        cases.map((c) => c.refs),
      ),
    );
    expect(cases.some((c) => c.refs.length > 1)).toBe(true);
    got.samples.forEach((s, k) => {
      expect(Math.abs(s.bleu - cases[k]!.bleu), `sentence ${k}`).toBeLessThan(1e-9);
      expect(Math.abs(s.chrf - cases[k]!.chrf), `sentence ${k}`).toBeLessThan(1e-9);
    });
  });

  it('several references, the result settings, missing predictions and the signature in the document', () => {
    const items: ScoreItem[] = [
      { id: 'a', reference: ['the cat sat on the mat', 'THE CAT was sitting on the mat'], prediction: 'The cat was sitting on the mat' },
      { id: 'b', reference: ['hello there world', 'hello world'], prediction: null },
    ];
    const got = score(items, { lowercase: true, tokenize: 'intl' });
    const want = corpusBleu(['The cat was sitting on the mat', ''], [items[0]!.reference as string[], items[1]!.reference as string[]], {
      lowercase: true,
      tokenize: 'intl',
    });
    expect(got.metrics.bleu).toBe(want.score);
    expect(got).toMatchObject({ task: 'ast', normalizer: 'none', tokenize: 'intl', missing: ['b'] });
    expect(got.signatures).toEqual({
      bleu: 'nrefs:2|case:lc|eff:no|tok:intl|smooth:exp|version:2.6.0',
      chrf: 'nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0',
      chrf_pp: 'nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0',
    });
    expect(got.samples[0]!.bleu).toBe(
      sentenceBleu('The cat was sitting on the mat', items[0]!.reference as string[], { lowercase: true, tokenize: 'intl' }).score,
    );
    // Lowercased, the second reference is the prediction itself.
    expect(got.samples[0]!.bleu).toBeCloseTo(100, 9);
    expect(tasks.ast.scoreSample(items[0]!, { lowercase: true, tokenize: 'intl' }).bleu).toBe(got.samples[0]!.bleu);
  });

  it("a run's recorded scorer versions carry the signatures' settings, and compare tells differing ones apart", () => {
    expect(scorerVersions('ast')).toEqual({
      task: 'ast',
      normalizer: 'none@1',
      metric: 'sacrebleu@v2.6.0',
      signature:
        'BLEU case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0; chrF2 case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0; chrF2++ case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0',
    });
    const zh = scorerVersions('ast', { tokenize: 'zh', lowercase: true, smoothMethod: 'floor' });
    expect(zh.signature).toMatch(/^BLEU case:lc\|eff:no\|tok:zh\|smooth:floor\[0\.10\]\|version:2\.6\.0; chrF2 case:mixed\|/);
    expect(differingScorerVersions([scorerVersions('ast'), zh])).toEqual([
      { component: 'signature', versions: [scorerVersions('ast').signature, zh.signature] },
    ]);
    // Tasks without a signature record none, as before.
    expect(scorerVersions('asr')).not.toHaveProperty('signature');
  });

  it('the task metadata: bleu primary, every metric higher is better', () => {
    expect(tasks.ast.primaryMetric()).toBe('bleu');
    expect(tasks.ast.metrics.map((m) => [m.name, m.direction])).toEqual([
      ['bleu', 'higher'],
      ['chrf', 'higher'],
      ['chrf_pp', 'higher'],
    ]);
  });
});

const header = (id: string, scoring: Record<string, unknown> = {}) => runHeader(id, 'ast', { scoring });
const outcomes = (preds: readonly string[], refs: readonly string[][]) =>
  preds.map((prediction, i) => sampleOutcome(`k${String(i).padStart(2, '0')}`, prediction, { sampleId: `k${i}`, reference: refs[i]! }));

describe('ast: compare resamples corpus BLEU', () => {
  // Short and long segments, so corpus BLEU (pooled n-gram counts and one brevity penalty) differs from the mean of sentence BLEU.
  const refs = [
    ['the quick brown fox jumps over the lazy dog near the river bank today'],
    ['hello world'],
    ['a small cat sleeps on the warm mat in the afternoon sun'],
    ['yes'],
    ['we will meet again at the station tomorrow morning before nine'],
    ['thank you very much'],
  ];
  const a = [
    'the quick brown fox jumps over the lazy dog near the river',
    'hello',
    'a small cat sleeps on a warm mat',
    'no',
    'we meet at the station',
    'thanks',
  ];
  const b = [
    'the quick brown fox jumps over the lazy dog near the river bank today',
    'hello world',
    'a small cat sleeps on the warm mat in the sun',
    'yes',
    'we will meet again at the station tomorrow',
    'thank you',
  ];
  const runs: RunOutcomes[] = [
    { run: header('A'), outcomes: outcomes(a, refs) },
    { run: header('B'), outcomes: outcomes(b, refs) },
  ];

  it('the difference is corpus BLEU(B) − BLEU(A), with an interval around it, not a difference of sentence-BLEU means', () => {
    const c = compareRuns(runs, { iterations: 200, seed: 3 });
    const bleuA = corpusBleu(a, refs).score;
    const bleuB = corpusBleu(b, refs).score;
    expect(c.metric).toBe('bleu');
    expect(c.lowerIsBetter).toBe(false);
    expect(c.overall.runs.map((r) => r.value.estimate)).toEqual([bleuA, bleuB]);
    const d = c.overall.differences[0]!;
    expect(d.difference.estimate).toBe(bleuB - bleuA);
    expect(d.difference.low).toBeLessThanOrEqual(d.difference.estimate);
    expect(d.difference.high).toBeGreaterThanOrEqual(d.difference.estimate);
    expect(d.difference.high).toBeGreaterThan(d.difference.low);
    expect(d.test).toBe('permutation');
    expect(d.pValue).toBeGreaterThan(0);
    expect(d.pValue).toBeLessThanOrEqual(1);

    const mean = (hyps: readonly string[]) => hyps.reduce((s, h, i) => s + sentenceBleu(h, refs[i]!).score, 0) / hyps.length;
    expect(Math.abs(d.difference.estimate - (mean(b) - mean(a)))).toBeGreaterThan(1);
    expect(Math.abs(c.overall.runs[0]!.value.estimate - mean(a))).toBeGreaterThan(1);
  });

  it("each run is resampled under its own recorded options (lowercase changes A's corpus BLEU)", () => {
    const upper = a.map((s) => s.toUpperCase());
    const c = compareRuns(
      [
        { run: header('A', { lowercase: true }), outcomes: outcomes(upper, refs) },
        { run: header('B'), outcomes: outcomes(b, refs) },
      ],
      { iterations: 50 },
    );
    expect(c.overall.runs[0]!.value.estimate).toBe(corpusBleu(upper, refs, { lowercase: true }).score);
    expect(c.overall.runs[0]!.value.estimate).toBe(corpusBleu(a, refs).score);
  });

  it('the leaderboard ranks by corpus BLEU too', () => {
    const [board] = computeLeaderboards({ task: 'ast', frozenAt: null, datasets: [{ dataset: 'd', runs, excludedAfterFreeze: [] }] }, { iterations: 50 });
    const byRun = new Map(board!.entries.map((e) => [e.runId, e.value.estimate]));
    expect(byRun.get('A')).toBe(corpusBleu(a, refs).score);
    expect(byRun.get('B')).toBe(corpusBleu(b, refs).score);
  });

  it('per-sample statistics sum to the corpus statistics', () => {
    const got = score(itemsOf(b, refs));
    const sums = got.samples.reduce<number[]>((acc, s: AstScoredSample) => acc.map((x, j) => x + s.bleu_stats[j]!), new Array<number>(10).fill(0));
    const want = corpusBleu(b, refs);
    expect(sums.slice(0, 2)).toEqual([want.sysLen, want.refLen]);
    expect(sums.slice(2, 6)).toEqual(want.counts);
    expect(sums.slice(6)).toEqual(want.totals);
  });
});

describe('evalgate score --task ast (built CLI)', () => {
  let dir = '';
  beforeAll(async () => {
    if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run \`npm run build\` first`);
    dir = await mkdtemp(path.join(tmpdir(), 'evalgate-ast-'));
    const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await writeFile(path.join(dir, 'refs.jsonl'), jsonl(refsRows.map(([id, reference]) => ({ id, task: 'ast', audio: `${id}.wav`, reference }))));
    await writeFile(path.join(dir, 'preds.jsonl'), jsonl(predRows.map(([id, prediction]) => ({ id, prediction }))));
  });
  const refsRows: [string, string | string[]][] = [
    ['u1', ['The cat sat on the mat.', 'A cat was on the mat.']],
    ['u2', '我们明天见'],
  ];
  const predRows: [string, string][] = [
    ['u1', 'the cat sat on the mat.'],
    ['u2', '我们 明天 见'],
  ];
  const run = (args: string[]) => spawnCli(['score', '--task', 'ast', '--references', 'refs.jsonl', '--predictions', 'preds.jsonl', ...args], { cwd: dir });

  it('--json prints the metrics, signatures and per-sample scores; --tokenize and --lowercase reach the scorer', async () => {
    const hyps = predRows.map(([, p]) => p);
    const refs = refsRows.map(([, r]) => (typeof r === 'string' ? [r] : r));
    for (const [args, opts] of [
      [[], {}],
      [['--tokenize', 'zh', '--lowercase'], { tokenize: 'zh', lowercase: true }],
    ] as const) {
      const out = await run(['--json', ...args]);
      expect(out.code, out.stderr).toBe(0);
      const doc = JSON.parse(out.stdout) as AstScoreResult;
      const want = corpusBleu(hyps, refs, opts);
      expect(doc.metrics.bleu).toBe(want.score);
      expect(doc.signatures.bleu).toBe(want.signature);
      expect(doc.samples.map((s) => s.id)).toEqual(['u1', 'u2']);
      expect(doc.samples[0]!.bleu).toBe(sentenceBleu(hyps[0]!, refs[0]!, opts).score);
    }
    const plain = await run([]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^task ast {2}normalizer none {2}tokenize 13a\n/);
    expect(plain.stdout).toMatch(/\nbleu +\d+\.\d{4}\n/);
    expect(plain.stdout).toContain(`\nsignatures.bleu  ${corpusBleu(hyps, refs, {}).signature}`);
  });

  it('an unsupported tokenizer is a bad-input error that names it', async () => {
    const out = await run(['--tokenize', 'flores101']);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('EVALGATE_ERR_BAD_INPUT');
    expect(out.stderr).toContain("'flores101' is not implemented");
  });
});
