// Token alignment that reproduces rapidfuzz's `Levenshtein.editops` (the engine
// under jiwer 3/4) including how it breaks ties between equal-cost alignments,
// because the tie decides whether an error counts as S, D or I.
//
// rapidfuzz (rapidfuzz-cpp `Levenshtein_impl.hpp`):
//  1. strips the common prefix and suffix (they never produce edit operations);
//  2. for large problems (≥ 1 MiB of bit matrix, s1 ≥ 65 and s2 ≥ 10 tokens)
//     splits the problem with Hirschberg and recurses (2) on both halves;
//  3. otherwise fills the DP matrix and walks back from the end with the
//     preference: delete (D[i][j] = D[i-1][j] + 1), else step to j-1 and
//     insert when D[i][j-1] = D[i-1][j-1] - 1, else take the diagonal.
// s1 is the reference and s2 the hypothesis, as in jiwer.
//
// Step 3 is done as rapidfuzz does it: the matrix is Hyyrö's bit-parallel one
// (`levenshtein_matrix_hyrroe2003[_block]`), whose VP/VN bits are exactly the
// ±1 differences D[i][j] − D[i−1][j] that the walk back tests, so a row costs
// ⌈len1 / 32⌉ word operations instead of len1 cells. `alignTokensReference`
// keeps the plain DP matrix for the same walk; tests check both agree.

/** One edit operation; positions are token indexes into reference (src) and hypothesis (dest). */
export interface EditOp {
  /** `replace`, `insert` or `delete`, as rapidfuzz names them. */
  readonly type: 'replace' | 'insert' | 'delete';
  /** Index in the reference. */
  readonly srcPos: number;
  /** Index in the hypothesis. */
  readonly destPos: number;
}

/** A run of aligned tokens, as rapidfuzz `opcodes` / jiwer `AlignmentChunk`. */
export interface AlignmentChunk {
  /** jiwer's chunk type: `equal`, `substitute`, `insert` or `delete`. */
  readonly type: 'equal' | 'substitute' | 'insert' | 'delete';
  /** Start index in the reference (inclusive). */
  readonly refStartIdx: number;
  /** End index in the reference (exclusive). */
  readonly refEndIdx: number;
  /** Start index in the hypothesis (inclusive). */
  readonly hypStartIdx: number;
  /** End index in the hypothesis (exclusive). */
  readonly hypEndIdx: number;
}

/** Edit counts of one aligned pair. */
export interface AlignmentCounts {
  /** Reference tokens matched exactly. */
  hits: number;
  /** Reference tokens replaced by a different hypothesis token. */
  substitutions: number;
  /** Reference tokens missing from the hypothesis. */
  deletions: number;
  /** Hypothesis tokens with no reference counterpart. */
  insertions: number;
}

type Tokens = ArrayLike<number>;

// Reused DP buffer: one allocation for the life of the process, grown on demand,
// so that scoring 100k utterances does not allocate 100k matrices.
let matrix = new Int32Array(1024);

function ensureMatrix(cells: number): Int32Array {
  if (matrix.length < cells) matrix = new Int32Array(Math.max(cells, matrix.length * 2));
  return matrix;
}

/**
 * Aligns s1[b1, e1) with s2[b2, e2) on the full DP matrix and appends the edit
 * operations in forward order to `out`. `counts` (when given) is incremented.
 */
