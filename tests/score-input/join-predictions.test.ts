// `evalgate score` joins plain {id, prediction} JSONL to the references while reading it (no row list,
// no second id map). It must give every reference the prediction, and every bad file the error, that
// reading the whole file with readPredictions and then joining gives: that path is the oracle here.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinPredictionsById, joinRows } from '../../gateway/score-input/join-predictions.js';
import { readPredictions, type ReadPredictionsOptions } from '../../gateway/score-input/read-predictions.js';
import { readReferences } from '../../gateway/score-input/read-references.js';
import type { TaskName } from '../../scorers/tasks/index.js';

let dir: string;
let refsFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-join-'));
  refsFile = join(dir, 'refs.jsonl');
  const rows = [
    { id: 'a', task: 'asr', reference: 'one two' },
    { id: 'b', task: 'asr', reference: 'three' },
    { id: 7, task: 'asr', reference: 'four' },
    { id: 'q1', task: 'ocr', reference: 'text' },
    { id: 'c', task: 'asr', reference: 'five six' },
  ];
  await writeFile(refsFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each reference's prediction after the join, or the error message. */
type Outcome = { predictions: [string, string | null][] } | { error: string };

async function outcome(join: () => Promise<void>, refs: Awaited<ReturnType<typeof readReferences>>): Promise<Outcome> {
  try {
    await join();
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { predictions: [...refs.rows.values()].map((r) => [r.item.id, r.item.prediction]) };
}

/** The streamed join and the read-then-join path, on the same file. */
async function both(text: string, onlyTask: TaskName | undefined, opts: ReadPredictionsOptions = {}): Promise<{ streamed: Outcome; whole: Outcome }> {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, text);
  const r1 = await readReferences(refsFile, onlyTask);
  const streamed = await outcome(() => joinPredictionsById(r1, refsFile, file, opts), r1);
  const r2 = await readReferences(refsFile, onlyTask);
  const whole = await outcome(async () => joinRows(r2, refsFile, await readPredictions(file, opts), file), r2);
  return { streamed, whole };
}

describe('joinPredictionsById (plain JSONL, streamed) = readPredictions then join', () => {
  const cases: [string, string, TaskName | undefined, ReadPredictionsOptions?][] = [
    [
      'every id, string and null predictions, number ids, blank lines, CRLF',
      '{"id":"a","prediction":"one"}\n\n{"id":7,"prediction":null}\r\n{"id":"c","prediction":"x"}\n',
      'asr',
    ],
    ['a prediction for a row --task left out is skipped', '{"id":"q1","prediction":"t"}\n{"id":"a","prediction":"one"}\n', 'asr'],
    ['without --task every row is scored', '{"id":"q1","prediction":"t"}\n{"id":"b","prediction":"three"}\n', undefined],
    ['a repeated id of a reference', '{"id":"a","prediction":"x"}\n{"id":"b","prediction":"y"}\n{"id":"a","prediction":"z"}\n', 'asr'],
    ['a repeated number id written two ways', '{"id":7,"prediction":"x"}\n{"id":"7","prediction":"y"}\n', 'asr'],
    ['a repeated id of a skipped row', '{"id":"q1","prediction":"x"}\n{"id":"q1","prediction":"y"}\n', 'asr'],
    [
      'a repeated unknown id: the repeat, not the unknown id, as when the file is read first',
      '{"id":"zz","prediction":"x"}\n{"id":"zz","prediction":"y"}\n',
      'asr',
    ],
    ['an unknown id before a malformed line: the malformed line', '{"id":"zz","prediction":"x"}\n{"id":"a","prediction":"x"}\n{"id": oops}\n', 'asr'],
    ['an unknown id before a repeated one: the repeat', '{"id":"zz","prediction":"x"}\n{"id":"a","prediction":"x"}\n{"id":"a","prediction":"x"}\n', 'asr'],
    ['two unknown ids: the first', '{"id":"a","prediction":"x"}\n{"id":"zz","prediction":"x"}\n{"id":"yy","prediction":"x"}\n', 'asr'],
    ['no prediction field', '{"id":"a","prediction":"x"}\n{"id":"b","text":"x"}\n', 'asr'],
    ['a prediction that is not a string', '{"id":"a","prediction":3}\n', 'asr'],
    ['no id', '{"prediction":"x"}\n', 'asr'],
    ['another key', '{"uid":"a","prediction":"x"}\n{"uid":"c","prediction":"y"}\n', 'asr', { key: 'uid' }],
    ['a dotted key', '{"doc":{"k":"a"},"prediction":"x"}\n{"doc":{"k":7},"prediction":"y"}\n', 'asr', { key: 'doc.k', format: 'jsonl' }],
    ['escaped and unicode predictions', '{"id":"a","prediction":"say \\"hi\\" \\u00e9"}\n{"id":"b","prediction":"语音 😀"}\n', 'asr'],
    ['an empty --key', '{"id":"a","prediction":"x"}\n', 'asr', { key: ' ' }],
    ['an empty file', '', 'asr'],
  ];
  for (const [name, text, onlyTask, opts] of cases) {
    it(name, async () => {
      const { streamed, whole } = await both(text, onlyTask, opts);
      expect(streamed).toEqual(whole);
    });
  }

  it('the cases above include both outcomes', async () => {
    const ok = await both('{"id":"a","prediction":"one"}\n', 'asr');
    expect(ok.streamed).toEqual({
      predictions: [
        ['a', 'one'],
        ['b', null],
        ['7', null],
        ['c', null],
      ],
    });
    const dup = await both('{"id":"a","prediction":"x"}\n{"id":"a","prediction":"z"}\n', 'asr');
    expect(dup.streamed).toEqual({ error: expect.stringContaining(':2: id: duplicate id "a" (first at line 1)') as unknown });
    const unknown = await both('{"id":"zz","prediction":"x"}\n', 'asr');
    expect(unknown.streamed).toEqual({ error: expect.stringContaining(`:1: id: unknown id "zz" (not in ${refsFile})`) as unknown });
  });
});
