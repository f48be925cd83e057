import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Comparison } from '../compare/compare-runs.js';
import type { RunOutcomes } from '../compare/load-run-outcomes.js';
import { formatRtfx } from '../rtfx.js';
import { evalgateVersion } from '../version.js';
import type { ReportMediaLink } from './copy-report-media.js';
import { barsChartOption, chartWidthPx, heatmapChartOption, latencyChartOption, reportChartsScript, type ChartSpec } from './report-charts.js';
import { renderArenaTable, type ReportArenaRow } from './render-arena-table.js';

/** One comparison shown in the report. */
export interface ReportSection {
  /** The comparison of the runs. */
  readonly comparison: Comparison;
  /** The runs' outcomes (for latency distributions). */
  readonly runs: readonly RunOutcomes[];
  /** Section heading (default: task and metric). */
  readonly heading?: string;
  /**
   * Media of the disagreement samples by sample key, as copied beside the
   * file (copy-report-media.ts). Without it media paths are shown as text,
   * unlinked: a path relative to the dataset means nothing where the report is.
   */
  readonly media?: ReadonlyMap<string, readonly ReportMediaLink[]>;
}

/** Everything the report shows. */
export interface ReportInput {
  /** One section per task or comparison. */
  readonly sections: readonly ReportSection[];
  /** Report title. */
  readonly title?: string;
  /** Free-form notes shown under the title (e.g. what was skipped and why). */
  readonly notes?: readonly string[];
  /** Generation time (injected so tests can pin it). */
  readonly generatedAt?: Date;
  /** The compared models' arena ratings, shown as a small table (render-arena-table.ts); none: no table. */
  readonly arena?: readonly ReportArenaRow[];
}

/** The one escaper: every value that enters the HTML goes through it (text and attribute values alike). */
const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// The pattern matches only the table's keys, so the fallback never applies.
const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * A link target for a media path or URL: http(s) URLs as they are, anything
 * else as a relative path with each segment percent-encoded (so a file named
 * `javascript:alert(1)` becomes `./javascript%3Aalert(1)`, a file, never a
 * scheme). Only relative and http(s) URLs reach an href. Returns it escaped.
 */
export function safeHref(target: string): string {
  if (/^https?:\/\/[^\s]+$/i.test(target)) return esc(target);
  const path = target.replace(/\\/g, '/');
  const lead = path.startsWith('/') ? '/' : path.startsWith('../') ? '' : './';
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg === '..' || seg === '.' ? seg : encodeURIComponent(seg)));
  return esc(lead + segments.join('/'));
}

/** JSON safe to embed inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Where the ECharts bundle the report inlines is. */
export function echartsBundlePath(): string {
  return createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
}

let echartsSource: Promise<string> | undefined;
/** The ECharts bundle, inlined so the report opens offline from a file. */
function loadEcharts(): Promise<string> {
  echartsSource ??= readFile(echartsBundlePath(), 'utf8');
  return echartsSource;
}

/**
 * Renders a single self-contained HTML file: metric bars with interval
 * whiskers, the capability heat map (models × tags), latency box plots and
 * the disagreement table. No network access is needed to view it; media
 * links point into the folder beside it when the caller copied them there.
 */
export async function renderReport(input: ReportInput): Promise<string> {
  return renderReportHtml(input, await loadEcharts());
}

/**
 * {@link renderReport} with the ECharts bundle's source given: synchronous,
 * for a worker thread (report-job.ts), since sorting every run's latencies
 * and writing the tables takes long enough on large runs to stall a server.
 */
