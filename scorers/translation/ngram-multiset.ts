// Fast n-gram counting for BLEU and chrF without building n-gram strings or hashing them.
// The items (tokens or code points) of one sample get local ids 1..V; then, order by
// order, each n-gram gets a dense id from the pair (id of its (n-1)-gram prefix, id of its
// last item) through a direct-address table, shared by the hypothesis and the references
// so equal n-grams get equal ids. Clipped matches are then counts in small integer arrays.
// The scratch arrays are module-level and reset after each use (the functions are synchronous).

let table: Int32Array = new Int32Array(1 << 16);
let hypCount: Int32Array = new Int32Array(1 << 12);
let refMax: Int32Array = new Int32Array(1 << 12);
let refTmp: Int32Array = new Int32Array(1 << 12);

/** Largest direct-address table used; samples needing more fall back to string keys. */
export const MAX_TABLE = 1 << 24;

function atLeast(a: Int32Array, size: number): Int32Array {
  if (a.length >= size) return a;
  let n = a.length;
  while (n < size) n *= 2;
  return new Int32Array(n);
}

/** Local ids, from 1, for the tokens or code points of one sample. */
export class LocalIds {
  private readonly ids = new Map<string | number, number>();

  private idOf(key: string | number): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
    }
    return id;
  }

  /** Ids of whole strings (tokens, words). */
  idsOf(items: readonly string[]): Int32Array {
    const out = new Int32Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = this.idOf(items[i]!);
    return out;
  }

  /** Ids of the code points of a string (Python's characters). */
  codePointIdsOf(s: string): Int32Array {
    const out: number[] = [];
    for (let i = 0; i < s.length;) {
      const cp = s.codePointAt(i)!;
      out.push(this.idOf(cp));
      i += cp > 0xffff ? 2 : 1;
    }
    return Int32Array.from(out);
  }

  /** Number of distinct items seen. */
  get size(): number {
    return this.ids.size;
  }
}

/** Dense n-gram ids of every order 1..maxOrder, per sequence: result[n-1][s] has one id per position. */
export interface NgramIds {
  ids: Int32Array[][];
  /** Number of distinct n-grams per order (ids run from 1 to it). */
  distinct: number[];
}

/** {@link NgramIds} for sequences sharing one id space; undefined when a table would exceed {@link MAX_TABLE}. */
export function ngramIds(seqs: readonly Int32Array[], maxOrder: number, vocabulary: number): NgramIds | undefined {
  const base = vocabulary + 1;
  const ids: Int32Array[][] = [seqs.map((s) => s)];
  const distinct = [vocabulary];
  for (let n = 2; n <= maxOrder; n++) {
    const prevIds = ids[n - 2]!;
    const size = (distinct[n - 2]! + 1) * base;
    if (size > MAX_TABLE) return undefined;
    table = atLeast(table, size);
    let next = 0;
    const level = seqs.map((seq, s) => {
      const prev = prevIds[s]!;
      const count = Math.max(0, seq.length - n + 1);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const k = prev[i]! * base + seq[i + n - 1]!;
        let v = table[k]!;
        if (v === 0) {
          v = ++next;
          table[k] = v;
        }
        out[i] = v;
      }
      return out;
    });
    // Reset exactly the entries this order used.
    for (let s = 0; s < seqs.length; s++) {
      const prev = prevIds[s]!;
      const seq = seqs[s]!;
      for (let i = 0; i + n <= seq.length; i++) table[prev[i]! * base + seq[i + n - 1]!] = 0;
    }
    ids.push(level);
    distinct.push(next);
  }
  return { ids, distinct };
}

/** Σ over n-grams of min(count in hyp, largest count in any one ref): BLEU's clipped matches (chrF's with one ref). */
export function clippedMatches(hyp: Int32Array, refs: readonly Int32Array[], distinct: number): number {
  hypCount = atLeast(hypCount, distinct + 1);
  for (const id of hyp) hypCount[id]!++;
  let m = 0;
  if (refs.length === 1) {
    const ref = refs[0]!;
    for (const id of ref) {
      if (hypCount[id]! > 0) {
        hypCount[id]!--;
        m++;
      }
    }
    for (const id of hyp) hypCount[id] = 0;
    return m;
  }
  refMax = atLeast(refMax, distinct + 1);
  refTmp = atLeast(refTmp, distinct + 1);
  for (const ref of refs) {
    for (const id of ref) refTmp[id]!++;
    for (const id of ref) {
      if (refTmp[id]! > refMax[id]!) refMax[id] = refTmp[id]!;
    }
    for (const id of ref) refTmp[id] = 0;
  }
  for (const id of hyp) {
    const c = hypCount[id]!;
    if (c > 0) {
      m += Math.min(c, refMax[id]!);
      hypCount[id] = 0;
    }
  }
  for (const ref of refs) for (const id of ref) refMax[id] = 0;
  return m;
}
