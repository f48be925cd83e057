import type { Interval } from '../../scorers/stats/paired-bootstrap.js';
import { table } from './format-comparison.js';
import type { KindGapRow, KindGapView } from './kind-gap.js';

const f = (x: number | null | undefined, digits = 4): string => (x == null || Number.isNaN(x) ? '-' : x.toFixed(digits));
const ci = (i: Interval | null): string => (i ? `${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]` : '-');

/** Text rendering of the generalist-vs-specialist view (`compare --task`): one table per board, headed by its criteria. */
export function formatKindGap(v: KindGapView): string {
  const kinds = `generalists: ${v.runsByKind.generalist.map((r) => r.modelId).join(', ') || '-'}; specialists: ${v.runsByKind.specialist.map((r) => r.modelId).join(', ') || '-'}`;
  const out = [`${v.task}: ${v.metric} (${v.lowerIsBetter ? 'lower' : 'higher'} is better)`, kinds];
  // Rows of one board are consecutive (computeKindGap emits them board by board).
  const boards: KindGapRow[][] = [];
  for (const r of v.rows) {
    const last = boards.at(-1)?.[0];
    if (last && last.dataset === r.dataset && last.board === r.board && last.criteria.text === r.criteria.text) boards.at(-1)!.push(r);
    else boards.push([r]);
  }
  for (const rows of boards) {
    const first = rows[0]!;
    out.push('', `${first.dataset} (${first.board} board); criteria: ${first.criteria.text}`, ...first.differs.map((d) => `differs: ${d}`));
    out.push(
      table(
        ['slice', 'best generalist', 'best specialist', 'gap (generalist − specialist)', 'n'],
        rows.map((r) => [
          r.slice,
          r.generalist ? `${r.generalist.modelId} ${ci(r.generalist.value)}` : '-',
          r.specialist ? `${r.specialist.modelId} ${ci(r.specialist.value)}` : '-',
          ci(r.gap),
          String(r.n),
        ]),
      ),
    );
  }
  for (const w of v.withheld ?? []) out.push(`withheld: ${w}`);
  return out.join('\n');
}
