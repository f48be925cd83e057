import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { compareRuns, type BreakdownKey } from '../compare/compare-runs.js';
import { loadRunOutcomes } from '../compare/load-run-outcomes.js';
import { comparisonView, defaultMinSliceSize, operatorAccess } from '../compare/sealed-view.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { writeReportFile, type WrittenReport } from './write-report-file.js';
import type { EvalgateConfig } from '../config/config-schema.js';
import { loadLeaderboardArena } from '../arena/leaderboard-arena.js';
import { reportArenaRows } from './render-arena-table.js';

/**
 * Where `evalgate report` writes without `--out`: `report.html` in the cache
 * folder (config `cacheDir`, default `.evalgate/cache`), not the folder the
 * command runs in, which is often a repository.
 */
export function defaultReportPath(cacheDir: string): string {
  return join(resolve(cacheDir), 'report.html');
}

/** Loads, compares and writes the HTML report for some runs. */
export async function writeRunsReport(
  db: Kysely<Database>,
  opts: {
    runIds: readonly string[];
    /** The HTML file; its media go into the folder beside it (`report.html` → `report-media/`). */
    out: string;
    by?: BreakdownKey;
    samples?: number;
    seed?: number;
    /** Keep a sealed dataset's per-sample rows and small slices in the file (default: withheld, as from a viewer key). */
    includeSealed?: boolean;
    /** Smallest slice of a sealed dataset the file may show (config `sealed.minSliceSize`). */
    minSliceSize?: number;
    /** The configuration: with it, the compared models' arena ratings are shown in a small table. */
    config?: EvalgateConfig;
  },
): Promise<WrittenReport & { sharedSamples: number; withheld: readonly string[] }> {
  if (opts.by && !['tag', 'lang', 'task'].includes(opts.by)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--by must be tag, lang or task, not "${opts.by}"` });
  }
  const runs = await loadRunOutcomes(db, opts.runIds);
  // The file is made to be shared: it shows what a non-admin key would see unless the operator asks otherwise.
  const access = opts.includeSealed ? operatorAccess : { isAdmin: false, minSliceSize: opts.minSliceSize ?? defaultMinSliceSize };
  const comparison = comparisonView(compareRuns(runs, { by: opts.by, samples: opts.samples ?? 20, seed: opts.seed, allowSingle: true }), access);
  const arena = opts.config
    ? reportArenaRows(
        await loadLeaderboardArena(db, opts.config, {}),
        runs.map((r) => r.run.modelId),
      )
    : [];
  const written = await writeReportFile(db, opts.out, {
    title: `evalgate report: ${comparison.task} (${comparison.metric})`,
    sections: [{ comparison, runs }],
    ...(arena.length > 0 ? { arena } : {}),
  });
  return { ...written, sharedSamples: comparison.sharedSamples, withheld: comparison.withheld ?? [] };
}
