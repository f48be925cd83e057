// `evalgate score` reads predictions written by other harnesses (files written by
// lmms-eval's and VLMEvalKit's own writers, in tests/score-input/fixtures), joins
// them to a manifest by id, by a doc field or by position, and scores vqa human answers.
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreTask } from '../../scorers/score-task.js';
import { spawnCli } from '../helpers/run-cli.js';

let dir = '';
const fixtures = fileURLToPath(new URL('../score-input/fixtures/', import.meta.url));
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const run = (args: string[]) => spawnCli(args, { cwd: dir });
const lmms = (v: string) => path.join(fixtures, 'lmms-eval', v, 'qwen2_vl', '20260801_120000_samples_docvqa_val.jsonl');

interface Doc {
  task: string;
  metrics: Record<string, number>;
  samples: { id: string; prediction: string; extracted?: string | null }[];
  missing: string[];
}

// The VLMEvalKit table's rows (index 0, 1, 2, 3, 1000004) as an mcq manifest.
const mcqRefs = [
  { id: '0', task: 'mcq', answer: 'A', choices: ['yes', 'no'] },
  { id: '1', task: 'mcq', answer: 'B', choices: ['no', 'x'] },
  { id: '2', task: 'mcq', answer: 'A', choices: ['a', 'x'] },
  { id: '3', task: 'mcq', answer: 'A', choices: ['是', '否'] },
  { id: '1000004', task: 'mcq', answer: 'B', choices: ['a', 'b'] },
];
// lmms-eval's docvqa docs (doc_id 0, 1, 2; doc.question_id q-17, q-18, q-19) as an ocr manifest.
const ocrRefs = [
  { id: 'q-17', task: 'ocr', reference: ['A cat', 'a cat'] },
  { id: 'q-18', task: 'ocr', reference: 'B' },
  { id: 'q-19', task: 'ocr', reference: '二' },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-score-formats-'));
  await writeFile(path.join(dir, 'mcq.jsonl'), jsonl(mcqRefs));
  await writeFile(path.join(dir, 'ocr.jsonl'), jsonl(ocrRefs));
  await writeFile(path.join(dir, 'ocr-by-doc-id.jsonl'), jsonl(ocrRefs.map((r, i) => ({ ...r, id: String(i) }))));
  for (const ext of ['xlsx', 'tsv', 'csv']) await copyFile(path.join(fixtures, `GPT4o_MMBench_DEV_EN.${ext}`), path.join(dir, `vlm.${ext}`));
});