function alignDense(s1: Tokens, b1: number, e1: number, s2: Tokens, b2: number, e2: number, out: EditOp[] | null, counts: AlignmentCounts): void {
  const len1 = e1 - b1;
  const len2 = e2 - b2;
  if (len1 === 0 || len2 === 0) {
    counts.deletions += len1;
    counts.insertions += len2;
    if (out) {
      for (let i = 0; i < len1; i++) out.push({ type: 'delete', srcPos: b1 + i, destPos: b2 });
      for (let j = 0; j < len2; j++) out.push({ type: 'insert', srcPos: b1, destPos: b2 + j });
    }
    return;
  }
  const w = len1 + 1;
  const d = ensureMatrix(w * (len2 + 1));
  // d[j * w + i] = distance between s1[b1, b1+i) and s2[b2, b2+j)
  for (let i = 0; i <= len1; i++) d[i] = i;
  for (let j = 1; j <= len2; j++) {
    const row = j * w;
    const prev = row - w;
    const c2 = s2[b2 + j - 1]!;
    d[row] = j;
    let left = j;
    for (let i = 1; i <= len1; i++) {
      const diag = d[prev + i - 1]! + (s1[b1 + i - 1] === c2 ? 0 : 1);
      const up = d[prev + i]! + 1;
      const v0 = left + 1;
      let v = diag < up ? diag : up;
      if (v0 < v) v = v0;
      d[row + i] = v;
      left = v;
    }
  }
  // Backtrace (recover_alignment). Collect in reverse, then emit forward.
  const rev: EditOp[] | null = out ? [] : null;
  let col = len1;
  let row = len2;
  while (row > 0 && col > 0) {
    if (d[row * w + col]! - d[row * w + col - 1]! === 1) {
      col--;
      counts.deletions++;
      rev?.push({ type: 'delete', srcPos: b1 + col, destPos: b2 + row });
    } else {
      row--;
      if (row > 0 && d[row * w + col]! - d[row * w + col - 1]! === -1) {
        counts.insertions++;
        rev?.push({ type: 'insert', srcPos: b1 + col, destPos: b2 + row });
      } else {
        col--;
        if (s1[b1 + col] !== s2[b2 + row]) {
          counts.substitutions++;
          rev?.push({ type: 'replace', srcPos: b1 + col, destPos: b2 + row });
        }
      }
    }
  }
  while (col > 0) {
    col--;
    counts.deletions++;
    rev?.push({ type: 'delete', srcPos: b1 + col, destPos: b2 + row });
  }
  while (row > 0) {
    row--;
    counts.insertions++;
    rev?.push({ type: 'insert', srcPos: b1 + col, destPos: b2 + row });
  }
  if (out && rev) for (const op of rev.reverse()) out.push(op);
}

/** A full-matrix aligner for one (sub)problem: {@link alignDense} or {@link alignBits}. */
type Leaf = (s1: Tokens, b1: number, e1: number, s2: Tokens, b2: number, e2: number, out: EditOp[] | null, counts: AlignmentCounts) => void;

// Token ids the bit-parallel aligner indexes a table with (every code point, and
// 4M interned words; the table grows to the largest id seen); others go to alignDense.
/** The most 32-bit words the bit-parallel aligner keeps for its pattern and VP/VN rows (4M words, 16 MB) before it takes the plain matrix. */
const MAX_PATTERN_WORDS = 1 << 22;
const MAX_BIT_ID = 1 << 22;
// slot[id] = 1 + the pattern row of token `id` while s1 is loaded, else 0.
let slot: Int32Array = new Int32Array(1024);
// Pattern-match bits: pm[(slot − 1) · words + w] has bit b set where s1[32w + b] is that token.
let pm: Int32Array = new Int32Array(64);
// The matrix: VP/VN bits of every row, `words` Int32s per row.
let vpRows: Int32Array = new Int32Array(256);
let vnRows: Int32Array = new Int32Array(256);
// The running column of the multi-word version.
let vpCol: Int32Array = new Int32Array(8);
let vnCol: Int32Array = new Int32Array(8);

function grownInt32(a: Int32Array, n: number): Int32Array {
  return a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
}

/**
 * Same alignment as {@link alignDense}, on Hyyrö's bit-parallel matrix
 * (rapidfuzz `levenshtein_matrix_hyrroe2003`, `_block` beyond 32 tokens): for
 * each hypothesis token, the VP/VN words say where D[i][j] − D[i−1][j] is +1 or
 * −1, which is all the walk back (rapidfuzz `recover_alignment`) reads.
 */
