// Prediction files from other harnesses (issue 15): each layout is written here the way its harness
// writes it, read back through readPredictions, and checked id by id.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalgateError } from '../../gateway/errors.js';
import { detectPredictionFormat, matchByPosition, readPredictions } from '../../gateway/score-input/read-predictions.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-preds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

/** The error a promise rejects with, which must be an EvalgateError. */
async function failure(p: Promise<unknown>): Promise<EvalgateError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EvalgateError);
  return err as EvalgateError;
}

const pairs = (r: { rows: readonly { id: string; prediction: string | null }[] }) => r.rows.map((x) => [x.id, x.prediction]);

describe('plain {id, prediction} JSONL', () => {
  it('reads string and number ids, string and null predictions, skipping blank lines', async () => {
    const f = await file('plain.jsonl', '{"id": "a", "prediction": "hello"}\n\n{"id": 7, "prediction": null}\r\n{"id": "b", "prediction": ""}\n');
    const r = await readPredictions(f);
    expect(r.format).toBe('jsonl');
    expect(r.key).toBe('id');
    expect(pairs(r)).toEqual([
      ['a', 'hello'],
      ['7', null],
      ['b', ''],
    ]);
    expect(r.rows.map((x) => x.where)).toEqual([1, 3, 4]);
  });

  it('refuses a duplicate id, naming both lines', async () => {
    const f = await file('dup.jsonl', '{"id": "a", "prediction": "x"}\n{"id": "b", "prediction": "y"}\n{"id": "a", "prediction": "z"}\n');
    const e = await failure(readPredictions(f));
    expect(e.code).toBe('EVALGATE_ERR_MANIFEST_INVALID');
    expect(e.message).toContain(`${f}:3: id: duplicate id "a" (first at line 1)`);
  });

  it('refuses a non-string prediction and a missing id, naming the line', async () => {
    const f1 = await file('num.jsonl', '{"id": "a", "prediction": "x"}\n{"id": "b", "prediction": 3}\n');
    expect((await failure(readPredictions(f1))).message).toContain(`${f1}:2: prediction: must be a string or null, not number 3`);
    const f2 = await file('noid.jsonl', '{"id": "a", "prediction": "x"}\n{"qid": "b", "prediction": "y"}\n');
    const e = await failure(readPredictions(f2));
    expect(e.message).toContain(`${f2}:2: id: missing`);
    expect(e.message).toContain('"qid", "prediction"');
  });

  it('takes the id from another field with key', async () => {
    const f = await file('qid.jsonl', '{"question_id": 12, "prediction": "B"}\n{"question_id": 13, "prediction": "C"}\n');
    expect(pairs(await readPredictions(f, { key: 'question_id' }))).toEqual([
      ['12', 'B'],
      ['13', 'C'],
    ]);
  });

  it('streams a large file in chunks: lines and multi-byte characters split across chunk ends, CRLF, no final newline', async () => {
    const n = 100_000;
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: `s${i}`, prediction: `answer ${i} 两个，逗号` }));
    const f = await file('big.jsonl', lines.join('\r\n'));
    const r = await readPredictions(f);
    expect(r.rows.length).toBe(n);
    r.rows.forEach((row, i) => {
      if (row.id !== `s${i}` || row.prediction !== `answer ${i} 两个，逗号` || row.where !== i + 1) {
        throw new Error(`row ${i}: ${JSON.stringify(row)}`);
      }
    });
  });

  it('a missing file is the system ENOENT error (the CLI words it as EVALGATE_ERR_FILE_NOT_FOUND)', async () => {
    const rejection = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
    for (const name of ['absent.jsonl', 'absent.tsv', 'absent.xlsx']) {
      const f = join(dir, name);
      const err = (await rejection(readPredictions(f)))!;
      expect(err.code).toBe('ENOENT');
      expect(err.message).toContain(f);
    }
    const forced = await rejection(readPredictions(join(dir, 'absent.jsonl'), { format: 'jsonl' }));
    expect(forced?.code).toBe('ENOENT');
  });
});