describe('score: predictions from other harnesses', () => {
  it('a VLMEvalKit result table scores the same from xlsx, tsv and csv, keyed by index', async () => {
    const docs: Doc[] = [];
    for (const ext of ['xlsx', 'tsv', 'csv']) {
      const r = await run(['score', '--references', 'mcq.jsonl', '--predictions', `vlm.${ext}`, '--json']);
      expect(r.stderr).toBe('');
      docs.push(JSON.parse(r.stdout) as Doc);
    }
    expect(docs[1]).toEqual(docs[0]);
    expect(docs[2]).toEqual(docs[0]);
    const d = docs[0]!;
    expect(d.samples.map((s) => [s.id, s.extracted])).toEqual([
      ['0', 'A'],
      ['1', null],
      ['2', null],
      ['3', 'A'],
      ['1000004', null],
    ]);
    expect(d.metrics.accuracy).toBe(2 / 5);
    expect(d.missing).toEqual([]);
  });

  it('lmms-eval --log_samples of v0.3, v0.4 and v0.7 layouts score alike: by doc_id, by doc.question_id (v0.3), by position', async () => {
    const byDocId: Doc[] = [];
    for (const v of ['v0.3', 'v0.4', 'v0.7']) {
      const r = await run(['score', '--references', 'ocr-by-doc-id.jsonl', '--predictions', lmms(v), '--json']);
      expect(r.stderr).toBe('');
      byDocId.push(JSON.parse(r.stdout) as Doc);
    }
    expect(byDocId[1]).toEqual(byDocId[0]);
    expect(byDocId[2]).toEqual(byDocId[0]);
    const predictions = ['A cat on a mat.', 'B', '两个，逗号'];
    expect(byDocId[0]!.samples.map((s) => s.prediction)).toEqual(predictions);
    const expected = scoreTask(
      ocrRefs.map((r, i) => ({ id: String(i), reference: r.reference, prediction: predictions[i]! })),
      { task: 'ocr' },
    ).metrics;
    expect(byDocId[0]!.metrics).toEqual(expected);

    const byField = await run(['score', '--references', 'ocr.jsonl', '--predictions', lmms('v0.3'), '--key', 'doc.question_id', '--json']);
    expect(byField.stderr).toBe('');
    expect((JSON.parse(byField.stdout) as Doc).metrics).toEqual(expected);
    const byPosition = await run(['score', '--references', 'ocr.jsonl', '--predictions', lmms('v0.7'), '--match', 'position', '--json']);
    expect(byPosition.stderr).toBe('');
    const doc = JSON.parse(byPosition.stdout) as Doc;
    expect(doc.samples.map((s) => [s.id, s.prediction])).toEqual(ocrRefs.map((r, i) => [r.id, predictions[i]]));
    expect(doc.metrics).toEqual(expected);
  });

  it('joined by id, lmms-eval doc_ids that are not manifest ids are unknown ids naming the line', async () => {
    const r = await run(['score', '--references', 'ocr.jsonl', '--predictions', lmms('v0.7')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/20260801_120000_samples_docvqa_val\.jsonl:1: doc_id: unknown id "0"/);
  });

  it('--format forces a layout, --match is checked, and position needs one task', async () => {
    const forced = await run(['score', '--references', 'mcq.jsonl', '--predictions', 'vlm.tsv', '--format', 'jsonl']);
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain('EVALGATE_ERR_MANIFEST_INVALID');
    const badFormat = await run(['score', '--references', 'mcq.jsonl', '--predictions', 'vlm.tsv', '--format', 'excel']);
    expect(badFormat.stderr).toContain('--format must be jsonl, lmms-eval or vlmevalkit, not "excel"');
    const badMatch = await run(['score', '--references', 'mcq.jsonl', '--predictions', 'vlm.tsv', '--match', 'order']);
    expect(badMatch.stderr).toContain('--match must be id or position');
    await writeFile(path.join(dir, 'mixed.jsonl'), jsonl([...ocrRefs, ...mcqRefs]));
    const mixed = await run(['score', '--references', 'mixed.jsonl', '--predictions', lmms('v0.7'), '--match', 'position']);
    expect(mixed.stderr).toContain('--match position needs one task: pass --task');
  });

  it('vqa rows with human answers are scored with VQA accuracy (the scorer run on the same texts)', async () => {
    const humans = [
      ['two', 'two', '2', 'two', 'two', 'three', 'two', 'two', 'two', 'two'],
      ['yes', 'yes', 'no', 'yes', 'yes', 'yes', 'yes', 'yes', 'no', 'yes'],
    ];
    await writeFile(
      path.join(dir, 'vqa.jsonl'),
      jsonl([
        { id: 'v1', task: 'vqa', answers: humans[0] },
        { id: 'v2', task: 'vqa', answers: humans[1] },
      ]),
    );
    await writeFile(
      path.join(dir, 'vqa-preds.jsonl'),
      jsonl([
        { id: 'v1', prediction: '2' },
        { id: 'v2', prediction: 'No.' },
      ]),
    );
    const r = await run(['score', '--task', 'vqa', '--references', 'vqa.jsonl', '--predictions', 'vqa-preds.jsonl', '--json']);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as Doc;
    const expected = scoreTask(
      [
        { id: 'v1', humanAnswers: humans[0]!, prediction: '2' },
        { id: 'v2', humanAnswers: humans[1]!, prediction: 'No.' },
      ],
      { task: 'vqa' },
    );
    expect(doc.metrics).toEqual(expected.metrics);
    expect(doc.metrics.vqa_accuracy).toBeGreaterThan(0.3);
    await writeFile(path.join(dir, 'vqa-both.jsonl'), jsonl([{ id: 'v1', task: 'vqa', answers: ['a'], reference: 'a' }]));
    const both = await run(['score', '--references', 'vqa-both.jsonl', '--predictions', 'vqa-preds.jsonl']);
    expect(both.stderr).toContain('vqa-both.jsonl:1: answers: give either "reference" or "answers"');
  });
});
