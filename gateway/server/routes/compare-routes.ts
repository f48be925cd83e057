import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadLeaderboardArena, withArenaColumns, type ArenaFit } from '../../arena/leaderboard-arena.js';
import { ComparePool, compareLimits } from '../../compare/compare-pool.js';
import { loadKindGapInput } from '../../compare/kind-gap.js';
import { loadLeaderboardInput } from '../../compare/leaderboard.js';
import { loadRunOutcomes } from '../../compare/load-run-outcomes.js';
import { comparisonView, kindGapFor, leaderboardsView, mayReadReferences, sealedAccess, type SealedAccess } from '../../compare/sealed-view.js';
import { predictionIsScore } from '../../../scorers/tasks/index.js';
import { EvalgateError } from '../../errors.js';
import { publicComparisonMedia } from '../auth/public-media-path.js';
import type { PredictionStatus } from '../../store/database.js';
import { findRunWithDataset, listRunSamples } from '../../store/run-listing-repo.js';
import { resolveRunId, resolveRunIds } from '../../store/run-repo.js';
import { datasetRootDir } from './dataset-root-dir.js';
import { checkIterations, compareQuerystring, distinctRunIds, statsQuery } from './compare-query.js';
import { reportRoute } from './report-route.js';
import { runSampleExtras } from './run-sample-extras.js';

// Incomparable runs share a board only when asked (`--allow-mixed` on the CLI); the board is then marked mixed.
const mixedQuery = { allowMixed: { type: 'boolean', default: false } } as const;

/**
 * Comparison REST API under /v1 (viewer scope, enforced by the parent).
 * The statistics run on a small worker pool (bounded queue, time limit), so a
 * heavy request never holds the event loop; what each scope may see of the
 * result is decided by gateway/compare/sealed-view.ts.
 */
export async function compareRoutes(app: FastifyInstance): Promise<void> {
  const pool = new ComparePool();
  app.addHook('onClose', async () => pool.close());
  const accessOf = (request: FastifyRequest): SealedAccess => sealedAccess(request.auth?.scopes ?? [], app.evalgateConfig.sealed?.minSliceSize);
  // The HTML report (the web page's charts) shares this pool.
  await app.register(reportRoute, { pool });

  app.get<{ Querystring: { runs: string; by?: 'task' | 'tag' | 'lang'; samples?: number; iterations?: number; seed?: number } }>(
    '/compare',
    {
      schema: {
        querystring: compareQuerystring(0),
      },
    },
    async (request) => {
      const q = request.query;
      // Duplicates name the same run: they are compared once.
      const ids = distinctRunIds(q.runs);
      if (ids.length > compareLimits.maxRuns) {
        throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
          detail: `runs: at most ${compareLimits.maxRuns} distinct runs per comparison (got ${ids.length})`,
        });
      }
      if (ids.length < 2) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'compare needs at least two distinct runs' });
      checkIterations(q.iterations);
      // Full ids or 8+ character prefixes, as everywhere a run id is taken.
      const runs = await loadRunOutcomes(app.store.db, await resolveRunIds(app.store.db, ids));
      const comparison = await pool.run({ kind: 'compare', runs, opts: { by: q.by, samples: q.samples, iterations: q.iterations, seed: q.seed } });
      const access = accessOf(request);
      const view = comparisonView(comparison, access);
      // Disagreement rows name their samples' media: server paths for admin keys only.
      if (mayReadReferences(access) || view.disagreements.length === 0) return view;
      return publicComparisonMedia(view, await datasetRootDir(app, runs[0]?.run.datasetId ?? null));
    },
  );

  app.get<{ Querystring: { task: string; dataset?: string; allowMixed?: boolean; iterations?: number; seed?: number } }>(
    '/compare/kinds',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['task'],
          properties: { task: { type: 'string' }, dataset: { type: 'string' }, ...mixedQuery, ...statsQuery },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { iterations, seed } = request.query;
      checkIterations(iterations);
      const input = await loadKindGapInput(app.store.db, request.query);
      return kindGapFor(await pool.run({ kind: 'kinds', input, opts: { iterations, seed } }), accessOf(request));
    },
  );

  app.get<{ Querystring: { task: string; dataset?: string; freeze?: string; allowMixed?: boolean; iterations?: number; seed?: number } }>(
    '/leaderboard',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['task'],
          properties: { task: { type: 'string' }, dataset: { type: 'string' }, freeze: { type: 'string', format: 'date-time' }, ...mixedQuery, ...statsQuery },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { freeze, iterations, seed, ...rest } = request.query;
      checkIterations(iterations);
      const freezeAt = freeze ? new Date(freeze) : undefined;
      const input = await loadLeaderboardInput(app.store.db, { ...rest, freezeAt });
      const boards = leaderboardsView(await pool.run({ kind: 'leaderboard', input, opts: { iterations, seed } }), accessOf(request));
      // Arena ratings beside the metrics (aggregates of votes, the same freeze), fitted on the pool.
      const fit: ArenaFit = (votes, opts) => pool.run({ kind: 'arena-ratings', votes, opts });
      return { boards: withArenaColumns(boards, await loadLeaderboardArena(app.store.db, app.evalgateConfig, freezeAt ? { freezeAt } : {}, fit)) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number; offset?: number; status?: string } }>(
    '/runs/:id/samples',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
            status: { type: 'string', enum: ['ok', 'failed', 'skipped'] },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const run = await findRunWithDataset(app.store.db, await resolveRunId(app.store.db, id));
      if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id });
      const { limit = 100, offset = 0, status } = request.query;
      // References go to admin keys on every dataset; scores and signed media links as run-sample-extras.ts decides.
      const admin = mayReadReferences(accessOf(request));
      const rows = await listRunSamples(app.store.db, run.id, { limit, offset, status: status as PredictionStatus | undefined });
      const extras = await runSampleExtras(
        app,
        request,
        run,
        rows.map((r) => r.sample_key),
      );
      return {
        run: { id: run.id, task: run.task, modelId: run.model_id, dataset: run.dataset },
        samples: rows.map(({ reference, answer, human_answers: humanAnswers, ...r }) => {
          const scores = extras.scores(r.sample_key);
          // A judged run's prediction is the judge's score: it follows the per-sample score rule. A failed judge
          // reply can quote the reference: its message follows the reference rule (admin only, on every dataset).
          const judged = predictionIsScore(run.task);
          const hideScore = judged && !scores;
          const hideReply = judged && !admin;
          return {
            ...r,
            ...(hideScore ? { output_text: null } : {}),
            ...(hideReply ? { error: r.error ? { code: (r.error as { code?: unknown }).code ?? null } : null } : {}),
            media: extras.media(r.sample_key, r.media),
            ...(scores ? { scores } : {}),
            ...(admin ? { reference, answer, ...(humanAnswers ? { humanAnswers } : {}) } : {}),
          };
        }),
      };
    },
  );
}
