import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { compareRuns, type BreakdownKey } from '../compare/compare-runs.js';
import { loadRunOutcomes } from '../compare/load-run-outcomes.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { renderReport } from './render-report.js';

/** Loads, compares and writes the HTML report for some runs. */
export async function writeRunsReport(
  db: Kysely<Database>,
  opts: { runIds: readonly string[]; out: string; by?: BreakdownKey; samples?: number; seed?: number },
): Promise<{ path: string; bytes: number; sharedSamples: number }> {
  if (opts.by && !['tag', 'lang', 'task'].includes(opts.by)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--by must be tag, lang or task, not "${opts.by}"` });
  }
  const runs = await loadRunOutcomes(db, opts.runIds);
  const comparison = compareRuns(runs, { by: opts.by, samples: opts.samples ?? 20, seed: opts.seed, allowSingle: true });
  const html = await renderReport({ title: `evalgate report: ${comparison.task} (${comparison.metric})`, sections: [{ comparison, runs }] });
  const path = resolve(opts.out);
  await writeFile(path, html);
  return { path, bytes: Buffer.byteLength(html), sharedSamples: comparison.sharedSamples };
}
