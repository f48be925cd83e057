import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Comparison } from '../compare/compare-runs.js';
import type { RunOutcomes } from '../compare/load-run-outcomes.js';
import { evalgateVersion } from '../version.js';

/** One comparison shown in the report. */
export interface ReportSection {
  /** The comparison of the runs. */
  readonly comparison: Comparison;
  /** The runs' outcomes (for latency distributions). */
  readonly runs: readonly RunOutcomes[];
  /** Section heading (default: task and metric). */
  readonly heading?: string;
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

let echartsSource: Promise<string> | undefined;
/** The ECharts bundle, inlined so the report opens offline from a file. */
function loadEcharts(): Promise<string> {
  echartsSource ??= readFile(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), 'utf8');
  return echartsSource;
}

/**
 * Renders a single self-contained HTML file: metric bars with interval
 * whiskers, the capability heat map (models × tags), latency box plots and
 * the disagreement table. No network access is needed to view it.
 */
export async function renderReport(input: ReportInput): Promise<string> {
  const echarts = await loadEcharts();
  const title = input.title ?? 'evalgate report';
  const sections = input.sections.map((section, i) => renderSection(section, i));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#1b1f24}
table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2}.chart{width:100%;max-width:960px;height:360px}.warn{color:#9a6700}.muted{color:#57606a}
section{border-top:2px solid #d0d7de;margin-top:24px}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="muted">evalgate ${esc(evalgateVersion)} · generated ${esc((input.generatedAt ?? new Date()).toISOString())}</p>
${(input.notes ?? []).map((n) => `<p>${esc(n)}</p>`).join('')}
${sections.map((s) => s.html).join('\n')}
<script>${echarts}</script>
<script>
const sections = ${scriptJson(sections.map((s) => s.data))};
function q(values, p) { const s = [...values].sort((a, b) => a - b); if (!s.length) return 0; const i = (s.length - 1) * p, lo = Math.floor(i), hi = Math.ceil(i); return s[lo] + (s[hi] - s[lo]) * (i - lo); }
sections.forEach((data, i) => {
  const bars = echarts.init(document.getElementById('bars-' + i));
  bars.setOption({
    tooltip: {}, xAxis: { type: 'category', data: data.bars.map((b) => b.name) }, yAxis: { type: 'value', name: data.metric },
    series: [
      { type: 'bar', name: data.metric, data: data.bars.map((b) => ({ value: b.value.estimate, itemStyle: { color: b.kind === 'specialist' ? '#8250df' : '#0969da' } })) },
      { type: 'custom', name: '95% CI', renderItem: (params, api) => {
          const x = api.value(0), lo = api.coord([x, api.value(1)]), hi = api.coord([x, api.value(2)]), w = api.size([1, 0])[0] * 0.15;
          const style = { stroke: '#1b1f24', lineWidth: 1.5 };
          return { type: 'group', children: [
            { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
            { type: 'line', shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style },
            { type: 'line', shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style } ] };
        }, data: data.bars.map((b, j) => [j, b.value.low, b.value.high]), z: 10 },
    ],
  });
  const heat = echarts.init(document.getElementById('heat-' + i));
  const hv = data.heat.map((h) => h[2]);
  heat.setOption({
    tooltip: {}, xAxis: { type: 'category', data: data.tags }, yAxis: { type: 'category', data: data.models },
    visualMap: { min: Math.min(0, ...hv), max: Math.max(1, ...hv), calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
      inRange: { color: data.lowerIsBetter ? ['#2da44e', '#fff8c5', '#cf222e'] : ['#cf222e', '#fff8c5', '#2da44e'] } },
    series: [{ type: 'heatmap', data: data.heat, label: { show: true, formatter: (p) => p.value[2].toFixed(3) } }],
    grid: { bottom: 80 },
  });
  const lat = echarts.init(document.getElementById('latency-' + i));
  lat.setOption({
    tooltip: {}, xAxis: { type: 'category', data: data.latency.map((l) => l.name) }, yAxis: { type: 'value', name: 'ms' },
    series: [{ type: 'boxplot', data: data.latency.map((l) => [l.values.length ? Math.min(...l.values) : 0, q(l.values, 0.25), q(l.values, 0.5), q(l.values, 0.75), l.values.length ? Math.max(...l.values) : 0]) }],
  });
});
</script></body></html>
`;
}

function renderSection(section: ReportSection, i: number): { html: string; data: unknown } {
  const c = section.comparison;
  const label = (runId: string): string => {
    const r = c.overall.runs.find((x) => x.runId === runId);
    return r ? `${r.modelId} (${runId.slice(0, 8)})` : runId.slice(0, 8);
  };
  const bars = c.overall.runs.map((r) => ({ name: label(r.runId), kind: r.modelKind, value: r.value }));
  const tags = c.breakdown.map((b) => b.slice);
  const heat = c.breakdown.flatMap((b, ti) => b.runs.map((r, ri) => [ti, ri, r.value.estimate]));
  const latency = section.runs.map((r) => ({
    name: label(r.run.id),
    values: r.outcomes.flatMap((o) => (o.status === 'ok' && o.latencyTotalMs != null ? [o.latencyTotalMs] : [])),
  }));
  const data = { metric: c.metric, lowerIsBetter: c.lowerIsBetter, bars, tags, models: c.overall.runs.map((r) => label(r.runId)), heat, latency };
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
          .join('')}</td><td>${d.media.map((m) => `<a href="${safeHref(m)}">${esc(m)}</a>`).join('<br>')}</td></tr>`,
    )
    .join('');
  const latencyRows = c.latency
    .map(
      (l) =>
        `<tr><td>${esc(label(l.runId))}</td><td>${fmt(l.totalMs.p50)} / ${fmt(l.totalMs.p90)} / ${fmt(l.totalMs.p99)}</td><td>${fmt(l.firstTokenMs.p50)}</td><td>${l.rtfx == null ? '-' : l.rtfx.toFixed(2)}</td></tr>`,
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
<h3>Capability heat map (${esc(c.by)})</h3><div id="heat-${i}" class="chart"></div>
<h3>Latency (ms)</h3><div id="latency-${i}" class="chart"></div>
<table><tr><th>run</th><th>p50 / p90 / p99 ms</th><th>first token p50 ms</th><th>RTFx</th></tr>${latencyRows}</table>
<h3>Largest disagreements</h3>
<table><tr><th>sample</th><th>gap</th><th>predictions</th><th>media</th></tr>${disagreementRows || '<tr><td colspan="4">none</td></tr>'}</table>
</section>`;
  return { html, data };
}

function fmt(x: number | null): string {
  return x == null ? '-' : x.toFixed(0);
}