// Lines as lmms-eval's save_results_samples writes them (json.dumps defaults: ", " and ": " separators,
// ensure_ascii=False, str() around every response and the target).
const LMMS_V07 = [
  '{"doc_id": 0, "target": "A cat", "filtered_resps": "A cat on a mat.", "token_counts": [null], "doc_hash": "9f2c", "anls": 1.0, "input": "What is in the picture?"}',
  '{"doc_id": 1, "target": "B", "resps": ["The answer is (B)."], "filtered_resps": "B", "token_counts": [null], "doc_hash": "77aa", "exact_match": 1.0, "input": "Which one?"}',
  '{"doc_id": 2, "target": "二", "filtered_resps": "两个，逗号", "token_counts": [null], "doc_hash": "0c1d", "anls": NaN, "input": "几个?"}',
].join('\n');
const LMMS_V04 = [
  '{"doc_id": 0, "target": "A cat", "filtered_resps": ["A cat on a mat."], "doc_hash": "9f2c", "anls": 1.0, "input": "What is in the picture?"}',
  '{"doc_id": 1, "target": "B", "resps": [["The answer is (B)."]], "filtered_resps": ["B"], "doc_hash": "77aa", "exact_match": 1.0, "input": "Which one?"}',
].join('\n');
// v0.3 kept `doc` and turned `arguments` into a dict of the generation kwargs' names.
const LMMS_V03 = [
  '{"doc_id": 0, "doc": {"question_id": "q-17", "question": "What is in the picture?"}, "target": "A cat", "arguments": {"0": "max_new_tokens", "1": "temperature"}, "resps": [["A cat on a mat."]], "filtered_resps": ["A cat on a mat."], "doc_hash": "9f2c", "anls": 1.0, "input": "What is in the picture?"}',
  '{"doc_id": 1, "doc": {"question_id": "q-18", "question": "Which one?"}, "target": "B", "arguments": {"0": "max_new_tokens", "1": "temperature"}, "resps": [["The answer is (B)."]], "filtered_resps": ["B"], "doc_hash": "77aa", "exact_match": 1.0, "input": "Which one?"}',
].join('\n');

describe('lmms-eval --log_samples JSONL', () => {
  it('reads v0.7 lines (flattened filtered_resps), keyed by doc_id, with a NaN metric', async () => {
    const f = await file('20260801_120000_samples_docvqa_val.jsonl', LMMS_V07);
    expect(await detectPredictionFormat(f)).toBe('lmms-eval');
    const r = await readPredictions(f);
    expect(r.format).toBe('lmms-eval');
    expect(r.key).toBe('doc_id');
    expect(pairs(r)).toEqual([
      ['0', 'A cat on a mat.'],
      ['1', 'B'],
      ['2', '两个，逗号'],
    ]);
  });

  it('reads v0.4–v0.6 lines (filtered_resps a list of one), preferring the filtered response to resps', async () => {
    const f = await file('samples_v04.jsonl', LMMS_V04);
    expect(pairs(await readPredictions(f))).toEqual([
      ['0', 'A cat on a mat.'],
      ['1', 'B'],
    ]);
  });

  it('joins v0.3 lines on a doc field with key doc.question_id', async () => {
    const f = await file('samples_v03.jsonl', LMMS_V03);
    expect(pairs(await readPredictions(f, { key: 'doc.question_id' }))).toEqual([
      ['q-17', 'A cat on a mat.'],
      ['q-18', 'B'],
    ]);
  });

  it('says a doc field is gone from v0.4+ lines', async () => {
    const f = await file('samples_v04_doc.jsonl', LMMS_V04);
    const e = await failure(readPredictions(f, { key: 'doc.question_id' }));
    expect(e.message).toContain(`${f}:1: doc.question_id: missing`);
    expect(e.message).toContain('drop `doc`');
  });

  it('falls back to resps[0][0] without filtered_resps', async () => {
    const f = await file(
      'resps_only.jsonl',
      '{"doc_id": 0, "resps": [["first", "second"]], "target": "x"}\n{"doc_id": 1, "resps": ["flat first", "flat second"], "target": "y"}\n',
    );
    expect(await detectPredictionFormat(f)).toBe('lmms-eval');
    expect(pairs(await readPredictions(f))).toEqual([
      ['0', 'first'],
      ['1', 'flat first'],
    ]);
  });

  it('refuses a multiple-choice loglikelihood line (one response per choice)', async () => {
    const f = await file(
      'mc.jsonl',
      '{"doc_id": 0, "target": "1", "resps": [[["-1.5", "False"]], [["-0.2", "True"]]], "filtered_resps": [["-1.5", "False"], ["-0.2", "True"]], "doc_hash": "aa", "acc": 1.0, "input": "q"}\n',
    );
    const e = await failure(readPredictions(f));
    expect(e.message).toContain(`${f}:1: filtered_resps: holds 2 responses`);
  });

  it('refuses a doc logged twice (a task with two filter pipelines), naming both lines', async () => {
    const f = await file(
      'two_filters.jsonl',
      `${LMMS_V04}\n{"doc_id": 0, "target": "A cat", "filtered_resps": ["cat"], "doc_hash": "9f2c", "anls": 0.5, "input": "What is in the picture?"}\n`,
    );
    const e = await failure(readPredictions(f));
    expect(e.message).toContain(`${f}:3: doc_id: duplicate id "0" (first at line 1)`);
    expect(e.message).toContain('filter pipeline');
  });

  it("reads 0.1/0.2's <task>.json document (its logs array), by doc_id or a doc field", async () => {
    // __main__.py of v0.2.0: json.dumps({"args", "model_configs", "logs": sorted samples, "time"}, indent=4); no str() yet.
    const logs = [
      {
        doc_id: 0,
        target: 'A cat',
        doc: { question_id: 'q-17' },
        arguments: ['q', { max_new_tokens: 16 }],
        resps: [['A cat on a mat.']],
        filtered_resps: ['A cat on a mat.'],
        anls: 1,
      },
      {
        doc_id: 1,
        target: 'B',
        doc: { question_id: 'q-18' },
        arguments: ['q', { max_new_tokens: 16 }],
        resps: [['The answer is (B).']],
        filtered_resps: ['B'],
        exact_match: 1,
      },
    ];
    const text = JSON.stringify({ args: { model: 'llava' }, model_configs: { task: 'docvqa_val' }, logs, time: '2024-06-13' }, null, 4);
    const f = await file('docvqa_val.json', text.replace('"anls": 1', '"anls": NaN'));
    expect(await detectPredictionFormat(f)).toBe('lmms-eval');
    expect(pairs(await readPredictions(f))).toEqual([
      ['0', 'A cat on a mat.'],
      ['1', 'B'],
    ]);
    const r = await readPredictions(f, { key: 'doc.question_id' });
    expect(pairs(r)).toEqual([
      ['q-17', 'A cat on a mat.'],
      ['q-18', 'B'],
    ]);
    expect(r.rows.map((x) => x.where)).toEqual(['logs[0]', 'logs[1]']);
  });

  it('maps doc_id positions onto manifest ids with matchByPosition', async () => {
    const f = await file('pos.jsonl', LMMS_V07);
    const r = matchByPosition(await readPredictions(f), ['docvqa-a', 'docvqa-b', 'docvqa-c'], f);
    expect(pairs(r)).toEqual([
      ['docvqa-a', 'A cat on a mat.'],
      ['docvqa-b', 'B'],
      ['docvqa-c', '两个，逗号'],
    ]);
    const e = (() => {
      try {
        matchByPosition(r, ['only-one'], f);
      } catch (err) {
        return err as EvalgateError;
      }
      return undefined;
    })();
    expect(e?.message).toContain('is not a position');
  });
});

