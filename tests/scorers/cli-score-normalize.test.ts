// Black-box tests of the built CLI (`npm test` builds dist/ before vitest runs).
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, spawnCli } from '../helpers/run-cli.js';

const bin = cliBin;

function run(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return spawnCli(args, { cwd: dir, stdin });
}

let dir = '';
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npx tsc -p tsconfig.build.json\` (npm test does) first`);
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-score-'));
  await writeFile(
    path.join(dir, 'asr-refs.jsonl'),
    jsonl([
      { id: 'u1', task: 'asr', reference: 'i' },
      { id: 'u2', task: 'asr', reference: 'am i good' },
      { id: 'u3', task: 'asr', reference: 'hello world' },
    ]),
  );
  await writeFile(
    path.join(dir, 'asr-preds.jsonl'),
    jsonl([
      { id: 'u1', prediction: 'i am' },
      { id: 'u2', prediction: 'i good' },
    ]),
  );
  await writeFile(path.join(dir, 'zh-refs.jsonl'), jsonl([{ id: 'z', reference: '我爱北京天安门' }]));
  await writeFile(path.join(dir, 'zh-preds.jsonl'), jsonl([{ id: 'z', prediction: '我爱背景天安门广场' }]));
  await writeFile(path.join(dir, 'ocr-refs.jsonl'), jsonl([{ id: 'o', reference: ['Coca Cola', 'Coca Cola Company'] }]));
  await writeFile(path.join(dir, 'ocr-preds.jsonl'), jsonl([{ id: 'o', prediction: 'CocaCola' }]));
  await writeFile(
    path.join(dir, 'mcq-refs.jsonl'),
    jsonl([
      { id: 'q1', answer: 'B', choices: ['a', 'b', 'c', 'd'] },
      { id: 'q2', answer: 'A', choices: ['a', 'b', 'c', 'd'] },
      { id: 'q3', answer: 'C', choices: ['a', 'b', 'c', 'd'] },
    ]),
  );
  await writeFile(
    path.join(dir, 'mcq-preds.jsonl'),
    jsonl([
      { id: 'q1', prediction: 'The best answer is B.' },
      { id: 'q2', prediction: 'the video shows a man walking his dog along the beach at sunset today' },
      { id: 'q3', prediction: 'D' },
    ]),
  );
  await writeFile(path.join(dir, 'malformed.jsonl'), '{"id":"u1","prediction":"x"}\n{oops\n');
  await writeFile(
    path.join(dir, 'dup.jsonl'),
    jsonl([
      { id: 'u1', prediction: 'a' },
      { id: 'u1', prediction: 'b' },
    ]),
  );
  await writeFile(path.join(dir, 'unknown.jsonl'), jsonl([{ id: 'nope', prediction: 'a' }]));
});

