// One whole-process run of corpus WER over a TSV of "reference\thypothesis" lines,
// with jiwer's default word split and pooled counts (WerAccumulator). Prints the
// counts and `scoringMs`, the time of the scoring loop alone (file already read).
import { readFileSync } from 'node:fs';
import { WerAccumulator } from '../../scorers/wer/wer-accumulator.js';

const file = process.argv[2];
if (!file) throw new Error('usage: wer-node-worker <pairs.tsv>');
const text = readFileSync(file, 'utf8');
const t0 = process.hrtime.bigint();
const acc = new WerAccumulator();
let pos = 0;
while (pos < text.length) {
  let end = text.indexOf('\n', pos);
  if (end < 0) end = text.length;
  if (end > pos) {
    const tab = text.indexOf('\t', pos);
    acc.addWords(text.slice(pos, tab), text.slice(tab + 1, end));
  }
  pos = end + 1;
}
const o = acc.result();
const scoringMs = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(
  `${JSON.stringify({ wer: o.wer, hits: o.hits, substitutions: o.substitutions, deletions: o.deletions, insertions: o.insertions, scoringMs })}\n`,
);
