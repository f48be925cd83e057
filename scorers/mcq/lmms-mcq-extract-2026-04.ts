// lmms-eval `extract_mcq_answer` as it was in April 2026
// (EvolvingLMMs-Lab/lmms-eval@7a69a9a12f8e6ea872f18762b496b424a8e63a6a,
// lmms_eval/tasks/_task_utils/mcq_extract.py), before the conservative rewrite
// that `lmms-mcq-extract.ts` follows. Published numbers were produced with both,
// so both stay selectable. This version never abstains when an offered letter
// occurs anywhere: it collects every candidate, ranks them by format
// (start > end > answer phrase > (X) > X. > X: > X) > "X " > any occurrence)
// and, within the best format, takes the last one.
import { codePoints, pyStrip } from '../normalizers/python-text.js';

const DEFAULT_CHOICES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

// Lower-case markers searched in the lower-cased text; only the first occurrence of each counts.
const ANSWER_PHRASES = [
  'the answer is',
  'answer is',
  'the correct answer is',
  'correct answer is',
  'the best answer is',
  'best answer is',
  'the correct option is',
  'correct option is',
  'the best option is',
  'best option is',
  'the choice is',
  'choice is',
  'the correct choice is',
  'correct choice is',
  'i choose',
  'i select',
  'i pick',
  'my answer is',
  'my choice is',
  // added upstream on 2026-04-11 for Korean, Chinese and Japanese replies
  '옵션',
  '정답은',
  '답은',
  '답:',
  '答案是',
  '答案为',
  '选',
  '答えは',
];

// Characters stripped from both ends one after the other, in this order (so "A,." keeps its comma).
const EDGE_CHARS = [',', '.', '!', '?', ';', ':', "'", '"'];

/** Format ranks: a higher rank wins regardless of position. */
const RANK = { start: 10, end: 9, phrase: 7, parentheses: 6, period: 5, colon: 4, rightParen: 3, space: 2, fallback: 0 } as const;

interface Candidate {
  readonly choice: string;
  readonly position: number;
  readonly rank: number;
}

/** Python `s.strip(c)` for one character. */
function stripChar(s: string, c: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === c) a++;
  while (b > a && s[b - 1] === c) b--;
  return s.slice(a, b);
}

const isAlpha = (c: string | undefined): boolean => c !== undefined && /^\p{L}$/u.test(c);

/**
 * The April 2026 `extract_mcq_answer(response, choices)`: the offered choice
 * (as given) with the best-ranked, then last, occurrence; "" when none occurs.
 * Positions are UTF-16 offsets where Python counts code points; only their
 * order matters, which is the same.
 */
export function extractMcqLmms202604(response: string | null | undefined, choices?: readonly string[] | null): string {
  if (!response || !pyStrip(response)) return '';
  const all = choices && choices.length > 0 ? choices : DEFAULT_CHOICES;
  let core = pyStrip(response);
  for (const c of EDGE_CHARS) core = stripChar(core, c);
  // Upstream pads with one space each side so "X " also matches a final letter.
  const text = ` ${core} `;
  const found: Candidate[] = [];
  const lastOf = (needle: string, rank: number): void => {
    for (const ch of all) {
      const at = text.lastIndexOf(needle.replace('X', () => ch));
      if (at !== -1) found.push({ choice: ch, position: at, rank });
    }
  };
  lastOf('(X)', RANK.parentheses);
  lastOf('X.', RANK.period);
  lastOf('X:', RANK.colon);
  lastOf('X)', RANK.rightParen);
  lastOf('X ', RANK.space);
  const lower = text.toLowerCase();
  for (const phrase of ANSWER_PHRASES) {
    const at = lower.indexOf(phrase);
    if (at === -1) continue;
    // Offsets into the lower-cased text are applied to the original, as upstream does.
    for (const ch of all) {
      const pos = text.indexOf(ch, at + phrase.length);
      if (pos !== -1) found.push({ choice: ch, position: pos, rank: RANK.phrase });
    }
  }
  const trimmed = codePoints(pyStrip(text));
  const joined = trimmed.join('');
  for (const ch of all) {
    if (joined.startsWith(ch) && (trimmed.length === 1 || !isAlpha(trimmed[1]))) found.push({ choice: ch, position: 0, rank: RANK.start });
  }
  for (const ch of all) {
    if (joined.endsWith(ch) && (trimmed.length === 1 || !isAlpha(trimmed[trimmed.length - 2]))) {
      found.push({ choice: ch, position: text.length - 1, rank: RANK.end });
    }
  }
  if (found.length === 0) lastOf('X', RANK.fallback);
  let best: Candidate | undefined;
  // Python's stable descending sort keeps the earliest-added of equal keys first.
  for (const c of found) {
    if (!best || c.rank > best.rank || (c.rank === best.rank && c.position > best.position)) best = c;
  }
  return best ? best.choice : '';
}
