// jiwer `visualize_alignment` (jiwer 3.1+/4 layout: "=== SENTENCE n ===").
import { pyLen } from '../normalizers/python-text.js';
import type { AlignmentChunk } from './levenshtein-align.js';
import type { ProcessOutput } from './word-error-rate.js';

/** Options of {@link visualizeAlignment}. */
export interface VisualizeOptions {
  /** Append the SUMMARY block with counts and measures (default true). */
  readonly showMeasures?: boolean;
  /** Skip sentences without errors (default true). */
  readonly skipCorrect?: boolean;
  /** Best-effort wrap width in characters. */
  readonly lineWidth?: number;
  /** Character output (no space between tokens, `cer=` summary). */
  readonly isCer?: boolean;
  /** Only these sentence indexes (0-based), e.g. the worst ones; numbering stays 1-based over the corpus. */
  readonly onlySentences?: readonly number[];
}

function padStart(s: string, width: number): string {
  const n = pyLen(s);
  return n >= width ? s : ' '.repeat(width - n) + s;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function comparison(
  reference: readonly string[],
  hypothesis: readonly string[],
  ops: readonly AlignmentChunk[],
  sep: boolean,
  lineWidth: number | undefined,
): string {
  let refStr = 'REF: ';
  let hypStr = 'HYP: ';
  let opStr = '     ';
  let agg = '';
  for (const op of ops) {
    let ref: string[];
    let hyp: string[];
    let opChar: string;
    if (op.type === 'equal' || op.type === 'substitute') {
      ref = reference.slice(op.refStartIdx, op.refEndIdx);
      hyp = hypothesis.slice(op.hypStartIdx, op.hypEndIdx);
      opChar = op.type === 'equal' ? ' ' : 's';
    } else if (op.type === 'delete') {
      ref = reference.slice(op.refStartIdx, op.refEndIdx);
      hyp = ref.map(() => '*');
      opChar = 'd';
    } else {
      hyp = hypothesis.slice(op.hypStartIdx, op.hypEndIdx);
      ref = hyp.map(() => '*');
      opChar = 'i';
    }
    const n = Math.min(ref.length, hyp.length);
    for (let k = 0; k < n; k++) {
      // k < n, the shorter side's length.
      let rf = ref[k]!;
      let hp = hyp[k]!;
      const strLen = Math.max(pyLen(rf), pyLen(hp), 1);
      if (lineWidth !== undefined && pyLen(refStr) + strLen > lineWidth) {
        agg += sep ? `${refStr.slice(0, -1)}\n${hypStr.slice(0, -1)}\n${opStr.slice(0, -1)}\n\n` : `${refStr}\n${hypStr}\n${opStr}\n\n`;
        refStr = 'REF: ';
        hypStr = 'HYP: ';
        opStr = '     ';
      }
      if (rf === '*') rf = '*'.repeat(strLen);
      else if (hp === '*') hp = '*'.repeat(strLen);
      refStr += padStart(rf, strLen);
      hypStr += padStart(hp, strLen);
      opStr += padStart(opChar.toUpperCase(), strLen);
      if (sep) {
        refStr += ' ';
        hypStr += ' ';
        opStr += ' ';
      }
    }
  }
  return sep ? `${agg}${refStr.slice(0, -1)}\n${hypStr.slice(0, -1)}\n${opStr.slice(0, -1)}\n` : `${agg}${refStr}\n${hypStr}\n${opStr}\n`;
}

/** Renders the alignment of a {@link ProcessOutput} computed with `alignments: true`. */
export function visualizeAlignment(output: ProcessOutput, options: VisualizeOptions = {}): string {
  const { showMeasures = true, skipCorrect = true, lineWidth, isCer = false } = options;
  if (!output.alignments) throw new Error('visualizeAlignment needs an output computed with { alignments: true }');
  const only = options.onlySentences ? new Set(options.onlySentences) : null;
  let s = '';
  output.alignments.forEach((chunks, idx) => {
    if (only && !only.has(idx)) return;
    if (skipCorrect && (chunks.length === 0 || (chunks.length === 1 && chunks[0]?.type === 'equal'))) return;
    const reference = output.references[idx];
    const hypothesis = output.hypotheses[idx];
    if (!reference || !hypothesis)
      throw new Error(
        `visualizeAlignment: sentence ${idx + 1} has an alignment but no tokens (${output.references.length} references, ${output.hypotheses.length} hypotheses)`,
      );
    s += `=== SENTENCE ${idx + 1} ===\n\n`;
    s += comparison(reference, hypothesis, chunks, !isCer, lineWidth);
    s += '\n';
  });
  if (showMeasures) {
    s += '=== SUMMARY ===\n';
    s += `number of sentences: ${output.alignments.length}\n`;
    s += `substitutions=${output.substitutions} deletions=${output.deletions} insertions=${output.insertions} hits=${output.hits}\n`;
    if (isCer) s += `\ncer=${pct(output.wer)}\n`;
    else s += `\nmer=${pct(output.mer)}\nwil=${pct(output.wil)}\nwip=${pct(output.wip)}\nwer=${pct(output.wer)}\n`;
  } else {
    s = s.slice(0, -1);
  }
  return s;
}
