// `evalgate score` on a manifest that mixes tasks: each row is scored as its own
// task, one section per task; --task keeps one task's rows. Black-box, on dist/.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/run-cli.js';

let dir = '';
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const run = (args: string[]) => spawnCli(args, { cwd: dir });

interface Section {
  task: string;
  metrics: Record<string, number>;
  samples: { id: string }[];
  missing: string[];
}

const refs = [
  { id: 'a1', task: 'asr', reference: 'the cat sat on the mat' },
  { id: 'q1', task: 'mcq', answer: 'B', choices: ['red', 'blue', 'green'] },
  { id: 'a2', task: 'asr', reference: 'hello world' },
  { id: 'c1', task: 'cls', reference: 'happy', choices: ['happy', 'sad'] },
  { id: 'q2', task: 'mcq', answer: 'A', choices: ['red', 'blue', 'green'] },
  { id: 'c2', task: 'cls', reference: 'sad', choices: ['happy', 'sad'] },
];
const preds = [
  { id: 'a1', prediction: 'the cat sat on mat' },
  { id: 'a2', prediction: 'hello world' },
  { id: 'q1', prediction: 'The answer is B.' },
  { id: 'q2', prediction: 'C' },
  { id: 'c1', prediction: 'She sounds happy.' },
  { id: 'c2', prediction: 'happy' },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-score-mixed-'));
  await writeFile(path.join(dir, 'mixed.jsonl'), jsonl(refs));
  await writeFile(path.join(dir, 'preds.jsonl'), jsonl(preds));
  for (const task of ['asr', 'mcq', 'cls']) {
    await writeFile(path.join(dir, `${task}-only.jsonl`), jsonl(refs.filter((r) => r.task === task)));
    await writeFile(path.join(dir, `${task}-preds.jsonl`), jsonl(preds.filter((p) => refs.find((r) => r.id === p.id)?.task === task)));
  }
  // One row names no task: the row takes --task, and without --task it is an error.
  await writeFile(path.join(dir, 'untasked.jsonl'), '\uFEFF' + jsonl([...refs, { id: 'x1', reference: 'no task here' }]));
  await writeFile(path.join(dir, 'x-preds.jsonl'), jsonl([...preds, { id: 'x1', prediction: 'no task' }]));
});

describe('score: a mixed manifest', () => {
  it('without --task, scores every task in its own section, in manifest order, each as if scored alone', async () => {
    const r = await run(['score', '--references', 'mixed.jsonl', '--predictions', 'preds.jsonl', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { sections: Section[] };
    expect(doc.sections.map((s) => s.task)).toEqual(['asr', 'mcq', 'cls']);
    for (const section of doc.sections) {
      const alone = await run([
        'score',
        '--task',
        section.task,
        '--references',
        `${section.task}-only.jsonl`,
        '--predictions',
        `${section.task}-preds.jsonl`,
        '--json',
      ]);
      expect(alone.code).toBe(0);
      expect(section).toEqual(JSON.parse(alone.stdout));
    }
    const [asr, mcq, cls] = doc.sections;
    expect(asr!.samples.map((s) => s.id)).toEqual(['a1', 'a2']);
    expect(asr!.metrics.wer).toBeCloseTo(1 / 8, 12);
    expect(mcq!.metrics.accuracy).toBe(0.5);
    expect(cls!.metrics.accuracy).toBe(0.5);
  });

  it('prints one table per task as text', async () => {
    const r = await run(['score', '--references', 'mixed.jsonl', '--predictions', 'preds.jsonl']);
    expect(r.code).toBe(0);
    const heads = r.stdout.split('\n').filter((l) => l.startsWith('task '));
    expect(heads.map((l) => l.split(/\s+/)[1])).toEqual(['asr', 'mcq', 'cls']);
  });

  it('--task keeps only that task: the other rows and their predictions are skipped, not unknown ids', async () => {
    const r = await run(['score', '--task', 'mcq', '--references', 'mixed.jsonl', '--predictions', 'preds.jsonl', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Section;
    expect(doc.task).toBe('mcq');
    expect(doc.samples.map((s) => s.id)).toEqual(['q1', 'q2']);
    expect(doc.missing).toEqual([]);
  });

  it('a row without a task takes --task, and is an error naming its line without one', async () => {
    const withTask = await run(['score', '--task', 'asr', '--references', 'untasked.jsonl', '--predictions', 'x-preds.jsonl', '--json']);
    expect(withTask.code).toBe(0);
    expect((JSON.parse(withTask.stdout) as Section).samples.map((s) => s.id)).toEqual(['a1', 'a2', 'x1']);
    const without = await run(['score', '--references', 'untasked.jsonl', '--predictions', 'x-preds.jsonl']);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toContain('untasked.jsonl:7: task:');
    expect(without.stderr).toContain('pass --task');
  });

  it('--task with no rows of that task, and a row whose task score cannot take, are errors', async () => {
    const none = await run(['score', '--task', 'ast', '--references', 'mixed.jsonl', '--predictions', 'preds.jsonl']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('no rows of task ast');
    await writeFile(path.join(dir, 'bad-task.jsonl'), jsonl([{ id: 'z', task: 'dance', reference: 'x' }]));
    const bad = await run(['score', '--references', 'bad-task.jsonl', '--predictions', 'preds.jsonl']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('bad-task.jsonl:1: task: "dance" cannot be scored here');
  });
});
