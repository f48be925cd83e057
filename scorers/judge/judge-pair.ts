// Pairwise judging (issue 16, \`judge-pair\`), the parts that need no store:
// Arena-Hard-Auto's judge prompt and verdict rule, the two presentation
// orders of one comparison, and the position-bias figure. A verdict no rule
// can read is undefined: the comparison then has no vote (never a tie).
//
// Upstream: lmarena/arena-hard-auto@196f6b826783b3da7310e361a805fa36f0be83f3
// utils/judge_utils.py OG_ARENA_HARD_PROMPT (system message),
// config/arena-hard-v0.1.yaml (prompt_template, regex_patterns, temperature 0,
// max_tokens 4096), gen_judgment.py get_score (the last match of the first
// pattern that matches, on the upper-cased reply) and judgment (round 2 swaps
// the answers).

/** The five verdict levels, written as Arena-Hard-Auto's labels (and the arena's five-level votes). */
export type PairVerdict = 'A>>B' | 'A>B' | 'A=B' | 'B>A' | 'B>>A';

/** The five levels, strongest preference for A first. */
export const pairVerdicts: readonly PairVerdict[] = Object.freeze(['A>>B', 'A>B', 'A=B', 'B>A', 'B>>A']);

/** Arena-Hard-Auto's system message (OG_ARENA_HARD_PROMPT). */
export const arenaHardSystemPrompt: string =
  "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user prompt displayed below. You will be given assistant A's answer and assistant B's answer. Your job is to evaluate which assistant's answer is better.\n\nBegin your evaluation by generating your own answer to the prompt. You must provide your answers before judging any answers.\n\nWhen evaluating the assistants' answers, compare both assistants' answers with your answer. You must identify and correct any mistakes or inaccurate information.\n\nThen consider if the assistant's answers are helpful, relevant, and concise. Helpful means the answer correctly responds to the prompt or follows the instructions. Note when user prompt has any ambiguity or more than one interpretation, it is more helpful and appropriate to ask for clarifications or more information from the user than providing an answer based on assumptions. Relevant means all parts of the response closely connect or are appropriate to what is being asked. Concise means the response is clear and not verbose or excessive.\n\nThen consider the creativity and novelty of the assistant's answers when needed. Finally, identify any missing important information in the assistants' answers that would be beneficial to include when responding to the user prompt.\n\nAfter providing your explanation, you must output only one of the following choices as your final verdict with a label:\n\n1. Assistant A is significantly better: [[A>>B]]\n2. Assistant A is slightly better: [[A>B]]\n3. Tie, relatively the same: [[A=B]]\n4. Assistant B is slightly better: [[B>A]]\n5. Assistant B is significantly better: [[B>>A]]\n\nExample output: \"My final verdict is tie: [[A=B]]\".";

/** Arena-Hard-Auto v0.1's user prompt, placeholders renamed to \`{question}\`, \`{answerA}\`, \`{answerB}\`. */
export const arenaHardUserTemplate: string =
  "<|User Prompt|>\n{question}\n\n<|The Start of Assistant A's Answer|>\n{answerA}\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{answerB}\n<|The End of Assistant B's Answer|>";

/** Upstream's generation settings for the judge. */
export const arenaHardJudgeSettings = Object.freeze({ temperature: 0, maxOutputTokens: 4096 });

/**
 * What happens when no verdict can be read: upstream's
 * `number_of_judgment_attempts: 2` (config/arena-hard-v0.1.yaml) asks once
 * more, after appending "continue your judgment and finish by outputting a
 * final verdict label" as a user turn to the conversation (gen_judgment.py
 * `judgment`). Requests here are single-turn, so the re-ask sends the prompt
 * again with that sentence appended; a reply still without a label leaves the
 * comparison without a verdict (failed, never a tie).
 */
export const arenaHardReask = Object.freeze({
  max: 1,
  promptSuffix: '\n\ncontinue your judgment and finish by outputting a final verdict label',
  temperatureStep: 0,
});

/** The name of the pairwise verdict rule (recorded as a pair judge run's `parseRule`). */
export const pairVerdictRule = 'arena-hard-verdict';

/** Version of the pairwise judge behaviour (prompt, rule, re-ask): changes whenever one of them does. */
export const pairJudgeVersion = 'arena-hard-v0.1@1';

