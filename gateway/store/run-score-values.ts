import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * The values of the named per-sample score rows over a run's `ok`
 * predictions, by metric (for summaries of measures that are not the task's
 * metric, such as a spoken answer's time to first audio).
 */
export async function runScoreValues(db: Kysely<Database>, runId: string, metrics: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(metrics.map((m) => [m, []]));
  if (metrics.length === 0) return out;
  const rows = await db
    .selectFrom('scores as s')
    .innerJoin('predictions as p', 'p.id', 's.prediction_id')
    .select(['s.metric', 's.value'])
    .where('p.run_id', '=', runId)
    .where('p.status', '=', 'ok')
    .where('s.metric', 'in', [...metrics])
    .execute();
  for (const r of rows) if (Number.isFinite(r.value)) out.get(r.metric)?.push(Number(r.value));
  return out;
}
