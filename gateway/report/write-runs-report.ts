import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { compareRuns, type BreakdownKey } from '../compare/compare-runs.js';
import { loadRunOutcomes } from '../compare/load-run-outcomes.js';
import { comparisonView, defaultMinSliceSize, operatorAccess } from '../compare/sealed-view.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { renderReport } from './render-report.js';

/** Loads, compares and writes the HTML report for some runs. */
export async function writeRunsReport(
  db: Kysely<Database>,
  opts: {
    runIds: readonly string[];
    out: string;
    by?: BreakdownKey;
    samples?: number;
    seed?: number;
    /** Keep a sealed dataset's per-sample rows and small slices in the file (default: withheld, as from a viewer key). */
    includeSealed?: boolean;
    /** Smallest slice of a sealed dataset the file may show (config `sealed.minSliceSize`). */
    minSliceSize?: number;
  },
): Promise<{ path: string; bytes: number; sharedSamples: number; withheld: readonly string[] }> {
  if (opts.by && !['tag', 'lang', 'task'].includes(opts.by)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--by must be tag, lang or task, not "${opts.by}"` });
  }
  const runs = await loadRunOutcomes(db, opts.runIds);
  // The file is made to be shared: it shows what a non-admin key would see unless the operator asks otherwise.
  const access = opts.includeSealed ? operatorAccess : { isAdmin: false, minSliceSize: opts.minSliceSize ?? defaultMinSliceSize };
  const comparison = comparisonView(compareRuns(runs, { by: opts.by, samples: opts.samples ?? 20, seed: opts.seed, allowSingle: true }), access);
  const html = await renderReport({ title: `evalgate report: ${comparison.task} (${comparison.metric})`, sections: [{ comparison, runs }] });
  const path = resolve(opts.out);
  await writeFile(path, html);
  return { path, bytes: Buffer.byteLength(html), sharedSamples: comparison.sharedSamples, withheld: comparison.withheld ?? [] };
}
