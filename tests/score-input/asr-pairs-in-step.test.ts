// `evalgate score --task asr`'s byte fast path (gateway/score-input/asr-pairs-in-step.ts): on the files it
// takes, its result must be exactly the general path's (the rows parsed with JSON.parse, joined by id,
// scored by scoreAsrCorpus); on every file it does not take it must answer undefined, so that the general
// reader decides, errors included. Real files in a temporary folder.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAsrPairsInStep } from '../../gateway/score-input/asr-pairs-in-step.js';
import type { ScoreItem } from '../../scorers/score-task.js';
import { scoreAsrCorpus } from '../../scorers/wer/asr-corpus-counts.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-in-step-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** Writes the two files (strings as UTF-8, buffers byte for byte) and returns their paths. */
async function files(refs: string | Buffer, preds: string | Buffer, predsName = 'preds.jsonl'): Promise<[string, string]> {
  const d = path.join(dir, String(n++));
  const { mkdir } = await import('node:fs/promises');
  await mkdir(d);
  const r = path.join(d, 'refs.jsonl');
  const p = path.join(d, predsName);
  await writeFile(r, refs);
  await writeFile(p, preds);
  return [r, p];
}

/** The general path's asr metrics for the same text: rows parsed by JSON.parse, predictions joined by id. */
function generalMetrics(refs: string, preds: string): object {
  const parse = (t: string) =>
    t
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const byId = new Map(parse(preds).map((p) => [String(p.id), (p.prediction as string | null) ?? '']));
  const items: ScoreItem[] = parse(refs).map((r) => ({ id: String(r.id), reference: r.reference as string, prediction: byId.get(String(r.id)) ?? null }));
  return scoreAsrCorpus(items, { normalizer: 'none', unit: 'word', keepSamples: false }).metrics;
}

// A small LCG so a failure reproduces from its seed.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
}

const VOCAB = [
  'the',
  'cat',
  'sat',
  'on',
  'a',
  'mat',
  'HELLO',
  'world.',
  "it's",
  '42',
  'x-ray',
  '(ok)',
  '{b}',
  ':',
  ',',
  '"',
  'say"hi"',
  'a\\b',
  'café',
  'naïve',
  '语音',
  '识别',
  '🎉',
  'x/y',
];

