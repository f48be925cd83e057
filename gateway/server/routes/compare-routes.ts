import type { FastifyInstance } from 'fastify';
import { compareRuns } from '../../compare/compare-runs.js';
import { kindGapView } from '../../compare/kind-gap.js';
import { buildLeaderboards } from '../../compare/leaderboard.js';
import { loadRunOutcomes } from '../../compare/load-run-outcomes.js';
import { EvalgateError } from '../../errors.js';
import { isAdmin } from '../auth/auth-plugin.js';

const statsQuery = {
  iterations: { type: 'integer', minimum: 10, maximum: 20000, default: 1000 },
  seed: { type: 'integer', default: 1 },
} as const;

/**
 * Comparison REST API under /v1 (viewer scope, enforced by the parent).
 * References and per-sample texts appear only in sample details, and
 * references only for admin keys.
 */
export async function compareRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { runs: string; by?: 'task' | 'tag' | 'lang'; samples?: number; iterations?: number; seed?: number } }>(
    '/compare',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['runs'],
          properties: {
            runs: { type: 'string', minLength: 1 },
            by: { type: 'string', enum: ['task', 'tag', 'lang'], default: 'tag' },
            samples: { type: 'integer', minimum: 0, maximum: 500, default: 0 },
            ...statsQuery,
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const ids = q.runs.split(',').map((s) => s.trim()).filter(Boolean);
      return compareRuns(await loadRunOutcomes(app.store.db, ids), { by: q.by, samples: q.samples, iterations: q.iterations, seed: q.seed });
    },
  );

  app.get<{ Querystring: { task: string; dataset?: string; iterations?: number; seed?: number } }>(
    '/compare/kinds',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['task'],
          properties: { task: { type: 'string' }, dataset: { type: 'string' }, ...statsQuery },
          additionalProperties: false,
        },
      },
    },
    async (request) => kindGapView(app.store.db, request.query),
  );

  app.get<{ Querystring: { task: string; dataset?: string; freeze?: string; iterations?: number; seed?: number } }>(
    '/leaderboard',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['task'],
          properties: { task: { type: 'string' }, dataset: { type: 'string' }, freeze: { type: 'string', format: 'date-time' }, ...statsQuery },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { freeze, ...rest } = request.query;
      return { boards: await buildLeaderboards(app.store.db, { ...rest, freezeAt: freeze ? new Date(freeze) : undefined }) };
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
      const run = await app.store.db
        .selectFrom('runs')
        .leftJoin('datasets', 'datasets.id', 'runs.dataset_id')
        .select(['runs.id', 'runs.task', 'runs.model_id', 'datasets.name as dataset', 'datasets.sealed'])
        .where('runs.id', '=', id)
        .executeTakeFirst();
      if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id });
      const { limit = 100, offset = 0, status } = request.query;
      let q = app.store.db
        .selectFrom('predictions')
        .innerJoin('samples', 'samples.id', 'predictions.sample_id')
        .select([
          'samples.sample_key',
          'samples.task',
          'samples.question',
          'samples.choices',
          'samples.answer',
          'samples.reference',
          'samples.lang',
          'samples.tags',
          'samples.media',
          'predictions.status',
          'predictions.output_text',
          'predictions.error',
          'predictions.attempts',
          'predictions.latency_total_ms',
          'predictions.latency_first_token_ms',
          'predictions.audio_seconds',
        ])
        .where('predictions.run_id', '=', id)
        .orderBy('samples.sample_key')
        .limit(limit)
        .offset(offset);
      if (status) q = q.where('predictions.status', '=', status as 'ok' | 'failed' | 'skipped');
      const admin = isAdmin(request);
      const rows = await q.execute();
      return {
        run: { id: run.id, task: run.task, modelId: run.model_id, dataset: run.dataset },
        samples: rows.map(({ reference, answer, ...r }) => ({
          ...r,
          // References (and MCQ answers) never leave the server for non-admin keys.
          ...(admin ? { reference, answer } : {}),
        })),
      };
    },
  );
}
