import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Per-sample scores of some of a run's predictions, by sample key and metric,
 * for the web page's run view. Whether the caller may see them is the
 * route's decision (gateway/compare/sealed-view.ts); callers that may not
 * never call this.
 */
export async function runSampleScores(db: Kysely<Database>, runId: string, sampleKeys: readonly string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (sampleKeys.length === 0) return out;
  const rows = await db
    .selectFrom('scores')
    .innerJoin('predictions', 'predictions.id', 'scores.prediction_id')
    .innerJoin('samples', 'samples.id', 'predictions.sample_id')
    .select(['samples.sample_key', 'scores.metric', 'scores.value'])
    .where('predictions.run_id', '=', runId)
    .where('samples.sample_key', 'in', [...sampleKeys])
    .orderBy('scores.metric')
    .execute();
  for (const r of rows) {
    const scores = out.get(r.sample_key) ?? {};
    // pg hands back double precision as a number already; a numeric column would come as text.
    scores[r.metric] = Number(r.value);
    out.set(r.sample_key, scores);
  }
  return out;
}
