import type { RunSampleHeader, RunSampleRecord } from './run-sample-records.js';

// The text view of `evalgate runs show ID --samples`: one block per sample,
// strings quoted as JSON so newlines and blanks show, long ones cut short
// (`--json` and `runs export` carry them whole).

/** Longest string shown whole in the text view. */
const maxShownChars = 200;

function shown(v: unknown): string {
  if (v === null || v === undefined) return '-';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const cut = s.length > maxShownChars ? `${s.slice(0, maxShownChars)}…` : s;
  return JSON.stringify(cut);
}

/** Four decimals at most; a small non-zero value keeps two significant digits rather than reading as 0. */
function number(v: number): string {
  const rounded = Number(v.toFixed(4));
  return rounded === 0 && v !== 0 ? v.toPrecision(2) : String(rounded);
}

/** One sample's block. */
export function formatRunSample(r: RunSampleRecord): string {
  const head = [r.sampleKey, r.status];
  if (r.scores) head.push(...Object.entries(r.scores).map(([m, v]) => `${m} ${number(v)}`));
  if (r.latencyMs.total !== null) head.push(`${Math.round(r.latencyMs.total)} ms`);
  if (r.attempts > 1) head.push(`${r.attempts} attempts`);
  const lines = [head.join('  '), `  prediction: ${shown(r.prediction)}`];
  if (r.reference !== undefined) lines.push(`  reference:  ${shown(r.reference)}`);
  if (r.answer !== undefined && r.answer !== null) lines.push(`  answer:     ${r.answer}`);
  if (r.error) {
    const { code, message, statusCode } = r.error as { code?: unknown; message?: unknown; statusCode?: unknown };
    const where = [code, statusCode === undefined ? undefined : `HTTP ${String(statusCode)}`].filter((x) => x !== undefined).join(', ');
    lines.push(`  error:      ${where ? `[${String(where)}] ` : ''}${shown(message)}`);
  }
  return lines.join('\n');
}

/** The page: a header line, the blocks, and how to see more. */
export function formatRunSamplesPage(
  run: RunSampleHeader,
  page: { readonly samples: readonly RunSampleRecord[]; readonly total: number; readonly offset: number; readonly failedOnly: boolean },
  withheld: readonly string[],
): string {
  const what = page.failedOnly ? 'failed or skipped samples' : 'samples';
  const from = page.samples.length ? page.offset + 1 : page.offset;
  const head = `run ${run.runId}  model ${run.modelId}  task ${run.task}  dataset ${run.dataset ?? '-'}${run.sealed ? ' (sealed)' : ''}\n${what} ${from}-${page.offset + page.samples.length} of ${page.total}`;
  const lines = [head, ...page.samples.map(formatRunSample)];
  if (page.total === 0) lines.push(page.failedOnly ? 'no failed or skipped samples' : 'no predictions yet');
  const next = page.offset + page.samples.length;
  if (next < page.total)
    lines.push(`more: --offset ${next} (or \`evalgate runs export ${run.runId} --format jsonl${page.failedOnly ? ' --failed' : ''}\` for every row)`);
  if (withheld.length) lines.push(`withheld: ${withheld.join('; ')}`);
  return lines.join('\n');
}
