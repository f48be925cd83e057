import { percentile, sortedCopy } from '../../scorers/stats/percentile.js';

// The report's charts as ECharts options built here, as plain JSON data, so
// that the layout decisions (which labels show, how far they turn, what the
// colour scale spans) are made once in tested code, the same for the report
// file, the web page and a test that renders them with ECharts' server-side
// renderer. The browser only adds what JSON cannot carry: the interval
// whiskers' draw function (reportChartsScript).

/** Width every chart is drawn at, px (the report's `.chart` width). */
export const chartWidthPx = 960;

// ECharts' default axis label font is 12 px sans-serif; about 7 px per
// character is a safe overestimate for Latin text, so labels never collide.
const charPx = 7;
const lineHeightPx = 14;
// Past this, a label is cut with an ellipsis (its full text is in the tooltip and the tables).
const maxLabelPx = 240;

/** How one category axis draws its labels. */
export interface CategoryLabels {
  /** ECharts `axisLabel`: every label drawn (`interval: 0`), turned by `rotate` degrees when they would not fit side by side. */
  readonly axisLabel: { readonly interval: 0; readonly hideOverlap: false; readonly rotate: number; readonly width?: number; readonly overflow?: 'truncate' };
  /** Room the labels need below the axis, px. */
  readonly heightPx: number;
}

const textPx = (s: string): number => Math.min(maxLabelPx, [...s].length * charPx);

/**
 * Labels for a category x axis with `labels.length` columns across
 * `plotWidthPx`. ECharts thins category labels that would overlap (its
 * `interval: 'auto'`): with nine tags of about fifteen characters across the
 * report's 960 px it drew every other one, five of nine. Here every label is
 * drawn, level when the widest fits its column, at 45° when a 45° label's
 * footprint fits, else upright (90°), with the room below sized to the widest.
 */
export function categoryLabels(labels: readonly string[], plotWidthPx: number): CategoryLabels {
  const widest = Math.max(0, ...labels.map(textPx));
  const columnPx = plotWidthPx / Math.max(1, labels.length);
  // A label turned by θ needs lineHeight / sin θ of horizontal room per column.
  const rotate = widest <= columnPx * 0.9 ? 0 : lineHeightPx / Math.sin(Math.PI / 4) <= columnPx * 0.9 ? 45 : 90;
  const rad = (rotate * Math.PI) / 180;
  const heightPx = Math.ceil(widest * Math.sin(rad) + lineHeightPx * Math.cos(rad)) + 12;
  const long = labels.some((l) => [...l].length * charPx > maxLabelPx);
  return { axisLabel: { interval: 0, hideOverlap: false, rotate, ...(long ? { width: maxLabelPx, overflow: 'truncate' as const } : {}) }, heightPx };
}

/** Left margin for a category y axis's labels, px. */
function rowLabelsPx(labels: readonly string[]): number {
  return Math.max(60, ...labels.map(textPx)) + 16;
}

/** A chart to draw: its ECharts option and the height it needs. */
export interface ChartSpec {
  /** ECharts option, plain JSON. */
  readonly option: Record<string, unknown>;
  /** Height to draw it at, px (width is {@link chartWidthPx}). */
  readonly heightPx: number;
}

/** What the capability heat map shows. */
export interface HeatmapData {
  /** Column labels (tags, languages or tasks), left to right. */
  readonly columns: readonly string[];
  /** Row labels (runs), bottom to top. */
  readonly rows: readonly string[];
  /** Cells as [column index, row index, metric value]. */
  readonly cells: readonly (readonly [number, number, number])[];
  /** Whether a lower value is better (WER, CER): the colour scale turns round. */
  readonly lowerIsBetter: boolean;
}

/** The colour scale's ends: the data's own range (a single value is centred in a range around it). */
export interface HeatScale {
  /** Smallest value shown. */
  readonly min: number;
  /** Largest value shown. */
  readonly max: number;
}

/**
 * The colour scale spans the data: from its smallest to its largest value,
 * whatever the metric's usual range. WER has no upper bound (insertions: a
 * cell can be 1.37), so a fixed 0–1 scale would paint every value above 1 the
 * same as 1; clamping would need a separate overflow colour a reader must be
 * told about. The legend prints both ends. Non-finite cells are left out.
 */
export function heatScale(values: readonly number[]): HeatScale | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return { min: Math.min(...finite), max: Math.max(...finite) };
}

const cellText = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');