/** Python's json.dumps(s) (ensure_ascii): every non-ASCII character as \uXXXX, astral ones as a surrogate pair. */
const pyDumps = (s: string): string => JSON.stringify(s).replace(/[^\x20-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('countAsrPairsInStep', () => {
  it('gives exactly the general path’s metrics on files written in many JSON spellings (escapes, UTF-8, \\u escapes)', async () => {
    const rnd = lcg(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const say = (k: number) => Array.from({ length: k }, () => pick(VOCAB)).join(rnd() < 0.9 ? ' ' : '  ');
    // JSON.stringify (raw UTF-8, \" and \\), or Python's ensure_ascii escapes, line by line
    const str = (k: number, t: string) => (k % 3 === 1 ? pyDumps(t) : JSON.stringify(t));
    const refLines: string[] = [];
    const predLines: string[] = [];
    for (let k = 0; k < 600; k++) {
      const id = k % 5 === 0 ? String(k) : `utt-${k}`;
      const idJson = k % 10 === 0 ? String(k) : JSON.stringify(id); // numbers and strings naming the same ids
      const ref = say(Math.floor(rnd() * 15));
      const hyp = rnd() < 0.1 ? ref : say(Math.floor(rnd() * 15));
      // Python's json.dumps spacing, compact spacing, extra fields, key orders, tabs, CRLF
      const sep = k % 3 === 0 ? ', ' : ',';
      const col = k % 4 === 0 ? ': ' : ':';
      const extra = k % 7 === 0 ? `${sep}"audio"${col}"clips/${k}.wav"${sep}"duration"${col}${(k / 10).toFixed(1)}${sep}"ok"${col}true` : '';
      refLines.push(
        k % 2 === 0
          ? `{"id"${col}${idJson}${sep}"task"${col}"asr"${sep}"reference"${col}${str(k, ref)}${extra}}`
          : `{ "reference"${col}${str(k, ref)}${sep}"id"${col}${idJson}${extra} }${k % 11 === 0 ? '\r' : ''}`,
      );
      const prediction = k % 13 === 0 ? 'null' : str(k + 1, hyp);
      predLines.push(k % 6 === 0 ? `{"prediction":${prediction},\t"id":${JSON.stringify(id)},"model":"m"}` : `{"id":${idJson},"prediction":${prediction}}`);
      if (k % 50 === 0) {
        refLines.push('');
        predLines.push('   ');
      }
    }
    const refs = `${refLines.join('\n')}\n`;
    const preds = predLines.join('\n'); // no newline at the end
    const [r, p] = await files(refs, preds);
    const fast = countAsrPairsInStep(r, p, 'asr');
    expect(fast).toBeDefined();
    expect(fast!.pairs).toBe(600);
    expect(fast!.result.metrics).toEqual(generalMetrics(refs.replace(/"task":"asr",?/g, ''), preds));
    expect(fast!.result).toMatchObject({ task: 'asr', normalizer: 'none', unit: 'word', samples: [], missing: [] });
    // the rows without "task" need --task asr
    expect(countAsrPairsInStep(r, p, undefined)).toBeUndefined();
  });

  it('agrees on a larger corpus that grows its buffers (lines across chunk ends, many ids and words)', async () => {
    const rnd = lcg(3);
    const refLines: string[] = [];
    const predLines: string[] = [];
    for (let k = 0; k < 40_000; k++) {
      const w = Array.from({ length: 5 + Math.floor(rnd() * 20) }, () => `w${Math.floor(rnd() ** 2 * 3000).toString(36)}`);
      const h = w.filter(() => rnd() > 0.1).map((x) => (rnd() < 0.1 ? `v${x}` : x));
      refLines.push(JSON.stringify({ id: `s${k}`, task: 'asr', reference: w.join(' ') }));
      predLines.push(JSON.stringify({ id: `s${k}`, prediction: h.join(' ') }));
    }
    // one line longer than the 1 MiB read buffer
    refLines.push(JSON.stringify({ id: 'long', task: 'asr', reference: 'la '.repeat(400_000).trim() }));
    predLines.push(JSON.stringify({ id: 'long', prediction: 'la '.repeat(399_990).trim() }));
    const refs = `${refLines.join('\n')}\n`;
    const preds = `${predLines.join('\n')}\n`;
    const [r, p] = await files(refs, preds);
    const fast = countAsrPairsInStep(r, p, undefined);
    expect(fast?.pairs).toBe(40_001);
    expect(fast!.result.metrics).toEqual(generalMetrics(refs, preds));
  });

  const ok = {
    refs: '{"id":"a","task":"asr","reference":"x y"}\n{"id":"b","task":"asr","reference":"z"}\n',
    preds: '{"id":"a","prediction":"x"}\n{"id":"b","prediction":"z"}\n',
  };

  it('takes the plain case these cases are made from', async () => {
    const [r, p] = await files(ok.refs, ok.preds);
    expect(countAsrPairsInStep(r, p, undefined)?.result.metrics).toMatchObject({ hits: 2, deletions: 1, substitutions: 0, insertions: 0 });
  });

  // Each case changes the plain files one way; the fast path must leave every one to the general reader.
  const refused: [string, string | Buffer, string | Buffer, string?][] = [
    ['a raw no-break space (U+00A0) in a text', ok.refs.replace('x y', 'x\u00a0y'), ok.preds],
    ['a raw ideographic space (U+3000) between keys', ok.refs.replace(',"reference"', ',\u3000"reference"'), ok.preds],
    ['an escaped tab in a text', ok.refs, ok.preds.replace('"x"', '"x\\ty"')],
    ['an escaped newline in a text', ok.refs.replace('x y', 'x\\ny'), ok.preds],
    ['an escaped no-break space in a text', ok.refs.replace('x y', 'x\\u00a0y'), ok.preds],
    ['a lone surrogate', ok.refs.replace('x y', 'x \\ud800'), ok.preds],
    ['a malformed escape', ok.refs.replace('x y', 'x \\q'), ok.preds],
    ['an escaped id', ok.refs.replace('"b"', '"\\u0062"'), ok.preds.replace('"b"', '"\\u0062"')],
    ['an escaped key', ok.refs.replace('"reference":"z"', '"\\u0072eference":"z"'), ok.preds],
    ['predictions in another order', ok.refs, ok.preds.split('\n').reverse().join('\n')],
    ['a repeated id', ok.refs.replace('"b"', '"a"'), ok.preds.replace('"b"', '"a"')],
    ['a reference without a prediction', ok.refs, ok.preds.split('\n')[0]!],
    ['a prediction of an unknown id', ok.refs, `${ok.preds}{"id":"c","prediction":"q"}\n`],
    ['a row of another task', ok.refs.replace('"task":"asr","reference":"z"', '"task":"ocr","reference":"z"'), ok.preds],
    ['a row without a task and no --task', ok.refs.replace('"task":"asr",', ''), ok.preds],
    ['a list of references', ok.refs.replace('"reference":"z"', '"reference":["z","zz"]'), ok.preds],
    ['a dataset-level field', ok.refs.replace('"reference":"z"', '"reference":"z","labels":"x"'), ok.preds],
    ['human answers', ok.refs.replace('"reference":"z"', '"reference":"z","answers":"x"'), ok.preds],
    ['a nested value', ok.refs.replace('"reference":"z"', '"reference":"z","meta":{"a":1}'), ok.preds],
    ['a repeated key', ok.refs.replace('"reference":"z"', '"reference":"z","reference":"zz"'), ok.preds],
    ['malformed JSON (a trailing comma)', ok.refs.replace('"reference":"z"}', '"reference":"z",}'), ok.preds],
    ['a raw control character in a string', ok.refs.replace('x y', 'x\u0001y'), ok.preds],
    ['an invalid number', ok.refs.replace('"reference":"z"', '"reference":"z","n":01'), ok.preds],
    ['an empty id', ok.refs.replace('"b"', '""'), ok.preds.replace('"b"', '""')],
    ['a numeric id written another way (1.0)', ok.refs.replace('"b"', '1'), ok.preds.replace('"b"', '1.0')],
    ['a missing prediction field', ok.refs, ok.preds.replace('"prediction":"z"', '"text":"z"')],
    ['a prediction that is not a string', ok.refs, ok.preds.replace('"prediction":"z"', '"prediction":7')],
    ['lmms-eval keys', ok.refs, ok.preds.replace('"prediction":"z"', '"prediction":"z","doc_id":1')],
    ['a predictions file named .json', ok.refs, ok.preds, 'preds.json'],
    ['a predictions file named .tsv', ok.refs, ok.preds, 'preds.tsv'],
    ['an empty manifest', '', ''],
    ['a byte-order mark', `\ufeff${ok.refs}`, ok.preds],
    // invalid UTF-8: the general reader decodes both bytes to U+FFFD, making "x\xff" and "x\xfe" equal words
    ['invalid UTF-8', Buffer.from(ok.refs.replace('x y', 'x y\xff'), 'latin1'), Buffer.from(ok.preds.replace('"x"', '"x y\xfe"'), 'latin1')],
  ];
  it.each(refused)('leaves %s to the general reader', async (_what, refs, preds, name) => {
    const [r, p] = await files(refs, preds, name);
    expect(countAsrPairsInStep(r, p, undefined)).toBeUndefined();
  });

  it('leaves a named pipe to the general reader without opening it (no writer: opening would block)', async () => {
    const [r] = await files(ok.refs, ok.preds);
    const fifo = path.join(dir, 'preds.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(countAsrPairsInStep(r, fifo, undefined)).toBeUndefined();
    expect(countAsrPairsInStep(fifo, r, undefined)).toBeUndefined();
  });

  it('leaves --task other than asr, and unreadable files, to the general reader', async () => {
    const [r, p] = await files(ok.refs, ok.preds);
    expect(countAsrPairsInStep(r, p, 'ocr')).toBeUndefined();
    expect(countAsrPairsInStep(path.join(dir, 'missing.jsonl'), p, undefined)).toBeUndefined();
    expect(countAsrPairsInStep(r, dir, undefined)).toBeUndefined();
  });
});