describe('evalgate score', () => {
  it('asr --json: pooled jiwer measures, per-sample values and missing ids', async () => {
    const r = await run(['score', '--task', 'asr', '--references', 'asr-refs.jsonl', '--predictions', 'asr-preds.jsonl', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { metrics: Record<string, number>; samples: { id: string; wer: number }[]; missing: string[] };
    // u3 is missing and scored as empty output: H=3 D=1+2 I=1 → wer 4/6
    expect(doc.missing).toEqual(['u3']);
    expect(doc.metrics).toMatchObject({ hits: 3, substitutions: 0, deletions: 3, insertions: 1 });
    expect(doc.metrics.wer).toBeCloseTo(4 / 6, 15);
    expect(doc.samples.map((s) => s.id)).toEqual(['u1', 'u2', 'u3']);
    expect(doc.samples[0]?.wer).toBe(1);
  });

  it('--strict turns a missing prediction into an error naming file and line', async () => {
    const r = await run(['score', '--task', 'asr', '--references', 'asr-refs.jsonl', '--predictions', 'asr-preds.jsonl', '--strict']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('asr-refs.jsonl:3');
    expect(r.stderr).toContain('EVALGATE_ERR_MANIFEST_INVALID');
  });

  it('malformed, duplicate and unknown ids name the file and line', async () => {
    const base = ['score', '--task', 'asr', '--references', 'asr-refs.jsonl', '--predictions'];
    const m = await run([...base, 'malformed.jsonl']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/malformed\.jsonl:2: line: malformed JSON/);
    const d = await run([...base, 'dup.jsonl']);
    expect(d.stderr).toMatch(/dup\.jsonl:2: id: duplicate id "u1" \(first at line 1\)/);
    const u = await run([...base, 'unknown.jsonl', '--json']);
    expect(u.code).toBe(1);
    expect(JSON.parse(u.stderr)).toMatchObject({ error: { code: 'EVALGATE_ERR_MANIFEST_INVALID' } });
    expect(u.stderr).toContain('unknown.jsonl:1');
  });

  it('mixed unit reports cer with WeNet tokenisation', async () => {
    const r = await run(['score', '--task', 'asr', '--unit', 'mixed', '--references', 'zh-refs.jsonl', '--predictions', 'zh-preds.jsonl', '--json']);
    const doc = JSON.parse(r.stdout) as { metrics: Record<string, number>; normalizer: string };
    expect(doc.normalizer).toBe('wenet-zh');
    expect(doc.metrics).toEqual({ cer: 4 / 7, hits: 5, substitutions: 2, deletions: 0, insertions: 2 });
  });

  it('ocr metrics', async () => {
    const r = await run(['score', '--task', 'ocr', '--references', 'ocr-refs.jsonl', '--predictions', 'ocr-preds.jsonl', '--json']);
    const doc = JSON.parse(r.stdout) as { metrics: Record<string, number> };
    expect(Object.keys(doc.metrics).sort()).toEqual(['anls', 'anls_lmms', 'exact_match', 'norm_edit_dis', 'ocrbench']);
    expect(doc.metrics.anls).toBeCloseTo(8 / 9, 12);
  });

  it('mcq counts unanswered separately and can exclude them', async () => {
    const args = ['score', '--task', 'mcq', '--references', 'mcq-refs.jsonl', '--predictions', 'mcq-preds.jsonl', '--json'];
    const a = JSON.parse((await run(args)).stdout) as { metrics: Record<string, number>; samples: { extracted: string | null }[] };
    expect(a.metrics).toEqual({ accuracy: 1 / 3, answered: 2, unanswered: 1, n: 3 });
    expect(a.samples.map((s) => s.extracted)).toEqual(['B', null, 'D']);
    const b = JSON.parse((await run([...args, '--exclude-unanswered'])).stdout) as { metrics: Record<string, number> };
    expect(b.metrics.accuracy).toBe(0.5);
  });

  it('--extractor takes every registered extractor, lmms-2026-04 included, and names them on a typo', async () => {
    const args = ['score', '--task', 'mcq', '--references', 'mcq-refs.jsonl', '--predictions', 'mcq-preds.jsonl', '--json'];
    const r = await run([...args, '--extractor', 'lmms-2026-04']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { extractor: string; samples: { extracted: string | null }[] };
    expect(doc.extractor).toBe('lmms-2026-04');
    expect(doc.samples.map((s) => s.extracted)).toEqual(['B', null, 'D']);
    const bad = await run([...args.slice(0, -1), '--extractor', 'lmms-2025']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown extractor "lmms-2025"; use one of videomme, lmms, lmms-2026-04, mvbench');
  });

  it('--alignment prints jiwer-style aligned pairs for the worst samples', async () => {
    const r = await run(['score', '--task', 'asr', '--references', 'asr-refs.jsonl', '--predictions', 'asr-preds.jsonl', '--alignment', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('=== SENTENCE 3 (id u3) ===\n\nREF: hello world\nHYP: ***** *****\n         D     D\n');
    expect(r.stdout).not.toContain('SENTENCE 1 ');
  });
});

describe('evalgate normalize', () => {
  it('writes exactly one normalized line per input line', async () => {
    const input = 'Mr. Park visited Assoc. Prof. Kim Jr.\n\ntwo point five million\r\nmobilisation';
    const r = await run(['normalize', '--normalizer', 'whisper-en'], input);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('mister park visited associate professor kim junior\n\n2500000\nmobilization\n');
  });
  it('rejects unknown normalizers', async () => {
    const r = await run(['normalize', '--normalizer', 'bogus'], 'x\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown normalizer "bogus"');
  });
  it('wenet-zh tokens joined by spaces', async () => {
    const r = await run(['normalize', '--normalizer', 'wenet-zh'], '我爱abc\n');
    expect(r.stdout).toBe('我 爱 ABC\n');
  });
});