function alignBits(s1: Tokens, b1: number, e1: number, s2: Tokens, b2: number, e2: number, out: EditOp[] | null, counts: AlignmentCounts): void {
  const len1 = e1 - b1;
  const len2 = e2 - b2;
  if (len1 === 0 || len2 === 0) {
    alignDense(s1, b1, e1, s2, b2, e2, out, counts);
    return;
  }
  const words = (len1 + 31) >>> 5;
  for (let i = 0; i < len1; i++) {
    const id = s1[b1 + i]!;
    if (!(id >= 0 && id < MAX_BIT_ID && (id | 0) === id)) {
      alignDense(s1, b1, e1, s2, b2, e2, out, counts);
      return;
    }
    if (id >= slot.length) slot = grownInt32(slot, id + 1);
  }
  // One bit row per distinct reference token, not per position: a long reference of few distinct
  // tokens (a CER reference against a short answer) would otherwise need len1² / 32 words.
  let patterns = 0;
  for (let i = 0; i < len1; i++) {
    const id = s1[b1 + i]!;
    if (slot[id] === 0) slot[id] = ++patterns;
  }
  if (patterns * words > MAX_PATTERN_WORDS || len2 * words > MAX_PATTERN_WORDS) {
    // Past ~16 MB of bit rows the plain matrix (two rows of len1) is the smaller one.
    for (let i = 0; i < len1; i++) slot[s1[b1 + i]!] = 0;
    alignDense(s1, b1, e1, s2, b2, e2, out, counts);
    return;
  }
  pm = grownInt32(pm, patterns * words);
  pm.fill(0, 0, patterns * words);
  for (let i = 0; i < len1; i++) {
    const p = slot[s1[b1 + i]!]!;
    pm[(p - 1) * words + (i >>> 5)]! |= 1 << (i & 31);
  }
  const cells = len2 * words;
  if (vpRows.length < cells) {
    vpRows = grownInt32(vpRows, cells);
    vnRows = grownInt32(vnRows, cells);
  }
  const slots = slot;
  const slotLen = slots.length;
  const pmv = pm;
  const vpr = vpRows;
  const vnr = vnRows;
  if (words === 1) {
    let vp = -1;
    let vn = 0;
    for (let j = 0; j < len2; j++) {
      const id = s2[b2 + j]!;
      const p = id >= 0 && id < slotLen ? slots[id]! | 0 : 0;
      const x = (p === 0 ? 0 : pmv[p - 1]!) | vn;
      const d0 = (((x & vp) + vp) ^ vp) | x;
      const hp = ((vn | ~(d0 | vp)) << 1) | 1 | 0;
      const hn = (d0 & vp) << 1;
      vp = hn | ~(d0 | hp);
      vn = hp & d0;
      vpr[j] = vp;
      vnr[j] = vn;
    }
  } else {
    if (vpCol.length < words) {
      vpCol = grownInt32(vpCol, words);
      vnCol = grownInt32(vnCol, words);
    }
    const vpc = vpCol;
    const vnc = vnCol;
    vpc.fill(-1, 0, words);
    vnc.fill(0, 0, words);
    for (let j = 0; j < len2; j++) {
      const id = s2[b2 + j]!;
      const p = id >= 0 && id < slotLen ? slots[id]! | 0 : 0;
      const base = (p - 1) * words;
      const row = j * words;
      let addCarry = 0;
      let hpCarry = 1;
      let hnCarry = 0;
      for (let w = 0; w < words; w++) {
        const vp = vpc[w]!;
        const vn = vnc[w]!;
        const x = (p === 0 ? 0 : pmv[base + w]!) | vn;
        // (x & vp) + vp + carry over 32 bits, carrying into the next word
        const sum = ((x & vp) >>> 0) + (vp >>> 0) + addCarry;
        addCarry = sum > 0xffffffff ? 1 : 0;
        const d0 = ((sum | 0) ^ vp) | x;
        const hpw = vn | ~(d0 | vp);
        const hnw = d0 & vp;
        const hp = (hpw << 1) | hpCarry;
        const hn = (hnw << 1) | hnCarry;
        hpCarry = hpw >>> 31;
        hnCarry = hnw >>> 31;
        const nvp = hn | ~(d0 | hp);
        const nvn = hp & d0;
        vpc[w] = nvp;
        vnc[w] = nvn;
        vpr[row + w] = nvp;
        vnr[row + w] = nvn;
      }
    }
  }
  for (let i = 0; i < len1; i++) slots[s1[b1 + i]!] = 0;
  // Walk back (recover_alignment), as alignDense does on the full matrix.
  const rev: EditOp[] | null = out ? [] : null;
  let col = len1;
  let row = len2;
  let subs = 0;
  let dels = 0;
  let ins = 0;
  while (row > 0 && col > 0) {
    const c = col - 1;
    const bit = 1 << (c & 31);
    if ((vpr[(row - 1) * words + (c >>> 5)]! & bit) !== 0) {
      col--;
      dels++;
      rev?.push({ type: 'delete', srcPos: b1 + col, destPos: b2 + row });
    } else {
      row--;
      if (row > 0 && (vnr[(row - 1) * words + (c >>> 5)]! & bit) !== 0) {
        ins++;
        rev?.push({ type: 'insert', srcPos: b1 + col, destPos: b2 + row });
      } else {
        col--;
        if (s1[b1 + col] !== s2[b2 + row]) {
          subs++;
          rev?.push({ type: 'replace', srcPos: b1 + col, destPos: b2 + row });
        }
      }
    }
  }
  // what is left of either side is deleted or inserted
  counts.substitutions += subs;
  counts.deletions += dels + col;
  counts.insertions += ins + row;
  if (out && rev) {
    while (col > 0) rev.push({ type: 'delete', srcPos: b1 + --col, destPos: b2 + row });
    while (row > 0) rev.push({ type: 'insert', srcPos: b1 + col, destPos: b2 + --row });
    for (let k = rev.length - 1; k >= 0; k--) out.push(rev[k]!);
  }
}

