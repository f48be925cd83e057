// Corpus WER on 100,000 seeded synthetic utterance pairs (~20 words), measured
// as the issue measures it: the whole `evalgate score --task asr --references
// refs.jsonl --predictions preds.jsonl` CLI process (dist/gateway/cli/main.js,
// reading the JSONL, normalizing, tokenizing, aligning, printing) against
// Debian's python3-levenshtein (C) under /usr/bin/python3, words mapped to
// single characters and `Levenshtein.editops` called per pair (the way jiwer 2
// worked) on the same pairs as a TSV. Median of several runs of each; the
// ratio printed is evalgate time / baseline time (≤ 1 means evalgate is at
// least as fast; 0.5 means it took half the baseline's time). WER must agree
// exactly (checked on one extra `--json` run, untimed). The timed runs print the table, which on these
// ASCII files in step is counted by score's byte fast path (gateway/score-input/asr-pairs-in-step.ts);
// --json goes through the general reader, so their counts are compared too.
// A second line times the scorer alone: wer-node-worker.js (WerAccumulator
// over the TSV), as a whole process and its scoring loop inside it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../scorers/stats/seeded-random.js';

const PAIRS = Number(process.env.WER_BENCH_PAIRS ?? 100_000);
const RUNS = Number(process.env.WER_BENCH_RUNS ?? 5);
const PYTHON = '/usr/bin/python3';

/** Writes the same pairs as refs.jsonl + preds.jsonl (for the CLI) and pairs.tsv (for the baseline). */
function makeCorpus(dir: string): { refs: string; preds: string; tsv: string } {
  const rnd = seededRandom(20240601);
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  // Zipf-ish word choice so frequent words repeat, as in speech
  const word = () => vocab[Math.floor(vocab.length * rnd() ** 3)]!;
  const refs: string[] = [];
  const preds: string[] = [];
  const tsv: string[] = [];
  for (let k = 0; k < PAIRS; k++) {
    const n = 15 + Math.floor(rnd() * 11);
    const ref = Array.from({ length: n }, word);
    const hyp: string[] = [];
    for (const w of ref) {
      const r = rnd();
      if (r < 0.05) continue; // deletion
      if (r < 0.12)
        hyp.push(word()); // substitution
      else hyp.push(w);
      if (rnd() < 0.04) hyp.push(word()); // insertion
    }
    refs.push(JSON.stringify({ id: `s${k}`, task: 'asr', reference: ref.join(' ') }));
    preds.push(JSON.stringify({ id: `s${k}`, prediction: hyp.join(' ') }));
    tsv.push(`${ref.join(' ')}\t${hyp.join(' ')}`);
  }
  const files = { refs: path.join(dir, 'refs.jsonl'), preds: path.join(dir, 'preds.jsonl'), tsv: path.join(dir, 'pairs.tsv') };
  writeFileSync(files.refs, `${refs.join('\n')}\n`);
  writeFileSync(files.preds, `${preds.join('\n')}\n`);
  writeFileSync(files.tsv, `${tsv.join('\n')}\n`);
  return files;
}

const PY_SCRIPT = `
import sys, json, Levenshtein
ids = {}
def enc(words):
    out = []
    for w in words:
        i = ids.get(w)
        if i is None:
            i = len(ids)
            if i >= 0xD800: i += 0x800
            ids[w] = i
        out.append(chr(i))
    return ''.join(out)
H = S = D = I = N = 0
with open(sys.argv[1], encoding='utf-8') as f:
    for line in f:
        line = line.rstrip('\\n')
        if not line:
            continue
        r, h = line.split('\\t')
        rw = [w for w in r.split(' ') if w]
        hw = [w for w in h.split(' ') if w]
        ops = Levenshtein.editops(enc(rw), enc(hw))
        s = d = i = 0
        for op, _, _ in ops:
            if op == 'replace': s += 1
            elif op == 'delete': d += 1
            else: i += 1
        S += s; D += d; I += i; H += len(rw) - s - d; N += len(rw)
print(json.dumps({"wer": (S + D + I) / (H + S + D), "hits": H, "substitutions": S, "deletions": D, "insertions": I}))
`;

