// Corpus WER on 100,000 seeded synthetic utterance pairs (~20 words): evalgate's
// aligner vs Debian's python3-levenshtein (C) under /usr/bin/python3, words
// mapped to single characters and `Levenshtein.editops` called per pair (the
// way jiwer 2 worked). Each side runs as a whole process; we report the median
// of several runs and the ratio python_time / node_time (≥ 1 means evalgate is
// at least as fast). WER must agree exactly.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../scorers/stats/seeded-random.js';

const PAIRS = Number(process.env.WER_BENCH_PAIRS ?? 100_000);
const RUNS = Number(process.env.WER_BENCH_RUNS ?? 5);
const PYTHON = '/usr/bin/python3';

function makeCorpus(file: string): void {
  const rnd = seededRandom(20240601);
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  // Zipf-ish word choice so frequent words repeat, as in speech
  const word = () => vocab[Math.floor(vocab.length * rnd() ** 3)]!;
  const lines: string[] = [];
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
    lines.push(`${ref.join(' ')}\t${hyp.join(' ')}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
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

function timeProcess(cmd: string, args: string[]): { ms: number; result: Result } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, result: JSON.parse(r.stdout) as Result };
}

const median = (xs: number[]): number => {
  const m = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  if (m === undefined) throw new RangeError('median of no runs (is RUNS 0?)');
  return m;
};

function main(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import Levenshtein'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stderr.write(`baseline unavailable: ${PYTHON} cannot import Levenshtein (apt-get install python3-levenshtein)\n`);
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'wer-bench-'));
  const corpus = path.join(dir, 'pairs.tsv');
  const script = path.join(dir, 'baseline.py');
  makeCorpus(corpus);
  writeFileSync(script, PY_SCRIPT);
  const worker = fileURLToPath(new URL('./wer-node-worker.js', import.meta.url));
  const nodeMs: number[] = [];
  const pyMs: number[] = [];
  let nodeResult: Result | null = null;
  let pyResult: Result | null = null;
  for (let k = 0; k < RUNS; k++) {
    const n = timeProcess(process.execPath, [worker, corpus]);
    const p = timeProcess(PYTHON, [script, corpus]);
    nodeMs.push(n.ms);
    pyMs.push(p.ms);
    nodeResult = n.result;
    pyResult = p.result;
  }
  const agreeWer = nodeResult!.wer === pyResult!.wer;
  const agreeSplit =
    nodeResult!.substitutions === pyResult!.substitutions && nodeResult!.deletions === pyResult!.deletions && nodeResult!.insertions === pyResult!.insertions;
  const ratio = median(pyMs) / median(nodeMs);
  process.stdout.write(
    [
      `pairs: ${PAIRS}, runs: ${RUNS} (whole processes, median)`,
      `evalgate (node ${process.version}):      ${median(nodeMs).toFixed(0)} ms  ${JSON.stringify(nodeResult)}`,
      `python3-levenshtein (${PYTHON}): ${median(pyMs).toFixed(0)} ms  ${JSON.stringify(pyResult)}`,
      `WER agrees exactly: ${agreeWer}`,
      `S/D/I split agrees: ${agreeSplit} (tie-breaking: evalgate follows rapidfuzz/jiwer 3+, the baseline is python-Levenshtein 0.12)`,
      `ratio (baseline time / evalgate time): ${ratio.toFixed(2)}x`,
    ].join('\n') + '\n',
  );
  if (!agreeWer) process.exitCode = 1;
}

main();