/** Distances from s1[b1, b1+i) (i = 0..len1) to s2[b2, b2+rows), one DP row. */
function lastRow(s1: Tokens, b1: number, e1: number, s2: Tokens, b2: number, rows: number, reversed: boolean): Int32Array {
  const len1 = e1 - b1;
  let cur = new Int32Array(len1 + 1);
  let nxt = new Int32Array(len1 + 1);
  for (let i = 0; i <= len1; i++) cur[i] = i;
  for (let j = 1; j <= rows; j++) {
    const c2 = reversed ? s2[b2 - j]! : s2[b2 + j - 1]!;
    nxt[0] = j;
    for (let i = 1; i <= len1; i++) {
      const c1 = reversed ? s1[e1 - i]! : s1[b1 + i - 1]!;
      const diag = cur[i - 1]! + (c1 === c2 ? 0 : 1);
      const up = cur[i]! + 1;
      const lf = nxt[i - 1]! + 1;
      nxt[i] = diag < up ? (diag < lf ? diag : lf) : up < lf ? up : lf;
    }
    const t = cur;
    cur = nxt;
    nxt = t;
  }
  return cur;
}

function alignHirschberg(
  s1: Tokens,
  b1: number,
  e1: number,
  s2: Tokens,
  b2: number,
  e2: number,
  maxDist: number,
  out: EditOp[] | null,
  counts: AlignmentCounts,
  leaf: Leaf,
): void {
  // common affix never produces edit operations
  while (b1 < e1 && b2 < e2 && s1[b1] === s2[b2]) {
    b1++;
    b2++;
  }
  while (b1 < e1 && b2 < e2 && s1[e1 - 1] === s2[e2 - 1]) {
    e1--;
    e2--;
  }
  const len1 = e1 - b1;
  const len2 = e2 - b2;
  const max = Math.min(maxDist, Math.max(len1, len2));
  const fullBand = Math.min(len1, 2 * max + 1);
  const matrixBytes = Math.floor((2 * fullBand * len2) / 8);
  if (matrixBytes < 1024 * 1024 || len1 < 65 || len2 < 10) {
    leaf(s1, b1, e1, s2, b2, e2, out, counts);
    return;
  }
  // find_hirschberg_pos: split s2 in half, choose the first s1 split (≥ 1)
  // minimising left + right distance.
  const leftSize = Math.floor(len2 / 2);
  const rightSize = len2 - leftSize;
  const left = lastRow(s1, b1, e1, s2, b2, leftSize, false);
  const right = lastRow(s1, b1, e1, s2, e2, rightSize, true);
  let best = Number.MAX_SAFE_INTEGER;
  let s1Mid = 1;
  let leftScore = 0;
  let rightScore = 0;
  for (let i = 0; i < len1; i++) {
    const l = left[i + 1]!;
    const r = right[len1 - i - 1]!;
    if (l + r < best) {
      best = l + r;
      leftScore = l;
      rightScore = r;
      s1Mid = i + 1;
    }
  }
  alignHirschberg(s1, b1, b1 + s1Mid, s2, b2, b2 + leftSize, leftScore, out, counts, leaf);
  alignHirschberg(s1, b1 + s1Mid, e1, s2, b2 + leftSize, e2, rightScore, out, counts, leaf);
}