// VLMEvalKit's dump(): pandas to_csv(..., quoting=csv.QUOTE_ALL), with sep='\t' for tsv.
const TSV = [
  '"index"\t"question"\t"A"\t"B"\t"answer"\t"prediction"',
  '"0"\t"Tabs\tand ""quotes"", commas"\t"yes"\t"no"\t"A"\t"A, because ""yes"""',
  '"1"\t"Two lines?"\t"yes"\t"no"\t"B"\t"first line\nsecond line"',
  '"2"\t"Unanswered"\t"yes"\t"no"\t"B"\t""',
  '',
].join('\n');

describe('VLMEvalKit result tables', () => {
  it('reads a QUOTE_ALL tsv with tabs, quotes, commas and newlines in fields', async () => {
    const f = await file('Qwen2-VL-7B_MMBench_DEV_EN.tsv', TSV);
    expect(await detectPredictionFormat(f)).toBe('vlmevalkit');
    const r = await readPredictions(f);
    expect(r.key).toBe('index');
    expect(pairs(r)).toEqual([
      ['0', 'A, because "yes"'],
      ['1', 'first line\nsecond line'],
      ['2', null],
    ]);
    expect(r.rows.map((x) => x.where)).toEqual([2, 3, 5]);
  });

  it('reads a csv (QUOTE_MINIMAL and QUOTE_ALL fields mixed, a BOM, CRLF)', async () => {
    const f = await file('model_ChartQA_TEST.csv', '\uFEFFindex,question,prediction\r\n10,"a, b",42\r\n"11","q","say ""hi"""\r\n12,q3,\r\n');
    expect(pairs(await readPredictions(f))).toEqual([
      ['10', '42'],
      ['11', 'say "hi"'],
      ['12', null],
    ]);
  });

  it('keeps a stray quote inside an unquoted tsv field (a dataset tsv written without quoting)', async () => {
    const f = await file('minimal.tsv', 'index\tprediction\n0\tHe said "hi" there\n1\t"quoted, with\ttab"\n');
    expect(pairs(await readPredictions(f))).toEqual([
      ['0', 'He said "hi" there'],
      ['1', 'quoted, with\ttab'],
    ]);
  });

  it('reads an xlsx written with exceljs: numeric index cells become string ids, blank cells null predictions', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow(['index', 'question', 'hint', 'answer', 'prediction', 'is_circular']);
    sheet.addRow([0, 'What colour?', null, 'A', 'A. Red', true]);
    sheet.addRow([1, 'How many?', 'count them', 'B', null, false]);
    sheet.addRow([2, 'Rich?', null, 'C', { richText: [{ text: 'C, ' }, { text: 'surely', font: { bold: true } }] }, false]);
    sheet.addRow([1000003, 'Big index', null, 'D', 'multi\nline, "quoted"', false]);
    const f = join(dir, 'GPT4o_MMBench_DEV_EN.xlsx');
    await book.xlsx.writeFile(f);
    expect(await detectPredictionFormat(f)).toBe('vlmevalkit');
    const r = await readPredictions(f);
    expect(pairs(r)).toEqual([
      ['0', 'A. Red'],
      ['1', null],
      ['2', 'C, surely'],
      ['1000003', 'multi\nline, "quoted"'],
    ]);
    expect(r.rows.map((x) => x.where)).toEqual(['row 2', 'row 3', 'row 4', 'row 5']);
    // A zip's magic bytes are enough without the extension.
    const { copyFile } = await import('node:fs/promises');
    await copyFile(f, join(dir, 'no-extension'));
    expect(await detectPredictionFormat(join(dir, 'no-extension'))).toBe('vlmevalkit');
  });

  it('refuses a boolean prediction cell and a duplicate index, naming the row', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Sheet1');
    sheet.addRow(['index', 'prediction']);
    sheet.addRow([0, 'A']);
    sheet.addRow([1, true]);
    const f = join(dir, 'bool.xlsx');
    await book.xlsx.writeFile(f);
    expect((await failure(readPredictions(f))).message).toContain(`${f}:row 3: prediction: a boolean (true)`);
    const g = await file('dup.tsv', 'index\tprediction\n0\ta\n1\tb\n0\tc\n');
    expect((await failure(readPredictions(g))).message).toContain(`${g}:4: index: duplicate id "0" (first at line 2)`);
  });

  it('names the keys of a JSON array that is not a VLMEvalKit PRED_FORMAT=json file', async () => {
    const f = await file('records.json', '[{"qid": 1, "answer": "x"}]');
    const e = await failure(readPredictions(f));
    expect(e.message).toContain('first record has keys "qid", "answer"');
    const g = await file('records2.json', '[{"index": 3, "prediction": "x"}, {"index": 4, "prediction": NaN}]');
    expect(pairs(await readPredictions(g))).toEqual([
      ['3', 'x'],
      ['4', null],
    ]);
  });

  it('names the columns found when the table is not a VLMEvalKit result', async () => {
    const f = await file('other.csv', 'qid,question,response\n1,q,a\n');
    const e = await failure(readPredictions(f));
    expect(e.code).toBe('EVALGATE_ERR_MANIFEST_INVALID');
    expect(e.message).toContain('columns found "qid", "question", "response"');
    expect(e.message).toContain('expected "index"');
    expect(e.message).toContain('"prediction"');
    // …and reads it with the right key once the caller names one.
    const g = await file('other2.csv', 'qid,question,prediction\n1,q,a\n');
    expect(pairs(await readPredictions(g, { key: 'qid' }))).toEqual([['1', 'a']]);
  });
});

