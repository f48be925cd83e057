// `evalgate score --task asr`'s fast path for the common case: an ASCII references manifest of plain asr
// rows and a predictions JSONL in the same order, with no JSON escapes. The two files are walked line by
// line in step, on bytes, and each pair is counted as it is read: no string, no row object and no id map
// is made, and words are interned straight from the read buffer. On the 100k-pair benchmark that is
// about half the time of reading the rows, joining them by id and counting them (bench/wer).
//
// It answers undefined, having printed nothing, the moment anything is not that common case — a byte
// outside ASCII, a backslash, a line it does not read (flat-json-fields.ts), a row of another task or
// with dataset-level fields, a list of references, ids out of step or repeated, one file longer than the
// other, a file it cannot open — and `score` reads both files again with the general reader, which
// decides everything, errors included. So the results, and every message, are the general reader's;
// tests/score-input/asr-pairs-in-step.test.ts compares the two on both kinds of file.
import { AsrCorpusCounter } from '../../scorers/wer/asr-corpus-counter.js';
import { asciiPairWordIds } from '../../scorers/wer/ascii-word-ids.js';
import { ByteInterner, FNV_OFFSET, fnv1aStep } from '../../scorers/wer/byte-interner.js';
import { TokenIds } from '../../scorers/wer/token-interner.js';
import type { AsrScoreResult } from '../../scorers/tasks/asr.js';
import { ByteLines } from './byte-lines.js';
import { FieldKind, FlatFields, sameBytes } from './flat-json-fields.js';

/** What the fast path counted: the asr result (word unit, no normalizer, no per-sample entries, none missing) and the number of pairs. */
export interface AsrInStep {
  readonly result: AsrScoreResult;
  readonly pairs: number;
}

// Field indexes: references are read for [id, task, reference], predictions for [id, prediction].
const ID = 0;
const TASK = 1;
const REFERENCE = 2;
const PREDICTION = 1;
const ASR = Buffer.from('asr', 'latin1');
// Rows with these fields are not plain asr rows (dataset-level settings, human answers): the general reader's.
const REFERENCE_REFUSED = ['labels', 'label_synonyms', 'answers'];
// A first line with these keys is lmms-eval's layout, not evalgate's {id, prediction}.
const PREDICTION_REFUSED = ['doc_id', 'filtered_resps', 'resps'];
// Layouts detected by the file's name (detect-prediction-format.ts): never JSONL read here.
const OTHER_LAYOUT = /\.(xlsx|xls|csv|tsv|json)$/i;

/**
 * asr corpus counts of `predictionsFile` against `referencesFile`, joined by id, with the word unit and
 * no normalizer — or undefined when the files are not the common case above. `onlyTask` is `--task`.
 */
export function countAsrPairsInStep(referencesFile: string, predictionsFile: string, onlyTask: string | undefined): AsrInStep | undefined {
  if (OTHER_LAYOUT.test(predictionsFile) || (onlyTask !== undefined && onlyTask !== 'asr')) return undefined;
  let refs: ByteLines | undefined;
  let preds: ByteLines | undefined;
  try {
    refs = new ByteLines(referencesFile);
    preds = new ByteLines(predictionsFile);
    return countInStep(refs, preds, onlyTask === 'asr');
  } catch (err) {
    // unreadable files (and any read error) are the general reader's to report
    if (typeof (err as NodeJS.ErrnoException).code === 'string') return undefined;
    throw err;
  } finally {
    refs?.close();
    preds?.close();
  }
}