/**
 * Aligns reference tokens with hypothesis tokens (integer ids: equal ids are
 * equal tokens) exactly as rapidfuzz `Levenshtein.editops(reference, hypothesis)`.
 * Returns the counts and, when `withOps` is true, the edit operations in order.
 */
export function alignTokens(reference: Tokens, hypothesis: Tokens, withOps = false): { counts: AlignmentCounts; editops: EditOp[] | null } {
  return alignWith(alignBits, reference, hypothesis, withOps);
}

/**
 * {@link alignTokens} on the plain DP matrix (one cell per token pair) instead
 * of the bit-parallel one: the reference the fast path is tested against.
 */
export function alignTokensReference(reference: Tokens, hypothesis: Tokens, withOps = false): { counts: AlignmentCounts; editops: EditOp[] | null } {
  return alignWith(alignDense, reference, hypothesis, withOps);
}

function alignWith(leaf: Leaf, reference: Tokens, hypothesis: Tokens, withOps: boolean): { counts: AlignmentCounts; editops: EditOp[] | null } {
  const counts: AlignmentCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  const out: EditOp[] | null = withOps ? [] : null;
  alignHirschberg(reference, 0, reference.length, hypothesis, 0, hypothesis.length, Number.MAX_SAFE_INTEGER, out, counts, leaf);
  // only edits are counted while aligning; every other reference token is a hit
  counts.hits = reference.length - counts.substitutions - counts.deletions;
  return { counts, editops: out };
}

/**
 * Counts-only {@link alignTokens} for hot loops: aligns reference[0, refLen)
 * with hypothesis[0, hypLen) and ADDS the substitutions, deletions and
 * insertions to `counts` (hits are left alone: they are refLen − S − D). No
 * allocation per call once the shared buffers have grown.
 */
export function addEditCounts(reference: Tokens, refLen: number, hypothesis: Tokens, hypLen: number, counts: AlignmentCounts): void {
  alignHirschberg(reference, 0, refLen, hypothesis, 0, hypLen, Number.MAX_SAFE_INTEGER, null, counts, alignBits);
}

/** rapidfuzz `Opcodes(Editops)`: merges consecutive operations and fills `equal` runs. */
export function editopsToChunks(editops: readonly EditOp[], srcLen: number, destLen: number): AlignmentChunk[] {
  const chunks: AlignmentChunk[] = [];
  let src = 0;
  let dest = 0;
  let i = 0;
  // Whether `next` extends the run of `type` that ends at (src, dest).
  const extendsRun = (next: EditOp | undefined, type: EditOp['type']): boolean =>
    next !== undefined && next.type === type && src === next.srcPos && dest === next.destPos;
  for (let op = editops[i]; op !== undefined; op = editops[i]) {
    if (src < op.srcPos || dest < op.destPos) {
      chunks.push({ type: 'equal', refStartIdx: src, refEndIdx: op.srcPos, hypStartIdx: dest, hypEndIdx: op.destPos });
      src = op.srcPos;
      dest = op.destPos;
    }
    const srcBegin = src;
    const destBegin = dest;
    const type = op.type;
    do {
      if (type === 'replace') {
        src++;
        dest++;
      } else if (type === 'insert') dest++;
      else src++;
      i++;
    } while (extendsRun(editops[i], type));
    chunks.push({
      type: type === 'replace' ? 'substitute' : type,
      refStartIdx: srcBegin,
      refEndIdx: src,
      hypStartIdx: destBegin,
      hypEndIdx: dest,
    });
  }
  if (src < srcLen || dest < destLen) {
    chunks.push({ type: 'equal', refStartIdx: src, refEndIdx: srcLen, hypStartIdx: dest, hypEndIdx: destLen });
  }
  return chunks;
}

/** Plain Levenshtein distance over code points (used by ANLS and NED). */
export function levenshteinDistance(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  // lastRow has len1 + 1 entries: the last is the whole distance.
  return lastRow(x, 0, x.length, y, 0, y.length, false)[x.length]!;
}
