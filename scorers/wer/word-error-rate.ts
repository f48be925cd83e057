// jiwer `process_words` / `process_characters`: counts pooled over the corpus,
// measures computed once from the totals (never averaged per sentence).
import type { AlignmentChunk, AlignmentCounts } from './levenshtein-align.js';
import { alignTokens, editopsToChunks } from './levenshtein-align.js';
import { alignTokensWenet } from './wenet-align.js';
import type { TokenUnit } from './tokenize.js';
import { tokenize } from './tokenize.js';

/** WER-family measures as jiwer defines them. */
export interface ErrorMeasures {
  /** (S + D + I) / (H + S + D); with no reference tokens at all, the insertion count. */
  readonly wer: number;
  /** (S + D + I) / (H + S + D + I). */
  readonly mer: number;
  /** 1 − wip. */
  readonly wil: number;
  /** (H / N_ref) · (H / N_hyp); 0 without hypothesis tokens. */
  readonly wip: number;
}

/** Output of {@link processTokens}: jiwer's `WordOutput`. */
export interface ProcessOutput extends ErrorMeasures, AlignmentCounts {
  /** Tokenised references, one list per sentence. */
  readonly references: readonly (readonly string[])[];
  /** Tokenised hypotheses, one list per sentence. */
  readonly hypotheses: readonly (readonly string[])[];
  /** Per-sentence counts, in input order. */
  readonly sentences: readonly AlignmentCounts[];
  /** Per-sentence alignment chunks (only when requested). */
  readonly alignments: readonly (readonly AlignmentChunk[])[] | null;
}

/** Which aligner breaks ties: rapidfuzz (jiwer) or WeNet compute-wer.py. */
export type TieBreak = 'rapidfuzz' | 'wenet';

/** Options of {@link processTokens}. */
export interface ProcessOptions {
  /** Also return alignment chunks for visualisation. */
  readonly alignments?: boolean;
  /** Tie-breaking among equal-cost alignments (default rapidfuzz, as jiwer). */
  readonly tieBreak?: TieBreak;
}

/** jiwer's measure formulas, including the empty-reference edge cases. */
export function computeMeasures(c: AlignmentCounts, numRefTokens: number, numHypTokens: number): ErrorMeasures {
  const { hits: H, substitutions: S, deletions: D, insertions: I } = c;
  let wer: number;
  let mer: number;
  let wip: number;
  if (numRefTokens === 0) {
    wer = I;
    if (numHypTokens === 0) {
      mer = 0;
      wip = 1;
    } else {
      mer = 1;
      wip = 0;
    }
  } else {
    wer = (S + D + I) / (H + S + D);
    mer = (S + D + I) / (H + S + D + I);
    wip = numHypTokens >= 1 ? (H / numRefTokens) * (H / numHypTokens) : 0;
  }
  return { wer, mer, wil: 1 - wip, wip };
}

/**
 * Aligns already-tokenised sentences and pools the counts. Tokens are interned
 * to integers once, so the aligner compares numbers, not strings.
 */
export function processTokens(
  references: readonly (readonly string[])[],
  hypotheses: readonly (readonly string[])[],
  options: ProcessOptions = {},
): ProcessOutput {
  if (references.length !== hypotheses.length) {
    throw new RangeError(`references and hypotheses must have the same length (got ${references.length} and ${hypotheses.length})`);
  }
  const ids = new Map<string, number>();
  const intern = (tokens: readonly string[]): Int32Array => {
    const out = new Int32Array(tokens.length);
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k]!;
      let id = ids.get(t);
      if (id === undefined) {
        id = ids.size;
        ids.set(t, id);
      }
      out[k] = id;
    }
    return out;
  };
  const align = options.tieBreak === 'wenet' ? alignTokensWenet : alignTokens;
  const total: AlignmentCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  const sentences: AlignmentCounts[] = [];
  const alignments: AlignmentChunk[][] | null = options.alignments ? [] : null;
  let numRef = 0;
  let numHyp = 0;
  for (let k = 0; k < references.length; k++) {
    const r = intern(references[k]!);
    const h = intern(hypotheses[k]!);
    const { counts, editops } = align(r, h, Boolean(alignments));
    total.hits += counts.hits;
    total.substitutions += counts.substitutions;
    total.deletions += counts.deletions;
    total.insertions += counts.insertions;
    numRef += r.length;
    numHyp += h.length;
    sentences.push(counts);
    if (alignments && editops) alignments.push(editopsToChunks(editops, r.length, h.length));
  }
  return {
    references,
    hypotheses,
    sentences,
    alignments,
    ...total,
    ...computeMeasures(total, numRef, numHyp),
  };
}

function asList(x: string | readonly string[]): readonly string[] {
  return typeof x === 'string' ? [x] : x;
}

/** jiwer `process_words` with the default transforms. */
export function processWords(reference: string | readonly string[], hypothesis: string | readonly string[], options: ProcessOptions = {}): ProcessOutput {
  return processUnit(reference, hypothesis, 'word', options);
}

/** jiwer `process_characters` with the default transforms (spaces count). */
export function processCharacters(reference: string | readonly string[], hypothesis: string | readonly string[], options: ProcessOptions = {}): ProcessOutput {
  return processUnit(reference, hypothesis, 'char', options);
}

/** Tokenises with the given unit, then {@link processTokens}. `mixed` uses WeNet's tie-breaking. */
export function processUnit(
  reference: string | readonly string[],
  hypothesis: string | readonly string[],
  unit: TokenUnit,
  options: ProcessOptions = {},
): ProcessOutput {
  const refs = asList(reference).map((s) => tokenize(s, unit));
  const hyps = asList(hypothesis).map((s) => tokenize(s, unit));
  return processTokens(refs, hyps, { tieBreak: unit === 'mixed' ? 'wenet' : 'rapidfuzz', ...options });
}

/** jiwer `wer`. */
export function wer(reference: string | readonly string[], hypothesis: string | readonly string[]): number {
  return processWords(reference, hypothesis).wer;
}

/** jiwer `mer`. */
export function mer(reference: string | readonly string[], hypothesis: string | readonly string[]): number {
  return processWords(reference, hypothesis).mer;
}

/** jiwer `wil`. */
export function wil(reference: string | readonly string[], hypothesis: string | readonly string[]): number {
  return processWords(reference, hypothesis).wil;
}

/** jiwer `wip`. */
export function wip(reference: string | readonly string[], hypothesis: string | readonly string[]): number {
  return processWords(reference, hypothesis).wip;
}

/** jiwer `cer`. */
export function cer(reference: string | readonly string[], hypothesis: string | readonly string[]): number {
  return processCharacters(reference, hypothesis).wer;
}
