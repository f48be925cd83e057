import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { EvalgateError } from '../errors.js';
import { firstJsonlLine, readJsonDocument } from './jsonl-lines.js';
import { badAt, nameList, unreadable, type PredictionFormat } from './prediction-rows.js';

/** xlsx is a zip: its first bytes are a local file header. */
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * The layout of a prediction file:
 * - `.xlsx`, `.csv`, `.tsv`, or a zip's magic bytes → vlmevalkit (its header is checked when read);
 * - a `.json` document: an array of records with `prediction` → vlmevalkit (PRED_FORMAT=json);
 *   an object with a `logs` array → lmms-eval (0.1/0.2's `<task>.json`);
 * - otherwise JSONL, by the first non-blank line's keys: `doc_id` with `filtered_resps` or `resps` →
 *   lmms-eval; `prediction` → jsonl.
 * Anything else is an error naming the keys found and the ones each layout needs.
 */
export async function detectPredictionFormat(file: string): Promise<PredictionFormat> {
  const ext = extname(file).toLowerCase();
  if (ext === '.xlsx' || ext === '.csv' || ext === '.tsv') return 'vlmevalkit';
  if (ext === '.xls') throw badAt(file, 0, 'file', 'legacy binary .xls is not read; save it as .xlsx (VLMEvalKit writes .xlsx)');
  if (await startsWith(file, ZIP_MAGIC)) return 'vlmevalkit';
  if (ext === '.json') {
    // Whole JSON documents: VLMEvalKit's PRED_FORMAT=json (an array of records) and lmms-eval 0.1/0.2's
    // <task>.json ({"logs": [samples]}). Anything else falls through to JSONL (one line named .json).
    const doc = await readJsonDocument(file);
    if (Array.isArray(doc)) {
      const first: unknown = doc[0];
      const keys = first !== null && typeof first === 'object' && !Array.isArray(first) ? Object.keys(first) : [];
      if (keys.includes('prediction')) return 'vlmevalkit';
      throw badAt(
        file,
        'record 1',
        'record',
        `unknown prediction layout: a JSON array whose first record has keys ${nameList(keys)}; expected "index" and "prediction" (VLMEvalKit PRED_FORMAT=json)`,
      );
    }
    if (doc !== null && typeof doc === 'object' && Array.isArray((doc as Record<string, unknown>).logs)) return 'lmms-eval';
  }
  const first = await firstJsonlLine(file, { pythonFloats: true }).catch((err: unknown) => {
    if (!(err instanceof EvalgateError) || err.params.field !== 'line') throw err;
    throw badAt(
      file,
      err.params.line ?? 1,
      'line',
      `${String(err.params.detail)}; expected JSONL ({"id", "prediction"} or lmms-eval --log_samples), or an .xlsx/.tsv/.csv VLMEvalKit table`,
    );
  });
  if (first === undefined) throw badAt(file, 0, 'file', 'empty: no prediction lines');
  const keys = Object.keys(first.value);
  const has = (k: string) => keys.includes(k);
  if (has('doc_id') && (has('filtered_resps') || has('resps'))) return 'lmms-eval';
  if (has('prediction')) return 'jsonl';
  throw badAt(
    file,
    first.line,
    'line',
    `unknown prediction layout: keys found ${nameList(keys)}; expected "id" and "prediction" (jsonl) or "doc_id" and "filtered_resps"/"resps" (lmms-eval --log_samples); --format forces a layout`,
  );
}

async function startsWith(file: string, magic: Buffer): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    const buf = Buffer.alloc(magic.length);
    const { bytesRead } = await handle.read(buf, 0, magic.length, 0);
    return bytesRead === magic.length && buf.equals(magic);
  } finally {
    await handle.close();
  }
}