describe('detection and --format', () => {
  it('names the keys found in an unknown JSONL layout', async () => {
    const f = await file('unknown.jsonl', '{"question_id": 1, "answer": "x", "text": "y"}\n');
    const e = await failure(readPredictions(f));
    expect(e.message).toContain('unknown prediction layout: keys found "question_id", "answer", "text"');
    expect(e.message).toContain('"doc_id" and "filtered_resps"/"resps"');
  });

  it('forces a layout: lmms-eval lines read as jsonl say prediction is missing; a tsv named .txt reads as vlmevalkit', async () => {
    const f = await file('lmms.jsonl', LMMS_V04);
    const e = await failure(readPredictions(f, { format: 'jsonl' }));
    expect(e.message).toContain(`${f}:1: id: missing`);
    const g = await file('table.txt', 'index,prediction\n5,five\n');
    expect(await failure(readPredictions(g)).then((x) => x.message)).toContain('malformed JSON');
    expect(pairs(await readPredictions(g, { format: 'vlmevalkit' }))).toEqual([['5', 'five']]);
  });

  it('refuses an unknown --format value and an empty file', async () => {
    const f = await file('empty.jsonl', '\n\n');
    expect((await failure(readPredictions(f))).message).toContain('empty');
    // @ts-expect-error a caller passing CLI text unchecked
    const e = await failure(readPredictions(f, { format: 'xlsx' }));
    expect(e.code).toBe('EVALGATE_ERR_BAD_INPUT');
    expect(e.message).toContain('jsonl, lmms-eval, vlmevalkit');
  });
});