/** The heat map: every column labelled, colours over the data's range with a min/max legend. */
export function heatmapChartOption(h: HeatmapData): ChartSpec {
  const scale = heatScale(h.cells.map((c) => c[2]));
  const left = rowLabelsPx(h.rows);
  const right = 24;
  const x = categoryLabels(h.columns, chartWidthPx - left - right);
  const legendPx = 56;
  const top = 16;
  const bottom = x.heightPx + legendPx;
  const plotPx = Math.max(120, h.rows.length * 40);
  // One value has no range: pad it so the colour sits mid-scale (neither best nor worst); the legend still prints the value.
  const pad = scale && scale.min === scale.max ? Math.max(Math.abs(scale.min), 1) * 0.5 : 0;
  const colours = h.lowerIsBetter ? ['#2da44e', '#fff8c5', '#cf222e'] : ['#cf222e', '#fff8c5', '#2da44e'];
  return {
    heightPx: top + plotPx + bottom,
    option: {
      animation: false,
      tooltip: {},
      grid: { left, right, top, bottom },
      xAxis: { type: 'category', data: [...h.columns], axisLabel: x.axisLabel, splitArea: { show: true } },
      yAxis: { type: 'category', data: [...h.rows], axisLabel: { interval: 0, hideOverlap: false } },
      visualMap: {
        type: 'continuous',
        min: (scale?.min ?? 0) - pad,
        max: (scale?.max ?? 1) + pad,
        // ECharts puts text[0] at the high end and text[1] at the low end.
        text: scale ? [`max ${cellText(scale.max)}`, `min ${cellText(scale.min)}`] : ['', ''],
        // No drag handles: their labels round to whole numbers (1.37 showed as 1); the text gives the ends.
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 4,
        inRange: { color: colours },
      },
      series: [
        {
          type: 'heatmap',
          data: h.cells.map(([c, r, v]) => ({ value: [c, r, Number.isFinite(v) ? v : '-'], label: { formatter: cellText(v) } })),
          label: { show: true },
        },
      ],
    },
  };
}

/** One bar: a run's metric with its interval. */
export interface BarDatum {
  /** Run label. */
  readonly name: string;
  /** `generalist` or `specialist` (colour). */
  readonly kind: string;
  /** Estimate and 95% interval. */
  readonly value: { readonly estimate: number; readonly low: number; readonly high: number };
}

/** Metric bars with interval whiskers (drawn by reportChartsScript's `ci` series). */
export function barsChartOption(bars: readonly BarDatum[], metric: string): ChartSpec {
  return categoryChartOption(
    bars.map((b) => b.name),
    metric,
    [
      {
        type: 'bar',
        name: metric,
        data: bars.map((b) => ({ value: b.value.estimate, itemStyle: { color: b.kind === 'specialist' ? '#8250df' : '#0969da' } })),
      },
      // `encode` puts both interval ends on the y axis, so its range covers the whiskers, not only the bars.
      { type: 'custom', id: 'ci', name: '95% CI', data: bars.map((b, j) => [j, b.value.low, b.value.high]), encode: { x: 0, y: [1, 2] }, z: 10 },
    ],
  );
}

/**
 * One value per named category (a run), left to right: the layout the bar and
 * latency charts share, so their x-axis labels wrap and their plots line up alike.
 */
function categoryChartOption(names: readonly string[], yName: string, series: readonly unknown[]): ChartSpec {
  const left = 64;
  const right = 24;
  const x = categoryLabels(names, chartWidthPx - left - right);
  const top = 32;
  return {
    heightPx: top + 260 + x.heightPx,
    option: {
      animation: false,
      tooltip: {},
      grid: { left, right, top, bottom: x.heightPx },
      xAxis: { type: 'category', data: names, axisLabel: x.axisLabel },
      yAxis: { type: 'value', name: yName },
      series,
    },
  };
}

/** One run's per-sample latencies. */
export interface LatencyDatum {
  /** Run label. */
  readonly name: string;
  /** End-to-end latencies of its answered samples, ms. */
  readonly valuesMs: readonly number[];
}

/** Latency box plots: min, quartiles (linear interpolation, scorers/stats/percentile.ts) and max per run. */
export function latencyChartOption(runs: readonly LatencyDatum[]): ChartSpec {
  return categoryChartOption(
    runs.map((r) => r.name),
    'ms',
    [
      {
        type: 'boxplot',
        data: runs.map((r) => {
          const s = sortedCopy(r.valuesMs.filter((v) => Number.isFinite(v)));
          // A run with no timed answer has no box ('-' is ECharts' empty value).
          return s.length ? [0, 0.25, 0.5, 0.75, 1].map((q) => percentile(s, q)) : ['-', '-', '-', '-', '-'];
        }),
      },
    ],
  );
}

/**
 * Browser code that draws chart specs into the elements named by their ids
 * (`window.reportCharts = [{ id, spec }]`). The interval whiskers need a draw
 * function, which JSON cannot carry, so it is attached here to the series
 * whose id is `ci`.
 */
export const reportChartsScript = `
function drawWhiskers(params, api) {
  const x = api.value(0), lo = api.coord([x, api.value(1)]), hi = api.coord([x, api.value(2)]), w = api.size([1, 0])[0] * 0.15;
  const style = { stroke: '#1b1f24', lineWidth: 1.5 };
  return { type: 'group', children: [
    { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
    { type: 'line', shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style },
    { type: 'line', shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style } ] };
}
for (const { id, spec } of window.reportCharts) {
  const el = document.getElementById(id);
  if (!el) continue;
  el.style.height = spec.heightPx + 'px';
  for (const s of spec.option.series) if (s.id === 'ci') s.renderItem = drawWhiskers;
  echarts.init(el).setOption(spec.option);
}
`;
