// `evalgate score --task asr` on the files its byte fast path takes (a UTF-8 manifest and predictions in
// the same order, with escapes): the table printed must be the one --json's document gives (--json always
// reads through the general path), and a file the fast path leaves alone must get the general reader's
// own errors. Black-box, on dist/.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, spawnCli } from '../helpers/run-cli.js';

let dir = '';
const run = (args: string[]) => spawnCli(args, { cwd: dir });
const N = 500;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-score-in-step-'));
  let seed = 5;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const words = ['the', 'cat', 'sat', 'on', 'mat', 'HELLO', 'world.', "it's", '42', 'café', '语音', 'say"hi"'];
  const say = (k: number) => Array.from({ length: k }, () => words[Math.floor(rnd() * words.length)]).join(' ');
  const refs: string[] = [];
  const preds: string[] = [];
  for (let k = 0; k < N; k++) {
    const id = k % 4 === 0 ? k : `u${k}`;
    const ref = say(Math.floor(rnd() * 12));
    refs.push(JSON.stringify({ id, task: 'asr', reference: ref, audio: `a/${k}.wav` }));
    preds.push(JSON.stringify({ id, prediction: k % 9 === 0 ? null : rnd() < 0.2 ? ref : say(Math.floor(rnd() * 12)) }));
  }
  await writeFile(path.join(dir, 'refs.jsonl'), `${refs.join('\n')}\n`);
  await writeFile(path.join(dir, 'preds.jsonl'), `${preds.join('\n')}\n`);
  // the same manifest with row 3's id repeated on row 7: the general reader's error, which names both lines
  const repeated = [...refs];
  repeated[6] = repeated[6]!.replace('"u6"', '"u2"');
  const repeatedPreds = [...preds];
  repeatedPreds[6] = repeatedPreds[6]!.replace('"u6"', '"u2"');
  await writeFile(path.join(dir, 'refs-repeated.jsonl'), `${repeated.join('\n')}\n`);
  await writeFile(path.join(dir, 'preds-repeated.jsonl'), `${repeatedPreds.join('\n')}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('score --task asr on ASCII files in step', () => {
  it('prints the table --json’s document gives', async () => {
    const base = ['score', '--task', 'asr', '--references', 'refs.jsonl', '--predictions', 'preds.jsonl'];
    const json = await run([...base, '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { metrics: Record<string, number>; missing: string[] };
    const rows: [string, string][] = Object.entries(doc.metrics).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(4)]);
    rows.push(['samples', String(N)], ['missing', String(doc.missing.length)]);
    const w = Math.max(...rows.map(([k]) => k.length));
    const expected = ['task asr  normalizer none  unit word', ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)].join('\n') + '\n';
    expect(doc.metrics.substitutions).toBeGreaterThan(100);
    for (const extra of [[], ['--strict'], ['--format', 'jsonl'], ['--normalizer', 'none']]) {
      const text = await run([...base, ...extra]);
      expect(text.stderr).toBe('');
      expect(text.stdout).toBe(expected);
    }
    // rows naming their task are scored the same without --task
    expect((await run(base.filter((a, i) => a !== '--task' && base[i - 1] !== '--task'))).stdout).toBe(expected);
  });

  it('reads piped predictions (/dev/stdin) with the general reader: a refusal after reading a pipe would lose it', async () => {
    // U+00A0 inside a text makes the fast path refuse; the general reader accepts the file.
    const refs = '{"id":"a","task":"asr","reference":"x y"}\n{"id":"b","task":"asr","reference":"p\u00a0q r"}\n';
    const preds = '{"id":"a","prediction":"x z"}\n{"id":"b","prediction":"p\u00a0q r"}\n';
    await writeFile(path.join(dir, 'nbsp-refs.jsonl'), refs);
    await writeFile(path.join(dir, 'nbsp-preds.jsonl'), preds);
    const args = ['score', '--task', 'asr', '--references', 'nbsp-refs.jsonl', '--format', 'jsonl'];
    const fromFile = await run([...args, '--predictions', 'nbsp-preds.jsonl']);
    expect(fromFile.stdout).toMatch(/^wer +0\.2500$/m);
    expect(fromFile.stdout).toMatch(/^missing +0$/m);
    // a real pipe, as a shell makes one (a spawned child's stdin is a socket, which /dev/stdin cannot open)
    const quoted = [process.execPath, cliBin, ...args, '--predictions', '/dev/stdin'].map((a) => `'${a}'`).join(' ');
    const piped = await promisify(execFile)('sh', ['-c', `cat nbsp-preds.jsonl | ${quoted}`], { cwd: dir });
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe(fromFile.stdout);
  });

  it('a repeated id still gets the general reader’s error', async () => {
    const r = await run(['score', '--task', 'asr', '--references', 'refs-repeated.jsonl', '--predictions', 'preds-repeated.jsonl']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refs-repeated.jsonl:7: id: duplicate id "u2" (first on line 3)');
  });
});
