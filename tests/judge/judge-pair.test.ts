// Pairwise verdicts as Arena-Hard-Auto reads them, both presentation orders,
// and the position-bias figure. No store or CLI yet: these are the pure parts.
import { describe, expect, it } from 'vitest';
import {
  arenaHardSystemPrompt,
  parsePairVerdict,
  positionBias,
  renderPairPrompt,
  swapVerdict,
  verdictForModels,
  type PairGame,
} from '../../scorers/judge/judge-pair.js';

describe('parsePairVerdict (Arena-Hard-Auto get_score)', () => {
  it.each([
    // The example output the published system prompt itself gives.
    ['My final verdict is tie: [[A=B]]', 'A=B'],
    ['… Assistant B is significantly better.\n\nMy final verdict is: [[B>>A]]', 'B>>A'],
    ['my final verdict is assistant a is slightly better: [[a>b]]', 'A>B'],
    // The last match of the first pattern that matches.
    ['At first I thought [[A>B]], but on reflection [[B>A]].', 'B>A'],
    // The single-bracket pattern only when no double-bracket label exists.
    ['Verdict: [A>>B]', 'A>>B'],
  ])('reads %j', (reply, verdict) => {
    expect(parsePairVerdict(reply)).toBe(verdict);
  });
  it.each(['Both are fine.', '[[A>B>A]]', '[[]]', 'A>B', ''])('refuses %j (no vote, not a tie)', (reply) => {
    expect(parsePairVerdict(reply)).toBeUndefined();
  });
});

describe('the two presentation orders', () => {
  it('swaps sides and maps the swapped round back to model terms', () => {
    expect(['A>>B', 'A>B', 'A=B', 'B>A', 'B>>A'].map((v) => swapVerdict(v as never))).toEqual(['B>>A', 'B>A', 'A=B', 'A>B', 'A>>B']);
    expect(verdictForModels({ shownFirst: 'A', verdict: 'A>B' })).toBe('A>B');
    // Round 2 shows model B's answer as "Assistant A": its "A>B" prefers model B.
    expect(verdictForModels({ shownFirst: 'B', verdict: 'A>B' })).toBe('B>A');
    expect(verdictForModels({ shownFirst: 'B', verdict: undefined })).toBeUndefined();
  });

  it('fills the published template once per placeholder', () => {
    const p = renderPairPrompt('Q {answerB}', 'first', 'second');
    expect(p).toBe(
      "<|User Prompt|>\nQ {answerB}\n\n<|The Start of Assistant A's Answer|>\nfirst\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\nsecond\n<|The End of Assistant B's Answer|>",
    );
    expect(arenaHardSystemPrompt).toContain('5. Assistant B is significantly better: [[B>>A]]');
  });
});

describe('positionBias', () => {
  it('counts how often the answer shown first wins, ties and unreadable verdicts apart', () => {
    const pairs: PairGame[][] = [
      // A judge that always prefers the first answer: both rounds "A>B", which flips in model terms.
      [
        { shownFirst: 'A', verdict: 'A>B' },
        { shownFirst: 'B', verdict: 'A>B' },
      ],
      // Consistent: model A better in both orders.
      [
        { shownFirst: 'A', verdict: 'A>>B' },
        { shownFirst: 'B', verdict: 'B>>A' },
      ],
      // A tie and an unreadable verdict.
      [
        { shownFirst: 'A', verdict: 'A=B' },
        { shownFirst: 'B', verdict: undefined },
      ],
    ];
    expect(positionBias(pairs)).toEqual({ games: 5, ties: 1, firstWins: 3, firstWinRate: 3 / 4, unreadable: 1, flips: 1 });
  });
  it('has no rate when nothing was decided', () => {
    expect(positionBias([[{ shownFirst: 'A', verdict: 'A=B' }]]).firstWinRate).toBeNull();
  });
});
