// readReferences reads plain asr rows without the task registry and reads the file again, with it, from
// the first row that needs it (another task, a dataset-level field, human answers). The rows, the
// task-wide options and the errors must be those of one read with the registry: each case below says
// what that read gives.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReferences } from '../../gateway/score-input/read-references.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-refs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function manifest(rows: (object | string)[]): Promise<string> {
  const file = join(dir, `m${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return file;
}

const asr = (id: string, reference: unknown = 'a b') => ({ id, task: 'asr', reference });
const cls = (id: string) => ({ id, task: 'cls', reference: 'happy', labels: ['happy', 'sad'] });

describe('readReferences', () => {
  it('plain asr rows: items in file order, no task options', async () => {
    const f = await manifest([asr('a'), { id: 2, task: 'asr', reference: ['x y'], dataset: 'd' }, asr('c')]);
    const refs = await readReferences(f, 'asr');
    expect([...refs.rows.entries()].map(([id, r]) => [id, r.line, r.task, r.item, r.predictionLine])).toEqual([
      ['a', 1, 'asr', { id: 'a', reference: 'a b', prediction: null }, 0],
      ['2', 2, 'asr', { id: '2', reference: ['x y'], datasetName: 'd', prediction: null }, 0],
      ['c', 3, 'asr', { id: 'c', reference: 'a b', prediction: null }, 0],
    ]);
    expect(refs.taskOptions).toEqual({});
  });

  it('asr rows, then a cls row with labels: every row, and the labels as cls options (the file is read again)', async () => {
    const f = await manifest([asr('a'), asr('b'), cls('k1'), asr('c'), cls('k2')]);
    const refs = await readReferences(f, undefined);
    expect([...refs.rows.keys()]).toEqual(['a', 'b', 'k1', 'c', 'k2']);
    expect(refs.rows.get('k2')!.line).toBe(5);
    expect(refs.taskOptions).toEqual({ cls: { labels: ['happy', 'sad'] } });
    // with --task asr the cls rows are skipped without the registry
    const only = await readReferences(f, 'asr');
    expect([...only.rows.keys()]).toEqual(['a', 'b', 'c']);
    expect([...only.skipped]).toEqual(['k1', 'k2']);
  });

  it('errors before the first row that needs the registry, and after it, name their own line', async () => {
    const early = await manifest([asr('a'), asr('b', 3), cls('k1')]);
    await expect(readReferences(early, undefined)).rejects.toThrow(`${early}:2: reference: must be a string or a non-empty list of strings`);
    const late = await manifest([asr('a'), cls('k1'), asr('b', ['x', 'y'])]);
    await expect(readReferences(late, undefined)).rejects.toThrow(`${late}:3: reference: asr takes one reference string`);
    const dup = await manifest([asr('a'), cls('k1'), asr('a')]);
    await expect(readReferences(dup, undefined)).rejects.toThrow(`${dup}:3: id: duplicate id "a" (first on line 1)`);
    const task = await manifest([asr('a'), { id: 'x', task: 'nope', reference: 'r' }, cls('k1')]);
    await expect(readReferences(task, undefined)).rejects.toThrow(`${task}:2: task: "nope" cannot be scored here; use asr, ocr, vqa, mcq, mmau, ast or cls`);
  });

  it('an asr row with a dataset-level field or human answers is refused as before', async () => {
    const labels = await manifest([asr('a'), { ...asr('b'), labels: ['x', 'y'] }]);
    await expect(readReferences(labels, 'asr')).rejects.toThrow(`${labels}:2: labels: is not a asr setting, or is malformed`);
    const answers = await manifest([asr('a'), { id: 'b', task: 'asr', answers: ['x'] }]);
    await expect(readReferences(answers, 'asr')).rejects.toThrow(`${answers}:2: answers: asr takes no "answers", or they are not a non-empty list of strings`);
  });
});
