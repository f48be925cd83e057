// Prediction files written by the harnesses' own writer code (harness-fixtures.py runs VLMEvalKit's
// `dump` and lmms-eval's `save_results_samples` of three versions; harness-fixtures.sh regenerates them).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectPredictionFormat, readPredictions } from '../../gateway/score-input/read-predictions.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const json = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;
const pairs = (r: { rows: readonly { id: string; prediction: string | null }[] }) => r.rows.map((x) => [x.id, x.prediction]);

describe('VLMEvalKit dump() output (pandas 1.5.3 + xlsxwriter 3.0.2, VLMEvalKit@e8e78f05)', () => {
  for (const ext of ['xlsx', 'tsv', 'csv', 'json']) {
    it(`reads the ${ext} file`, async () => {
      const file = join(FIXTURES, `GPT4o_MMBench_DEV_EN.${ext}`);
      const expected = await json<[string, string | null][]>(join(FIXTURES, 'GPT4o_MMBench_DEV_EN.expected.json'));
      expect(await detectPredictionFormat(file)).toBe('vlmevalkit');
      const r = await readPredictions(file);
      expect(r.format).toBe('vlmevalkit');
      expect(pairs(r)).toEqual(expected);
    });
  }
});

describe('lmms-eval save_results_samples output', () => {
  for (const version of ['v0.7', 'v0.4', 'v0.3']) {
    it(`reads ${version}'s --log_samples file by doc_id`, async () => {
      const file = join(FIXTURES, 'lmms-eval', version, 'qwen2_vl', '20260801_120000_samples_docvqa_val.jsonl');
      const expected = await json<[string, string, string][]>(join(FIXTURES, 'lmms-eval', 'expected.json'));
      expect(await detectPredictionFormat(file)).toBe('lmms-eval');
      expect(pairs(await readPredictions(file))).toEqual(expected.map(([docId, , p]) => [docId, p]));
    });
  }

  it("reads v0.3's file by doc.question_id (that version kept doc)", async () => {
    const file = join(FIXTURES, 'lmms-eval', 'v0.3', 'qwen2_vl', '20260801_120000_samples_docvqa_val.jsonl');
    const expected = await json<[string, string, string][]>(join(FIXTURES, 'lmms-eval', 'expected.json'));
    expect(pairs(await readPredictions(file, { key: 'doc.question_id' }))).toEqual(expected.map(([, qid, p]) => [qid, p]));
  });
});
