// Style control against FastChat's own contextual Bradley-Terry
// (rating_systems.py compute_style_control) and markdown counter
// (add_markdown_info.py), both pinned in bradley-terry-oracle.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AnswerStyle, ArenaVote, FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { computeArenaRatings } from '../../scorers/arena/compute-arena-ratings.js';
import { markdownStyleCounts } from '../../scorers/arena/markdown-style-counts.js';

type Style4 = [number, number, number, number];
interface StyleFit {
  readonly ratings: Record<string, number>;
  readonly coefficients: number[];
}
interface Oracle {
  readonly source: Record<string, string>;
  readonly cases: readonly {
    readonly name: string;
    readonly votes: readonly [string, string, FiveLevelVote, Style4?, Style4?][];
    readonly styleControl?: { readonly upstream: StyleFit; readonly tight: StyleFit };
  }[];
  readonly markdown: readonly { readonly text: string; readonly headers: number; readonly lists: number; readonly bold: number }[];
}
const oracle = JSON.parse(readFileSync(new URL('./bradley-terry-oracle.json', import.meta.url), 'utf8')) as Oracle;
const styleCase = oracle.cases.find((c) => c.styleControl)!;
const asStyle = ([length, headers, lists, bold]: Style4): AnswerStyle => ({ length, headers, lists, bold });
const votes: ArenaVote[] = styleCase.votes.map(([modelA, modelB, vote, sa, sb]) => ({
  modelA,
  modelB,
  vote,
  source: 'human',
  style: { a: asStyle(sa!), b: asStyle(sb!) },
}));

describe('style-controlled Bradley-Terry', () => {
  it("matches FastChat's compute_style_control (tight solver) to 1e-6 rating points", () => {
    expect(oracle.source.styleControl).toContain('lm-sys/FastChat@0e6d3e4beaab66f4d3f93db72541a4abab8af28d');
    const r = computeArenaRatings(votes, { source: 'human', rounds: 0, styleControl: true });
    expect(r.method.model).toBe('style-controlled-bradley-terry');
    const tight = styleCase.styleControl!.tight;
    for (const m of r.models) {
      expect(Math.abs(m.rating! - tight.ratings[m.model]!)).toBeLessThan(1e-6);
      // upstream's own L-BFGS-B settings stop within 1e-3 rating points of it here
      expect(Math.abs(m.rating! - styleCase.styleControl!.upstream.ratings[m.model]!)).toBeLessThan(2e-3);
    }
    expect(r.style!.reg).toBe(0.5);
    expect(r.style!.coefficients.map((c) => c.feature)).toEqual(['length', 'headers', 'lists', 'bold']);
    r.style!.coefficients.forEach((c, j) => expect(Math.abs(c.estimate! - tight.coefficients[j]!)).toBeLessThan(1e-8));
    // the generator favoured longer and bolder answers
    expect(r.style!.coefficients[0]!.estimate!).toBeGreaterThan(0.2);
  });

  it('differs from the plain fit, and gives seeded intervals for the coefficients too', () => {
    const plain = computeArenaRatings(votes, { source: 'human', rounds: 0 });
    const styled = computeArenaRatings(votes, { source: 'human', rounds: 0, styleControl: true });
    expect(plain.style).toBeNull();
    expect(Math.abs(plain.models[0]!.rating! - styled.models[0]!.rating!)).toBeGreaterThan(0.5);
    const sub = votes.slice(0, 300);
    const one = computeArenaRatings(sub, { source: 'human', rounds: 60, seed: 4, styleControl: { reg: 0.5 } });
    const again = computeArenaRatings(sub, { source: 'human', rounds: 60, seed: 4, styleControl: { reg: 0.5 } });
    expect(again).toEqual(one);
    for (const c of one.style!.coefficients) {
      expect(c.low!).toBeLessThan(c.estimate!);
      expect(c.high!).toBeGreaterThan(c.estimate!);
    }
  });

  it('needs every vote to carry its answers style, and reports a constant feature as not estimable', () => {
    const bare = votes.map(({ style: _style, ...v }) => v);
    expect(() => computeArenaRatings(bare, { source: 'human', rounds: 0, styleControl: true })).toThrow(/style/);
    const noHeaders = votes.map((v) => ({
      ...v,
      style: { a: { ...v.style!.a, headers: 0 }, b: { ...v.style!.b, headers: 0 } },
    }));
    const r = computeArenaRatings(noHeaders, { source: 'human', rounds: 0, styleControl: true });
    expect(r.style!.coefficients[1]).toEqual({ feature: 'headers', estimate: null, low: null, high: null });
    expect(r.style!.coefficients[0]!.estimate).not.toBeNull();
  });
});

describe('markdownStyleCounts', () => {
  it("counts as FastChat's add_markdown_info.py does, code-block quirk included", () => {
    expect(oracle.markdown.length).toBeGreaterThan(5);
    for (const c of oracle.markdown)
      expect({ text: c.text, ...markdownStyleCounts(c.text) }).toEqual({
        text: c.text,
        headers: c.headers,
        lists: c.lists,
        bold: c.bold,
      });
  });
});