interface Result {
  wer: number;
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

function run(cmd: string, args: string[], maxBuffer = 1 << 20): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const median = (xs: number[]): number => {
  const m = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  if (m === undefined) throw new RangeError('median of no runs (is RUNS 0?)');
  return m;
};

const counts = (r: Result): string => `wer ${r.wer} H=${r.hits} S=${r.substitutions} D=${r.deletions} I=${r.insertions}`;

function main(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import Levenshtein'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stderr.write(`baseline unavailable: ${PYTHON} cannot import Levenshtein (apt-get install python3-levenshtein)\n`);
    process.exitCode = 2;
    return;
  }
  const cli = fileURLToPath(new URL('../../gateway/cli/main.js', import.meta.url));
  const worker = fileURLToPath(new URL('./wer-node-worker.js', import.meta.url));
  if (!existsSync(cli)) {
    process.stderr.write(`${cli} is missing: run npm run build first\n`);
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'wer-bench-'));
  const files = makeCorpus(dir);
  const script = path.join(dir, 'baseline.py');
  writeFileSync(script, PY_SCRIPT);
  const cliArgs = [cli, 'score', '--task', 'asr', '--references', files.refs, '--predictions', files.preds];

  const cliMs: number[] = [];
  const pyMs: number[] = [];
  const workerMs: number[] = [];
  const loopMs: number[] = [];
  let pyResult: Result | null = null;
  let workerResult: (Result & { scoringMs: number }) | null = null;
  let table = '';
  for (let k = 0; k < RUNS; k++) {
    const c = run(process.execPath, cliArgs);
    cliMs.push(c.ms);
    table = c.stdout;
    const p = run(PYTHON, [script, files.tsv]);
    pyMs.push(p.ms);
    pyResult = JSON.parse(p.stdout) as Result;
    const w = run(process.execPath, [worker, files.tsv]);
    workerMs.push(w.ms);
    workerResult = JSON.parse(w.stdout) as Result & { scoringMs: number };
    loopMs.push(workerResult.scoringMs);
  }
  // One untimed --json run for the exact figures (the table rounds to 4 decimals).
  const doc = JSON.parse(run(process.execPath, [...cliArgs, '--json'], 1 << 30).stdout) as { metrics: Result };
  const cliResult = doc.metrics;
  const agreeWer = cliResult.wer === pyResult!.wer;
  const agreeWorker =
    cliResult.wer === workerResult!.wer &&
    cliResult.hits === workerResult!.hits &&
    cliResult.substitutions === workerResult!.substitutions &&
    cliResult.deletions === workerResult!.deletions &&
    cliResult.insertions === workerResult!.insertions;
  // The timed runs print the table (the byte fast path); --json reads through the general path: their counts must agree.
  const tableCount = (name: string) => Number(new RegExp(`^${name} +(\\d+)$`, 'm').exec(table)?.[1]);
  const agreeTable = (['hits', 'substitutions', 'deletions', 'insertions'] as const).every((k) => tableCount(k) === cliResult[k]);
  const agreeSplit =
    cliResult.substitutions === pyResult!.substitutions && cliResult.deletions === pyResult!.deletions && cliResult.insertions === pyResult!.insertions;
  const ratio = median(cliMs) / median(pyMs);
  process.stdout.write(
    [
      `pairs: ${PAIRS}, runs: ${RUNS} (whole processes, median)`,
      `evalgate score --task asr (node ${process.version}): ${median(cliMs).toFixed(0)} ms  ${counts(cliResult)}`,
      `python3-levenshtein (${PYTHON}):          ${median(pyMs).toFixed(0)} ms  ${counts(pyResult!)}`,
      `ratio (evalgate time / baseline time): ${ratio.toFixed(2)}x  (≤ 1 means evalgate is at least as fast)`,
      `scorer only (wer-node-worker.js on the TSV): process ${median(workerMs).toFixed(0)} ms, scoring loop ${median(loopMs).toFixed(0)} ms` +
        ` = ${(median(workerMs) / median(pyMs)).toFixed(2)}x / ${(median(loopMs) / median(pyMs)).toFixed(2)}x the baseline process`,
      `WER agrees exactly with the baseline: ${agreeWer}; CLI and scorer-only counts agree: ${agreeWorker}; the timed table's counts = --json's: ${agreeTable}`,
      `S/D/I split agrees with the baseline: ${agreeSplit} (tie-breaking: evalgate follows rapidfuzz/jiwer 3+, the baseline is python-Levenshtein 0.12)`,
    ].join('\n') + '\n',
  );
  if (!agreeWer || !agreeWorker || !agreeTable) process.exitCode = 1;
}

main();
