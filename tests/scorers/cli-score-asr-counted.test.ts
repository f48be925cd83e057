// `evalgate score --task asr` without --json counts each pair as its prediction is read and keeps no
// text (gateway/cli/commands/score.ts); --json scores the joined items as before. The table must be
// exactly the one --json's document gives, whatever the predictions' order, with rows left without a
// prediction, null predictions, list references and every unit. Black-box, on dist/.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/run-cli.js';

let dir = '';
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const run = (args: string[]) => spawnCli(args, { cwd: dir });

// A small LCG so a failure reproduces from its seed.
let seed = 99;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'Hello,', 'WORLD!', 'naïve', 'café', '语音', '识别', 'a\tb', 'x', 'y', '1', '22'];

/** The table the text output prints, rebuilt from --json's document (formatTable's layout). */
function tableOf(
  doc: { task: string; normalizer: string; unit: string; metrics: Record<string, number>; samples: unknown[]; missing: string[] },
  n: number,
): string {
  const rows: [string, string][] = Object.entries(doc.metrics).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(4)]);
  rows.push(['samples', String(n)], ['missing', String(doc.missing.length)]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return [`task ${doc.task}  normalizer ${doc.normalizer}  unit ${doc.unit}`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)].join('\n') + '\n';
}

const N = 400;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-score-asr-counted-'));
  const refs: { id: string | number; task: string; reference: string | string[] }[] = [];
  const preds: { id: string | number; prediction: string | null }[] = [];
  for (let k = 0; k < N; k++) {
    const text = Array.from({ length: Math.floor(rnd() * 14) }, () => pick(WORDS)).join(' ');
    const id = k % 7 === 0 ? k : `u${k}`;
    refs.push({ id, task: 'asr', reference: k % 31 === 0 ? [text] : text });
    if (k % 9 === 0) continue; // no prediction: missing
    const hyp = text
      .split(' ')
      .filter(() => rnd() < 0.9)
      .map((w) => (rnd() < 0.8 ? w : pick(WORDS)))
      .join(' ');
    preds.push({ id, prediction: k % 17 === 0 ? null : hyp });
  }
  await writeFile(path.join(dir, 'refs.jsonl'), jsonl(refs));
  await writeFile(path.join(dir, 'ordered.jsonl'), jsonl(preds));
  // the same predictions in another order
  const shuffled = [...preds];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  await writeFile(path.join(dir, 'shuffled.jsonl'), jsonl(shuffled));
});

describe('score --task asr: the counted table = the --json document', () => {
  for (const extra of [[], ['--unit', 'char'], ['--unit', 'mixed'], ['--normalizer', 'whisper-basic'], ['--normalizer', 'wenet-zh']]) {
    it(`${extra.join(' ') || 'defaults'}, predictions in manifest order and shuffled`, async () => {
      const base = ['score', '--task', 'asr', '--references', 'refs.jsonl', ...extra];
      const json = await run([...base, '--predictions', 'ordered.jsonl', '--json']);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout) as Parameters<typeof tableOf>[0];
      expect(doc.missing.length).toBeGreaterThan(30);
      const expected = tableOf(doc, N);
      for (const preds of ['ordered.jsonl', 'shuffled.jsonl']) {
        const text = await run([...base, '--predictions', preds]);
        expect(text.stderr).toBe('');
        expect(text.stdout).toBe(expected);
      }
    });
  }

  it('--strict still names the first row without a prediction, in manifest order', async () => {
    const r = await run(['score', '--task', 'asr', '--references', 'refs.jsonl', '--predictions', 'shuffled.jsonl', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refs.jsonl:1: id: no prediction for "0" in shuffled.jsonl (--strict)');
  });
});
