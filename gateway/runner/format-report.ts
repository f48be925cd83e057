import { formatRtfx } from '../rtfx.js';
import type { BatchTotals } from './run-batch.js';
import type { LatencyStats, RunReport } from './score-run.js';

function fmtNumber(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (v && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function fmtLatency(name: string, s: LatencyStats | null): string | undefined {
  if (!s) return undefined;
  return `  ${name.padEnd(12)} p50 ${s.p50.toFixed(0)}  p90 ${s.p90.toFixed(0)}  p95 ${s.p95.toFixed(0)}  p99 ${s.p99.toFixed(0)}  max ${s.max.toFixed(0)}  (n=${s.n})`;
}

/** The human summary `evalgate run` ends with and `evalgate runs show` prints. */
export function formatRunReport(r: RunReport, extra: { totals?: BatchTotals; enqueued?: number } = {}): string {
  const lines = [`run ${r.runId}  ${r.status}  model ${r.modelId}  task ${r.task}`];
  const c = r.counts;
  lines.push(`samples: ok ${c.ok}  failed ${c.failed}  skipped ${c.skipped}${c.pending ? `  pending ${c.pending}` : ''}  (of ${c.total})`);
  if (extra.totals) {
    const t = extra.totals;
    lines.push(
      `this execution: ok ${t.ok}  failed ${t.failed}  skipped ${t.skipped}${t.cached ? `  from cache ${t.cached}` : ''}${t.cancelled ? '  (stopped early)' : ''}`,
    );
  }
  if (extra.enqueued !== undefined) lines.push(`enqueued: ${extra.enqueued}`);
  if (r.metrics) {
    lines.push('metrics:');
    for (const [k, v] of Object.entries(r.metrics)) lines.push(`  ${k.padEnd(20)} ${fmtNumber(v)}`);
  } else {
    lines.push('metrics: (none yet)');
  }
  if (c.failed > 0) {
    lines.push(
      r.failedAsWrong
        ? `note: ${c.failed} failed sample(s) were scored as empty answers (--failed-as-wrong)`
        : `note: ${c.failed} failed sample(s) are excluded from the metrics (see \`evalgate runs show ${r.runId}\`; resume to retry them)`,
    );
  }
  if (r.rtfx !== null) lines.push(`RTFx: ${formatRtfx(r.rtfx)} (${(r.audioSeconds ?? 0).toFixed(1)} s of audio)`);
  const lat = [
    fmtLatency('request', r.latencyMs.request),
    fmtLatency('first token', r.latencyMs.firstToken),
    fmtLatency('per sample', r.latencyMs.total),
  ].filter((x): x is string => x !== undefined);
  if (lat.length) lines.push('latency (ms):', ...lat);
  if (r.speech) {
    const sp = r.speech;
    lines.push('spoken answers (heard by the ASR expert):');
    const first = fmtLatency('first audio', sp.firstAudioMs);
    if (first) lines.push(`${first}  ms`);
    if (sp.audioSeconds) lines.push(`  audio length mean ${sp.audioSeconds.mean.toFixed(2)} s  p50 ${sp.audioSeconds.p50.toFixed(2)} s`);
    if (sp.realTimeFactor) lines.push(`  real-time factor mean ${sp.realTimeFactor.mean.toFixed(2)}  p90 ${sp.realTimeFactor.p90.toFixed(2)}`);
    lines.push(`  text–speech WER ${sp.textSpeechWer === null ? '- (no self transcript)' : sp.textSpeechWer.toFixed(4)}`);
  }
  if (r.warnings.length) lines.push('warnings:', ...r.warnings.slice(0, 10).map((w) => `  - ${w}`));
  return lines.join('\n');
}
