import type { Interval } from '../../scorers/stats/paired-bootstrap.js';
import type { Comparison, SliceComparison } from './compare-runs.js';
import { formatRtfx } from '../rtfx.js';

const f = (x: number | null | undefined, digits = 4): string => (x == null || Number.isNaN(x) ? '-' : x.toFixed(digits));
const ci = (i: Interval | null): string => (i ? `${f(i.estimate)} [${f(i.low)}, ${f(i.high)}]` : '-');
const p = (x: number): string => (x < 0.001 ? '<0.001' : x.toFixed(3));

/** Renders rows as a left-aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // A cell past the header's columns has no width to pad to.
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function sliceRows(s: SliceComparison): string[][] {
  return s.runs.map((r) => {
    const d = s.differences.find((x) => x.runId === r.runId);
    return [s.slice, String(s.n), r.modelId, r.runId.slice(0, 8), ci(r.value), d ? ci(d.difference) : '(baseline)', d ? `${p(d.pValue)} (${d.test})` : ''];
  });
}

/** Text rendering of `evalgate compare`. */
export function formatComparison(c: Comparison): string {
  const out: string[] = [];
  out.push(
    `task ${c.task}: ${c.metric} (${c.lowerIsBetter ? 'lower' : 'higher'} is better), ${c.sharedSamples} shared samples; 95% bootstrap intervals (${c.bootstrap.iterations} resamples, seed ${c.bootstrap.seed})`,
  );
  const counts = Object.entries(c.samplesPerRun).map(([id, n]) => `${id.slice(0, 8)}: ok ${n.ok}, failed ${n.failed}, skipped ${n.skipped}`);
  out.push(`samples per run: ${counts.join('; ')}`);
  const header = ['slice', 'n', 'model', 'run', c.metric, 'difference vs baseline', 'p'];
  out.push('', table(header, [...sliceRows(c.overall), ...c.breakdown.flatMap(sliceRows)]));
  out.push(
    '',
    table(
      ['run', 'latency p50/p90/p99 ms', 'first token p50 ms', 'RTFx'],
      c.latency.map((l) => [
        l.runId.slice(0, 8),
        `${f(l.totalMs.p50, 0)}/${f(l.totalMs.p90, 0)}/${f(l.totalMs.p99, 0)}`,
        f(l.firstTokenMs.p50, 0),
        formatRtfx(l.rtfx),
      ]),
    ),
  );
  if (c.disagreements.length) {
    out.push('', 'largest disagreements:');
    for (const d of c.disagreements) {
      out.push(`  ${d.sampleKey} (gap ${f(d.gap)})${d.media.length ? `  media: ${d.media.join(', ')}` : ''}`);
      for (const r of d.runs)
        out.push(`    ${r.runId.slice(0, 8)} score ${f(r.score)} ${r.errors ? `[${r.errors}] ` : ''}${JSON.stringify(r.prediction ?? '')}`);
    }
  }
  for (const w of c.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}
