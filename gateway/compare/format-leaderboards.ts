import type { Interval } from '../../scorers/stats/paired-bootstrap.js';
import { table } from './format-comparison.js';
import { formatArenaCell } from '../arena/leaderboard-arena.js';
import type { Leaderboard } from './leaderboard.js';

const f = (x: number | null | undefined, digits = 4): string => (x == null || Number.isNaN(x) ? '-' : x.toFixed(digits));
const ci = (i: Interval): string => `${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]`;

const boardNames: Readonly<Record<Leaderboard['board'], string>> = {
  main: 'main board',
  separate: 'separate board: not comparable with the main board, ranked only among its own runs',
  mixed: 'MIXED board (--allow-mixed): runs that are not comparable are ranked together',
};

/** Text rendering of `evalgate leaderboard`: each board with its criteria, what differs, and failed counts next to n. */
export function formatLeaderboards(boards: readonly Leaderboard[]): string {
  if (boards.length === 0) return 'no completed runs for this task';
  return boards
    .map((b) => {
      const lines = [
        `${b.task} on ${b.dataset}: ${b.metric} (${b.lowerIsBetter ? 'lower' : 'higher'} is better)${b.frozenAt ? `, frozen at ${b.frozenAt}` : ''} (${boardNames[b.board]})`,
        `criteria: ${b.criteria.text}`,
        ...b.differs.map((d) => `differs: ${d}`),
      ];
      const mixed = b.board === 'mixed';
      // Arena ratings beside the metric when any model has one (each labelled human or judge).
      const arena = b.entries.some((e) => e.arena);
      const header = [
        'rank',
        'model',
        'kind',
        b.metric,
        'n',
        'failed',
        'tied with',
        ...(arena ? ['arena rating'] : []),
        ...(mixed ? ['differs from the criteria'] : []),
      ];
      const rows = b.entries.map((e) => [
        String(e.rank),
        e.modelId,
        e.modelKind,
        ci(e.value),
        String(e.n),
        String(e.failed),
        e.tiedWith.join(', '),
        ...(arena ? [formatArenaCell(e.arena)] : []),
        ...(mixed ? [(e.differs ?? []).join('; ') || '-'] : []),
      ]);
      lines.push(table(header, rows));
      if (b.excludedAfterFreeze.length) lines.push(`${b.excludedAfterFreeze.length} run(s) finished after the freeze are not shown (see the audit log)`);
      for (const u of b.unranked) {
        lines.push(`not ranked: ${u.modelId} (run ${u.runId.slice(0, 8)}): ${u.reason} (${u.failed} failed${u.skipped ? `, ${u.skipped} skipped` : ''})`);
      }
      for (const w of b.withheld ?? []) lines.push(`withheld: ${w}`);
      return lines.join('\n');
    })
    .join('\n\n');
}