export function renderReportHtml(input: ReportInput, echarts: string): string {
  const title = input.title ?? 'evalgate report';
  const sections = input.sections.map((section, i) => renderSection(section, i));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#1b1f24}
table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2}.chart{width:${chartWidthPx}px;height:360px}.warn{color:#9a6700}.muted{color:#57606a}
section{border-top:2px solid #d0d7de;margin-top:24px}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="muted">evalgate ${esc(evalgateVersion)} · generated ${esc((input.generatedAt ?? new Date()).toISOString())}</p>
${(input.notes ?? []).map((n) => `<p>${esc(n)}</p>`).join('')}
${renderArenaTable(input.arena ?? [])}
${sections.map((s) => s.html).join('\n')}
<script>${echarts}</script>
<script>
window.reportCharts = ${scriptJson(sections.flatMap((s) => s.charts))};
${reportChartsScript}
</script></body></html>
`;
}

/** The charts of one report section, by element id (exported for the web page). */
export function sectionCharts(section: ReportSection, i: number): { id: string; spec: ChartSpec }[] {
  const c = section.comparison;
  const label = runLabeller(c);
  const latency = section.runs.map((r) => ({
    name: label(r.run.id),
    valuesMs: r.outcomes.flatMap((o) => (o.status === 'ok' && o.latencyTotalMs != null ? [o.latencyTotalMs] : [])),
  }));
  return [
    {
      id: `bars-${i}`,
      spec: barsChartOption(
        c.overall.runs.map((r) => ({ name: label(r.runId), kind: r.modelKind, value: r.value })),
        c.metric,
      ),
    },
    {
      id: `heat-${i}`,
      spec: heatmapChartOption({
        columns: c.breakdown.map((b) => b.slice),
        rows: c.overall.runs.map((r) => label(r.runId)),
        cells: c.breakdown.flatMap((b, ti) => b.runs.map((r, ri) => [ti, ri, r.value.estimate] as const)),
        lowerIsBetter: c.lowerIsBetter,
      }),
    },
    { id: `latency-${i}`, spec: latencyChartOption(latency) },
  ];
}

/** `model (run id prefix)`, the name a run has in every chart and table. */
function runLabeller(c: Comparison): (runId: string) => string {
  return (runId) => {
    const r = c.overall.runs.find((x) => x.runId === runId);
    return r ? `${r.modelId} (${runId.slice(0, 8)})` : runId.slice(0, 8);
  };
}

/** A disagreement's media cell: links to the copies beside the file, else the recorded paths as text. */
function mediaCell(paths: readonly string[], links: readonly ReportMediaLink[] | undefined): string {
  if (!links) return paths.map((m) => `<span class="muted">${esc(m)}</span>`).join('<br>');
  return links
    .map((l) => (l.href ? `<a href="${safeHref(l.href)}">${esc(l.label)}</a>` : `<span class="muted">${esc(l.label)} (${esc(l.note ?? 'not copied')})</span>`))
    .join('<br>');
}

function renderSection(section: ReportSection, i: number): { html: string; charts: { id: string; spec: ChartSpec }[] } {
  const c = section.comparison;
  const label = runLabeller(c);
  const values = c.overall.runs
    .map(
      (r) =>
        `<tr><td>${esc(label(r.runId))}</td><td>${esc(r.modelKind)}</td><td>${r.value.estimate.toFixed(4)} [${r.value.low.toFixed(4)}, ${r.value.high.toFixed(4)}]</td></tr>`,
    )
    .join('');
  const diffRows = c.overall.differences
    .map(
      (d) =>
        `<tr><td>${esc(label(d.runId))}</td><td>${d.difference.estimate.toFixed(4)} [${d.difference.low.toFixed(4)}, ${d.difference.high.toFixed(4)}]</td><td>${d.pValue.toFixed(4)} (${esc(d.test)})</td></tr>`,
    )
    .join('');
  const disagreementRows = c.disagreements
    .map(
      (d) =>
        `<tr><td>${esc(d.sampleKey)}</td><td>${d.gap.toFixed(4)}</td><td>${d.runs
          .map((r) => `<div><b>${esc(label(r.runId))}</b> ${r.score.toFixed(4)} ${esc(r.errors)}: “${esc(r.prediction)}”</div>`)
          .join('')}</td><td>${mediaCell(d.media, section.media?.get(d.sampleKey))}</td></tr>`,
    )
    .join('');
  const latencyRows = c.latency
    .map(
      (l) =>
        `<tr><td>${esc(label(l.runId))}</td><td>${fmt(l.totalMs.p50)} / ${fmt(l.totalMs.p90)} / ${fmt(l.totalMs.p99)}</td><td>${fmt(l.firstTokenMs.p50)}</td><td class="rtfx">${formatRtfx(l.rtfx)}</td></tr>`,
    )
    .join('');
  const html = `<section>
<h2>${esc(section.heading ?? `${c.task}: ${c.metric}`)}</h2>
<p class="muted">${c.sharedSamples} shared samples · 95% bootstrap intervals (${c.bootstrap.iterations} resamples, seed ${c.bootstrap.seed}) · ${c.lowerIsBetter ? 'lower' : 'higher'} is better</p>
${c.warnings.map((w) => `<p class="warn">warning: ${esc(w)}</p>`).join('')}
${(c.withheld ?? []).map((w) => `<p class="warn">withheld: ${esc(w)}</p>`).join('')}
<h3>${esc(c.metric)} per run</h3><div id="bars-${i}" class="chart"></div>
<table><tr><th>run</th><th>kind</th><th>${esc(c.metric)} [95% CI]</th></tr>${values}</table>
<table><tr><th>run</th><th>difference vs baseline [95% CI]</th><th>p</th></tr>${diffRows || '<tr><td colspan="3">single run: nothing to compare against</td></tr>'}</table>
<h3>Capability heat map (${esc(c.by)})</h3>
<p class="muted">Colours span the values shown, from the smallest to the largest (the legend gives both): ${c.lowerIsBetter ? 'green is lowest, red highest' : 'red is lowest, green highest'}. ${esc(c.metric)} can exceed 1 where insertions count (WER, CER).</p>
<div id="heat-${i}" class="chart"></div>
<h3>Latency (ms)</h3><div id="latency-${i}" class="chart"></div>
<table><tr><th>run</th><th>p50 / p90 / p99 ms</th><th>first token p50 ms</th><th>RTFx</th></tr>${latencyRows}</table>
<p class="muted">RTFx: total audio seconds ÷ total model-call seconds over each run's answered samples (the figure <code>evalgate run</code> prints).</p>
<h3>Largest disagreements</h3>
<table><tr><th>sample</th><th>gap</th><th>predictions</th><th>media</th></tr>${disagreementRows || '<tr><td colspan="4">none</td></tr>'}</table>
</section>`;
  return { html, charts: sectionCharts(section, i) };
}

function fmt(x: number | null): string {
  return x == null ? '-' : x.toFixed(0);
}