/** The user prompt for one presentation order; placeholders filled once each, in one pass. */
export function renderPairPrompt(question: string, answerA: string, answerB: string): string {
  const values: Record<string, string> = { question, answerA, answerB };
  return arenaHardUserTemplate.replace(/\{(question|answerA|answerB)\}/gu, (_m, k: string) => values[k]!);
}

// regex_patterns of config/arena-hard-v0.1.yaml, in order.
const patterns = [/\[\[([AB<>=]+)\]\]/gu, /\[([AB<>=]+)\]/gu];

/**
 * The verdict of one reply: for the first pattern that matches the upper-cased
 * reply, its last match (upstream \`get_score\`). Upstream keeps any string of
 * A, B, <, > and =; here a label that is not one of the five levels (\`A>B>A\`)
 * is unreadable, like no label at all.
 */
export function parsePairVerdict(reply: string): PairVerdict | undefined {
  const text = reply.toUpperCase();
  for (const p of patterns) {
    const matches = [...text.matchAll(p)].map((m) => m[1] ?? '').filter((m) => m !== '');
    if (matches.length === 0) continue;
    const last = matches[matches.length - 1]!;
    return (pairVerdicts as readonly string[]).includes(last) ? (last as PairVerdict) : undefined;
  }
  return undefined;
}

/** The same preference with the sides swapped (\`A>>B\` ↔ \`B>>A\`, \`A>B\` ↔ \`B>A\`, \`A=B\` stays). */
export function swapVerdict(v: PairVerdict): PairVerdict {
  return pairVerdicts[pairVerdicts.length - 1 - pairVerdicts.indexOf(v)]!;
}

/** One judged presentation of a pair: which model was shown first, and the verdict as the judge gave it. */
export interface PairGame {
  /** \`A\` when model A's answer was shown as "Assistant A", \`B\` when model B's was (the swapped round). */
  readonly shownFirst: 'A' | 'B';
  /** The verdict in the presented order (its "A" is the answer shown first); undefined: unreadable. */
  readonly verdict: PairVerdict | undefined;
}

/**
 * A game's verdict in model terms (model A vs model B): the presented verdict,
 * swapped back for the round that showed B first. Undefined stays undefined.
 */
export function verdictForModels(game: PairGame): PairVerdict | undefined {
  if (game.verdict === undefined) return undefined;
  return game.shownFirst === 'A' ? game.verdict : swapVerdict(game.verdict);
}

/** How often the answer shown first wins. */
export interface PositionBias {
  /** Games with a readable verdict. */
  readonly games: number;
  /** Of those, ties (\`A=B\`). */
  readonly ties: number;
  /** Of the decided (non-tie) games, those won by the answer shown first. */
  readonly firstWins: number;
  /** firstWins ÷ decided games; null when no game was decided. An unbiased judge is near 0.5 over many pairs. */
  readonly firstWinRate: number | null;
  /** Games whose verdict could not be read (left out of the figures above). */
  readonly unreadable: number;
  /** Pairs judged in both orders whose two model-term verdicts disagree in direction (one prefers A, the other B). */
  readonly flips: number;
}

const side = (v: PairVerdict): -1 | 0 | 1 => (v.startsWith('A>') ? 1 : v === 'A=B' ? 0 : -1);

/**
 * Position bias over judged games (each game in presented order). \`pairs\`
 * groups the two games of one comparison, for the flip count.
 */
export function positionBias(pairs: readonly (readonly PairGame[])[]): PositionBias {
  let games = 0;
  let ties = 0;
  let firstWins = 0;
  let unreadable = 0;
  let flips = 0;
  for (const pair of pairs) {
    for (const g of pair) {
      if (g.verdict === undefined) {
        unreadable++;
        continue;
      }
      games++;
      const s = side(g.verdict);
      if (s === 0) ties++;
      else if (s === 1) firstWins++;
    }
    const sides = pair
      .map(verdictForModels)
      .filter((v): v is PairVerdict => v !== undefined)
      .map(side);
    if (sides.includes(1) && sides.includes(-1)) flips++;
  }
  const decided = games - ties;
  return { games, ties, firstWins, firstWinRate: decided === 0 ? null : firstWins / decided, unreadable, flips };
}
