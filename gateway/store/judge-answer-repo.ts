import type { Kysely } from 'kysely';
import type { Database } from './database.js';

// What `evalgate judge` reads from the run it judges: the answers still to
// judge, and how many answers there are at all.

type Db = Kysely<Database>;

/** One answer of the source run to judge. */
export interface SourceAnswer {
  readonly sampleId: string;
  readonly key: string;
  readonly question: string | null;
  readonly reference: string | string[] | null;
  readonly prediction: string;
}

/**
 * The source run's answered (`ok`) samples without an `ok` judge score yet:
 * exactly the work left, after a kill as after a clean stop. Failed or skipped
 * answers of the source run are never judged (there is no answer).
 */
export async function pendingAnswers(db: Db, sourceRunId: string, judgeRunId: string): Promise<SourceAnswer[]> {
  const rows = await db
    .selectFrom('predictions as p')
    .innerJoin('samples as s', 's.id', 'p.sample_id')
    .select(['s.id as sampleId', 's.sample_key as key', 's.question', 's.reference', 'p.output_text as prediction'])
    .where('p.run_id', '=', sourceRunId)
    .where('p.status', '=', 'ok')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('predictions as j').select('j.id').whereRef('j.sample_id', '=', 's.id').where('j.run_id', '=', judgeRunId).where('j.status', '=', 'ok'),
        ),
      ),
    )
    .orderBy('s.sample_key')
    .execute();
  return rows.map((r) => ({ ...r, prediction: r.prediction ?? '' }));
}

/** Counts of the source run's samples, for the judged run's report. */
export async function sourceCounts(db: Db, sourceRunId: string): Promise<{ answered: number; unanswered: number }> {
  const rows = await db
    .selectFrom('predictions')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('run_id', '=', sourceRunId)
    .groupBy('status')
    .execute();
  let answered = 0;
  let unanswered = 0;
  for (const r of rows) {
    if (r.status === 'ok') answered += Number(r.n);
    else unanswered += Number(r.n);
  }
  return { answered, unanswered };
}
