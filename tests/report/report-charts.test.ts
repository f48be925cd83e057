import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { categoryLabels, chartWidthPx, heatmapChartOption, heatScale, type ChartSpec } from '../../gateway/report/report-charts.js';

// ECharts itself, drawn by its server-side SVG renderer: the labels and legend
// it lays out are the ones a browser shows (same layout code, no canvas).
const echarts = createRequire(import.meta.url)('echarts') as {
  init(
    dom: null,
    theme: null,
    opts: { renderer: 'svg'; ssr: true; width: number; height: number },
  ): { setOption(o: unknown): void; renderToSVGString(): string; dispose(): void };
};

function drawnTexts(spec: ChartSpec): string[] {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: chartWidthPx, height: spec.heightPx });
  try {
    chart.setOption(spec.option);
    return [...chart.renderToSVGString().matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');
  } finally {
    chart.dispose();
  }
}

// Nine tags of the length real capability tags have, as in the report that showed five of nine.
const tags = [
  'noisy-far-field',
  'accented-speech',
  'numbers-dates',
  'code-switching',
  'short-utterance',
  'long-utterance',
  'telephone-8k',
  'children',
  'overlapping',
];
const rows = ['gpt-4o-audio (2ec959e7)', 'whisper-large (a1b2c3d4)'];
// WER per cell; one slice reaches 1.37 (insertions), past the 0–1 a fixed scale assumed.
const cells = tags.flatMap((_, c) => rows.map((_, r) => [c, r, c === 3 && r === 0 ? 1.37 : 0.05 + 0.04 * c + 0.02 * r] as [number, number, number]));

describe('the capability heat map', () => {
  const spec = heatmapChartOption({ columns: tags, rows, cells, lowerIsBetter: true });

  it('labels every column, once each', () => {
    const texts = drawnTexts(spec);
    for (const t of tags)
      expect(
        texts.filter((x) => x === t),
        t,
      ).toHaveLength(1);
  });

  it('is the fix that shows them: ECharts left to thin the same labels draws only some', () => {
    const xAxis = spec.option.xAxis as Record<string, unknown>;
    const thinned = drawnTexts({ ...spec, option: { ...spec.option, xAxis: { ...xAxis, axisLabel: {} } } });
    expect(tags.filter((t) => thinned.includes(t)).length).toBeLessThan(tags.length);
  });

  it('has a colour scale from the smallest to the largest value, with both in the legend', () => {
    const values = cells.map((c) => c[2]);
    const visualMap = spec.option.visualMap as { min: number; max: number };
    expect(visualMap.min).toBe(Math.min(...values));
    expect(visualMap.max).toBe(1.37);
    const texts = drawnTexts(spec);
    expect(texts).toContain('max 1.370');
    expect(texts).toContain(`min ${Math.min(...values).toFixed(3)}`);
    // Each cell prints its value, the one above 1 included.
    expect(texts).toContain('1.370');
  });

  it('turns green for the lowest value when lower is better, and red when higher is better', () => {
    const colours = (lowerIsBetter: boolean) =>
      (heatmapChartOption({ columns: tags, rows, cells, lowerIsBetter }).option.visualMap as { inRange: { color: string[] } }).inRange.color;
    expect(colours(true)[0]).toBe('#2da44e');
    expect(colours(false)[0]).toBe('#cf222e');
  });

  it('centres a single value in its scale and still prints it', () => {
    expect(heatScale([0.4, Number.NaN])).toEqual({ min: 0.4, max: 0.4 });
    expect(heatScale([])).toBeNull();
    const one = heatmapChartOption({ columns: ['asr'], rows: ['m (12345678)'], cells: [[0, 0, 0.4]], lowerIsBetter: true });
    const vm = one.option.visualMap as { min: number; max: number };
    expect((vm.min + vm.max) / 2).toBeCloseTo(0.4, 12);
    expect(vm.max).toBeGreaterThan(vm.min);
    expect(drawnTexts(one)).toEqual(expect.arrayContaining(['asr', 'max 0.400', 'min 0.400']));
  });
});

describe('category labels', () => {
  it('stay level when they fit their column, and turn when they would collide', () => {
    expect(categoryLabels(['a', 'b', 'c'], 800).axisLabel.rotate).toBe(0);
    expect(categoryLabels(tags, 800).axisLabel.rotate).toBe(45);
    const many = Array.from({ length: 80 }, (_, i) => `slice-${i}`);
    expect(categoryLabels(many, 800).axisLabel.rotate).toBe(90);
    for (const l of [['a'], tags, many]) expect(categoryLabels(l, 800).axisLabel.interval).toBe(0);
  });

  it('leave room below the axis for the widest turned label', () => {
    const level = categoryLabels(['a', 'b'], 800).heightPx;
    const turned = categoryLabels(tags, 800).heightPx;
    expect(turned).toBeGreaterThan(level);
    // 15 characters at 45°: at least their diagonal's height.
    expect(turned).toBeGreaterThanOrEqual(Math.ceil(15 * 7 * Math.SQRT1_2));
  });
});
