import { readFileSync } from 'node:fs';
import { compareRuns, type CompareOptions, type Comparison } from '../compare/compare-runs.js';
import type { RunOutcomes } from '../compare/load-run-outcomes.js';
import { comparisonView, liveScoresVisible, mayReadReferences, sealedAccess } from '../compare/sealed-view.js';
import { publicComparisonMedia } from '../server/auth/public-media-path.js';
import type { ApiKeyScope } from '../store/database.js';
import type { ReportArenaRow } from './render-arena-table.js';
import { echartsBundlePath, renderReportHtml } from './render-report.js';

/** What `GET /v1/report` hands its worker: the runs, the comparison settings and who asked. */
export interface ReportJob {
  /** The runs' outcomes, as loaded for a comparison. */
  readonly runs: readonly RunOutcomes[];
  /** Slicing, example samples and bootstrap settings. */
  readonly opts: CompareOptions;
  /** The caller's scopes: what the report shows follows from them (reportComparisonView). */
  readonly scopes: readonly ApiKeyScope[];
  /** Config `sealed.minSliceSize`. */
  readonly minSliceSize?: number;
  /** The dataset's root folder, to show media paths relative to it to non-admin callers. */
  readonly mediaRoot: string | null;
  /** The compared models' arena ratings (aggregates of votes), shown as a small table; none: no table. */
  readonly arena?: readonly ReportArenaRow[];
}

/**
 * A comparison as the report shows it to a caller holding `scopes`. The
 * disagreement rows are per-sample scores (each run's score, the gap, the
 * scorer's details, a judged run's prediction being a score too), so they
 * follow the rule of `GET /v1/runs/:id/samples` exactly: `evaluator` keys on
 * an open dataset, `admin` keys on a sealed one (liveScoresVisible). On top
 * of that the sealed policy (comparisonView) cuts small and partial slices,
 * and media paths are server paths for admin keys only.
 */
export function reportComparisonView(c: Comparison, scopes: readonly ApiKeyScope[], minSliceSize: number | undefined, mediaRoot: string | null): Comparison {
  const access = sealedAccess(scopes, minSliceSize);
  let view = comparisonView(c, access);
  if (view.disagreements.length > 0 && !liveScoresVisible(scopes, c.sealed)) {
    const why = 'per-sample disagreements: per-sample scores need an evaluator key on an open dataset (as /v1/runs/:id/samples)';
    view = { ...view, disagreements: [], withheld: [...(view.withheld ?? []), why] };
  }
  return mayReadReferences(access) ? view : publicComparisonMedia(view, mediaRoot);
}

let echarts: string | undefined;

/**
 * The whole report, compared, cut down for the caller and rendered: run on a
 * comparison worker (gateway/compare/compare-job.ts), since the bootstrap,
 * the latency sorts and the HTML of a large comparison would each hold the
 * event loop. Returns the HTML.
 */
export function runReportJob(job: ReportJob): string {
  const view = reportComparisonView(compareRuns(job.runs, job.opts), job.scopes, job.minSliceSize, job.mediaRoot);
  // Read once per worker thread: the bundle does not change while the process runs.
  echarts ??= readFileSync(echartsBundlePath(), 'utf8');
  return renderReportHtml(
    {
      title: `evalgate report: ${view.task} (${view.metric})`,
      sections: [{ comparison: view, runs: job.runs }],
      ...(job.arena && job.arena.length > 0 ? { arena: job.arena } : {}),
    },
    echarts,
  );
}
