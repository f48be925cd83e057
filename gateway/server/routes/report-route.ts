import type { FastifyInstance } from 'fastify';
import { loadLeaderboardArena, type ArenaFit } from '../../arena/leaderboard-arena.js';
import { compareLimits, type ComparePool } from '../../compare/compare-pool.js';
import { reportArenaRows } from '../../report/render-arena-table.js';
import { loadRunOutcomes } from '../../compare/load-run-outcomes.js';
import { mayReadReferences, sealedAccess } from '../../compare/sealed-view.js';
import { EvalgateError } from '../../errors.js';
import { resolveRunIds } from '../../store/run-repo.js';
import { checkIterations, compareQuerystring, distinctRunIds } from './compare-query.js';
import { datasetRootDir } from './dataset-root-dir.js';

/** What the route shares with the comparison routes. */
export interface ReportRouteOptions {
  /** The comparison routes' worker pool: the report is compared, cut down and rendered there, never on the event loop. */
  readonly pool: ComparePool;
}

/**
 * `GET /v1/report?runs=A,B&by=&samples=&iterations=&seed=`: the HTML report
 * of `evalgate report` (gateway/report/render-report.ts: interval bars, the
 * capability heat map, latency box plots) for the caller. Aggregates are cut
 * as `/v1/compare` cuts them; the disagreement rows, being per-sample
 * scores, follow `/v1/runs/:id/samples` (gateway/report/report-job.ts). The
 * comparison, the latency sorts and the HTML all run on a comparison worker:
 * on large runs each would hold the event loop. The web page shows the
 * report in a sandboxed frame for its charts; the `sandbox` policy on the
 * response keeps it in an opaque origin wherever else it is opened.
 */
export async function reportRoute(app: FastifyInstance, opts: ReportRouteOptions): Promise<void> {
  app.get<{ Querystring: { runs: string; by?: 'task' | 'tag' | 'lang'; samples?: number; iterations?: number; seed?: number } }>(
    '/report',
    {
      schema: {
        querystring: compareQuerystring(20),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const ids = distinctRunIds(q.runs);
      if (ids.length > compareLimits.maxRuns || ids.length < 2) {
        throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `runs: 2 to ${compareLimits.maxRuns} distinct runs per report (got ${ids.length})` });
      }
      checkIterations(q.iterations);
      const runs = await loadRunOutcomes(app.store.db, await resolveRunIds(app.store.db, ids));
      const scopes = request.auth?.scopes ?? [];
      // Every run compared is on one dataset (compareRuns refuses others); its folder makes media paths relative.
      const mediaRoot = mayReadReferences(sealedAccess(scopes)) ? null : await datasetRootDir(app, runs[0]?.run.datasetId ?? null);
      // Arena ratings beside the metrics, as on the leaderboard: aggregates of votes, fitted on the pool.
      const fit: ArenaFit = (votes, o) => opts.pool.run({ kind: 'arena-ratings', votes, opts: o });
      const arena = reportArenaRows(
        await loadLeaderboardArena(app.store.db, app.evalgateConfig, {}, fit),
        runs.map((r) => r.run.modelId),
      );
      const html = await opts.pool.run({
        kind: 'report',
        input: {
          runs,
          arena,
          opts: { by: q.by, samples: q.samples, iterations: q.iterations, seed: q.seed },
          scopes,
          minSliceSize: app.evalgateConfig.sealed?.minSliceSize,
          mediaRoot,
        },
      });
      void reply.header('content-security-policy', 'sandbox allow-scripts').header('x-content-type-options', 'nosniff');
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
