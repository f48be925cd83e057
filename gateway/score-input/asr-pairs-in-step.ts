// `evalgate score --task asr`'s fast path for the common case: a references manifest of plain asr rows and
// a predictions JSONL in the same order, in UTF-8 whose only whitespace in the texts is the space. The two files are walked line by
// line in step, on bytes, and each pair is counted as it is read: no string, no row object and no id map
// is made, and words are interned straight from the read buffer. On the 100k-pair benchmark that is
// about half the time of reading the rows, joining them by id and counting them (bench/wer).
//
// It answers undefined, having printed nothing, the moment anything is not that common case — invalid
// UTF-8, whitespace other than spaces in a text (tabs, newlines, U+00A0 …: jiwer's rules for them are
// TokenInterner's), an escaped id or key, a lone surrogate, a line it does not read (flat-json-fields.ts), a row of another task or
// with dataset-level fields, a list of references, ids out of step or repeated, one file longer than the
// other, a file it cannot open or that is not a regular file — and `score` reads both files again with the general reader, which
// decides everything, errors included. So the results, and every message, are the general reader's;
// tests/score-input/asr-pairs-in-step.test.ts compares the two on both kinds of file.
import { isAscii, isUtf8 } from 'node:buffer';
import { statSync } from 'node:fs';
import { AsrCorpusCounter } from '../../scorers/wer/asr-corpus-counter.js';
import { hasOtherPyWhitespace, spacePairWordIds } from '../../scorers/wer/space-split-words.js';
import { ByteInterner, FNV_OFFSET, fnv1aStep } from '../../scorers/wer/byte-interner.js';
import { TokenIds } from '../../scorers/wer/token-interner.js';
import type { AsrScoreResult } from '../../scorers/tasks/asr.js';
import { ByteLines } from './byte-lines.js';
import { DecodedBytes, decodeJsonString } from './json-string-bytes.js';
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
    // Regular files only: a pipe (`<(zcat …)`, /dev/stdin) read here could not be read again by the general
    // reader after a refusal. stat, not open: opening a FIFO with no writer would block.
    if (!statSync(referencesFile).isFile() || !statSync(predictionsFile).isFile()) return undefined;
    refs = new ByteLines(referencesFile);
    preds = new ByteLines(predictionsFile);
    if (!refs.isFile() || !preds.isFile()) return undefined;
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
  const refText = new TextSpan();
  const predText = new TextSpan();
  let pairs = 0;
  for (;;) {
    const moreRefs = nextRow(refs);
    const morePreds = nextRow(preds);
    if (moreRefs !== morePreds) return undefined;
    if (!moreRefs) break;
    const r = refs.bytes;
    const p = preds.bytes;
    if (!(refs.ascii || plainUtf8(r, refs.start, refs.end)) || !(preds.ascii || plainUtf8(p, preds.start, preds.end))) return undefined;
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
    if (!refText.read(refFields, REFERENCE, r)) return undefined;
    // a null prediction is the empty answer
    if (pk === FieldKind.Null) predText.empty();
    else if (!predText.read(predFields, PREDICTION, p)) return undefined;
    const common = spacePairWordIds(words, refText.bytes, refText.start, refText.end, predText.bytes, predText.start, predText.end, refIds, hypIds);
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

/**
 * Whether the id field is an id as idFromValue reads one, written so that its bytes are its text: a
 * non-empty string without escapes ("\u0061" and "a" are the same id), or a number (plain integers here).
 */
function isId(f: FlatFields): boolean {
  const k = f.kinds[ID];
  return (k === FieldKind.String && f.escaped[ID] === 0 && f.ends[ID]! > f.starts[ID]!) || k === FieldKind.Int;
}

/**
 * Whether the line b[s, e) can be read on its bytes: valid UTF-8 (the general reader would decode invalid
 * bytes to U+FFFD, making different bytes equal) with no whitespace but spaces (see hasOtherPyWhitespace).
 */
function plainUtf8(b: Buffer, s: number, e: number): boolean {
  const line = b.subarray(s, e);
  return isAscii(line) || (isUtf8(line) && !hasOtherPyWhitespace(b, s, e));
}

/** A text's bytes: the line's own, or their decoded copy when the JSON string has escapes. */
class TextSpan {
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  readonly #decoded = new DecodedBytes();

  /** Points at the empty text. */
  empty(): void {
    this.start = 0;
    this.end = 0;
  }

  /** Points at field k's text on line bytes `b`, decoding its escapes; false when it cannot be read here. */
  read(f: FlatFields, k: number, b: Uint8Array): boolean {
    if (f.escaped[k] === 0) {
      this.bytes = b;
      this.start = f.starts[k]!;
      this.end = f.ends[k]!;
      return true;
    }
    if (!decodeJsonString(b, f.starts[k]!, f.ends[k]!, this.#decoded)) return false;
    this.bytes = this.#decoded.bytes;
    this.start = 0;
    this.end = this.#decoded.length;
    // escapes can spell what a raw line cannot hold: tabs, newlines, U+00A0 …
    return !hasOtherPyWhitespace(this.bytes, 0, this.end);
  }
}
