import type { FastifyInstance } from 'fastify';
import { compareLimits, type ComparePool } from '../../compare/compare-pool.js';
import { loadRunOutcomes } from '../../compare/load-run-outcomes.js';
import { comparisonView, sealedAccess } from '../../compare/sealed-view.js';
import { EvalgateError } from '../../errors.js';
import { renderReport } from '../../report/render-report.js';
import { resolveRunIds } from '../../store/run-repo.js';
import { checkIterations, compareQuerystring, distinctRunIds } from './compare-query.js';

/** What the route shares with the comparison routes. */
export interface ReportRouteOptions {
  /** The comparison routes' worker pool: the report's statistics run there too, never on the event loop. */
  readonly pool: ComparePool;
}

/**
 * `GET /v1/report?runs=A,B&by=&samples=&iterations=&seed=`: the HTML report
 * of `evalgate report` (gateway/report/render-report.ts: interval bars, the
 * capability heat map, latency box plots) for the caller, as
 * `/v1/compare` would show it (gateway/compare/sealed-view.ts). The web page
 * shows it in a sandboxed frame for its charts; the `sandbox` policy on the
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
      const comparison = await opts.pool.run({ kind: 'compare', runs, opts: { by: q.by, samples: q.samples, iterations: q.iterations, seed: q.seed } });
      const view = comparisonView(comparison, sealedAccess(request.auth?.scopes ?? [], app.evalgateConfig.sealed?.minSliceSize));
      const html = await renderReport({ title: `evalgate report: ${view.task} (${view.metric})`, sections: [{ comparison: view, runs }] });
      void reply.header('content-security-policy', 'sandbox allow-scripts');
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