function countInStep(refs: ByteLines, preds: ByteLines, taskGiven: boolean): AsrInStep | undefined {
  const refFields = new FlatFields(['id', 'task', 'reference'], REFERENCE_REFUSED);
  const predFields = new FlatFields(['id', 'prediction'], PREDICTION_REFUSED);
  const counter = new AsrCorpusCounter('word', 'none', (s) => s);
  const words = new ByteInterner();
  const ids = new IdPrints();
  const refIds = new TokenIds();
  const hypIds = new TokenIds();
  let pairs = 0;
  for (;;) {
    const moreRefs = nextRow(refs);
    const morePreds = nextRow(preds);
    if (!refs.plain || !preds.plain || moreRefs !== morePreds) return undefined;
    if (!moreRefs) break;
    const r = refs.bytes;
    const p = preds.bytes;
    if (!refFields.scan(r, refs.start, refs.end) || !predFields.scan(p, preds.start, preds.end)) return undefined;
    if (!isId(refFields) || !isId(predFields)) return undefined;
    const rk = refFields.kinds;
    if (rk[REFERENCE] !== FieldKind.String) return undefined;
    if (
      rk[TASK] === FieldKind.Absent
        ? !taskGiven
        : rk[TASK] !== FieldKind.String || !sameBytes(ASR, 0, ASR.length, r, refFields.starts[TASK]!, refFields.ends[TASK]!)
    ) {
      return undefined;
    }
    // in step: the prediction names this row's id (as text: 7 and "7" are the same id, as idFromValue reads them)
    const is = refFields.starts[ID]!;
    const ie = refFields.ends[ID]!;
    if (!sameBytes(r, is, ie, p, predFields.starts[ID]!, predFields.ends[ID]!)) return undefined;
    ids.add(r, is, ie);
    const pk = predFields.kinds[PREDICTION];
    if (pk !== FieldKind.String && pk !== FieldKind.Null) return undefined;
    // a null prediction is the empty answer
    const ps = pk === FieldKind.String ? predFields.starts[PREDICTION]! : 0;
    const pe = pk === FieldKind.String ? predFields.ends[PREDICTION]! : 0;
    const common = asciiPairWordIds(words, r, refFields.starts[REFERENCE]!, refFields.ends[REFERENCE]!, p, ps, pe, refIds, hypIds);
    counter.addWordIds(refIds, hypIds, common);
    pairs++;
  }
  // a repeated id is the general reader's error (and it names both lines)
  if (pairs === 0 || ids.anyRepeat()) return undefined;
  return { result: counter.result([], []), pairs };
}

/**
 * 53-bit fingerprints of the ids (two independent 32-bit hashes, one cut to 21 bits), sorted at the end to
 * find a repeat: cheaper than a set of 100k ids, and exact where it matters — equal ids always have equal
 * fingerprints, and two different ids that share one (about one chance in 10^7 on 100k ids) only send
 * the files to the general reader, which finds them different.
 */
class IdPrints {
  #prints = new Float64Array(1 << 14);
  #count = 0;

  add(b: Uint8Array, s: number, e: number): void {
    let h1 = FNV_OFFSET;
    let h2 = 0x2545f491;
    for (let k = s; k < e; k++) {
      h1 = fnv1aStep(h1, b[k]!);
      h2 = Math.imul(h2 ^ b[k]!, 0x5bd1e995) ^ (h2 >>> 15);
    }
    if (this.#count === this.#prints.length) {
      const grown = new Float64Array(this.#count * 2);
      grown.set(this.#prints);
      this.#prints = grown;
    }
    this.#prints[this.#count++] = (h1 >>> 0) * 0x200000 + (h2 & 0x1fffff);
  }

  /** Whether two ids added share a fingerprint (a repeated id, or rarely two that collide). */
  anyRepeat(): boolean {
    const sorted = this.#prints.subarray(0, this.#count).sort();
    for (let k = 1; k < sorted.length; k++) if (sorted[k] === sorted[k - 1]) return true;
    return false;
  }
}

/** Moves to the next line that is not blank (spaces and tabs only: what the general reader skips, for ASCII). */
function nextRow(lines: ByteLines): boolean {
  while (lines.next()) {
    const b = lines.bytes;
    let i = lines.start;
    while (i < lines.end && (b[i] === 32 || b[i] === 9)) i++;
    if (i < lines.end) return true;
  }
  return false;
}

/** Whether the id field is an id as idFromValue reads one: a non-empty string, or a number (only plain integers here). */
function isId(f: FlatFields): boolean {
  const k = f.kinds[ID];
  return (k === FieldKind.String && f.ends[ID]! > f.starts[ID]!) || k === FieldKind.Int;
}
