// Shared input checks and whitespace handling for the corpus metrics in this folder.
import { isPyWsCode } from '../normalizers/python-text.js';

/**
 * References are sample-major here: `references[i]` holds every reference of sample i
 * (sacrebleu takes reference streams, `refs[k][i]`; a `None` there is simply absent here).
 */
export type SampleReferences = readonly (readonly string[])[];

/** Throws unless there is at least one sample, one reference list per hypothesis, and one reference per list. */
export function checkCorpus(metric: string, hypotheses: readonly string[], references: SampleReferences): void {
  if (hypotheses.length === 0) throw new RangeError(`${metric}: the corpus is empty`);
  if (references.length !== hypotheses.length) {
    throw new RangeError(`${metric}: ${hypotheses.length} hypotheses but ${references.length} reference lists`);
  }
  const empty = references.findIndex((refs) => refs.length === 0);
  if (empty >= 0) throw new RangeError(`${metric}: sample ${empty} has no reference`);
}

/** Python `str.rstrip()` with no argument. */
export function pyRstrip(s: string): string {
  let b = s.length;
  while (b > 0 && isPyWsCode(s.charCodeAt(b - 1))) b--;
  return b === s.length ? s : s.slice(0, b);
}

/** Python `''.join(s.split())`: every whitespace character removed. */
export function removePyWhitespace(s: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (isPyWsCode(s.charCodeAt(i))) {
      if (i > start) out += s.slice(start, i);
      start = i + 1;
    }
  }
  return start === 0 ? s : out + s.slice(start);
}

/**
 * Tokens of a string split on Python whitespace, as one canonical string (tokens joined by
 * one space) plus each token's [start, end) in it: an n-gram is then the slice from its first
 * token's start to its last token's end, a unique key built without joining strings.
 */
export interface TokenSpans {
  text: string;
  starts: number[];
  ends: number[];
}

export function tokenSpans(tokens: readonly string[]): TokenSpans {
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = 0;
  for (const t of tokens) {
    starts.push(pos);
    pos += t.length;
    ends.push(pos);
    pos += 1;
  }
  return { text: tokens.join(' '), starts, ends };
}
