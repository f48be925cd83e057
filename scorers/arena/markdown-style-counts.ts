/**
 * Markdown counts of an answer for style control, re-typed from lm-sys/FastChat
 * `fastchat/serve/monitor/add_markdown_info.py` (`count_markdown_elements`,
 * `remove_pattern`, `get_element_counts`) at
 * 05b930550cadc3e3ccfb1c0a5f2c6ff0bc0faf97, quirks included: code blocks are
 * "removed" by deleting every occurrence of each block's inner text (the ```
 * fences stay), as upstream's `findall` of a group followed by `str.replace`
 * does. Python's `\d` and `\s` match Unicode digits and spaces; the `u`-flag
 * classes below do the same.
 */

/** The three markdown counts of FastChat's style control. */
export interface MarkdownStyleCounts {
  /** Lines starting with 1–6 '#' and a space. */
  readonly headers: number;
  /** Ordered ("1. ") and unordered ("- ", "* ", "+ ") list items. */
  readonly lists: number;
  /** `**bold**` and `__bold__` spans on one line. */
  readonly bold: number;
}

const CODE_BLOCK = /```([^`]*)```/gu;
const HEADERS = [1, 2, 3, 4, 5, 6].map((n) => new RegExp(`^#{${n}}\\s`, 'gmu'));
const ORDERED = /^\s*\p{Nd}+\.\s/gmu;
const UNORDERED = /^\s*[-*+]\s/gmu;
const BOLD_STARS = /\*\*[^*\n]+\*\*/gu;
const BOLD_UNDERSCORES = /__[^_\n]+__/gu;

const count = (re: RegExp, text: string): number => [...text.matchAll(re)].length;

/** Headers, list items and bold spans of one answer (all assistant turns joined with "\n", as upstream). */
export function markdownStyleCounts(answer: string): MarkdownStyleCounts {
  let text = answer;
  for (const [, inner] of answer.matchAll(CODE_BLOCK)) text = text.replaceAll(inner!, '');
  return {
    headers: HEADERS.reduce((s, re) => s + count(re, text), 0),
    lists: count(ORDERED, text) + count(UNORDERED, text),
    bold: count(BOLD_STARS, text) + count(BOLD_UNDERSCORES, text),
  };
}
