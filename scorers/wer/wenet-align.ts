// WeNet `tools/compute-wer.py` Calculator: a plain DP whose ties prefer
// deletion, then insertion, then the diagonal (it only replaces the running
// minimum when a later candidate is strictly smaller). Used for the `mixed`
// unit so S/D/I splits match the AISHELL recipe's numbers.
import type { AlignmentCounts, EditOp } from './levenshtein-align.js';

const DEL = 1;
const INS = 2;
const COR = 3;
const SUB = 4;

/** Aligns reference and hypothesis token ids the way WeNet's compute-wer.py does. */
export function alignTokensWenet(
  reference: ArrayLike<number>,
  hypothesis: ArrayLike<number>,
  withOps = false,
): { counts: AlignmentCounts; editops: EditOp[] | null } {
  const n = reference.length;
  const m = hypothesis.length;
  const w = m + 1;
  const dist = new Int32Array((n + 1) * w);
  const err = new Uint8Array((n + 1) * w);
  for (let i = 1; i <= n; i++) {
    dist[i * w] = i;
    err[i * w] = DEL;
  }
  for (let j = 1; j <= m; j++) {
    dist[j] = j;
    err[j] = INS;
  }
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      let best = dist[(i - 1) * w + j]! + 1;
      let kind = DEL;
      const ins = dist[i * w + j - 1]! + 1;
      if (ins < best) {
        best = ins;
        kind = INS;
      }
      const same = reference[i - 1] === hypothesis[j - 1];
      const diag = dist[(i - 1) * w + j - 1]! + (same ? 0 : 1);
      if (diag < best) {
        best = diag;
        kind = same ? COR : SUB;
      }
      dist[i * w + j] = best;
      err[i * w + j] = kind;
    }
  }
  const counts: AlignmentCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  const rev: EditOp[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const kind = err[i * w + j]!;
    if (kind === COR) {
      counts.hits++;
      i--;
      j--;
    } else if (kind === SUB) {
      counts.substitutions++;
      i--;
      j--;
      if (withOps) rev.push({ type: 'replace', srcPos: i, destPos: j });
    } else if (kind === DEL) {
      counts.deletions++;
      i--;
      if (withOps) rev.push({ type: 'delete', srcPos: i, destPos: j });
    } else {
      counts.insertions++;
      j--;
      if (withOps) rev.push({ type: 'insert', srcPos: i, destPos: j });
    }
  }
  return { counts, editops: withOps ? rev.reverse() : null };
}
