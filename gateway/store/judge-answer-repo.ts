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

/** A source sample with no answer to judge. */
export interface UnansweredSample {
  readonly sampleId: string;
  /** The source run that has no answer for it. */
  readonly runId: string;
  /** Its status there (`failed` or `skipped`). */
  readonly status: string;
}

/**
 * Samples that some source run did not answer (`failed` or `skipped` there)
 * and that the judge run has not yet recorded: the judge run stores them as
 * failed at the `source` stage, so they are counted rather than dropped.
 */
export async function unansweredSamples(db: Db, sourceRunIds: readonly string[], judgeRunId: string): Promise<UnansweredSample[]> {
  if (sourceRunIds.length === 0) return [];
  const rows = await db
    .selectFrom('predictions as p')
    .select(['p.sample_id as sampleId', 'p.run_id as runId', 'p.status'])
    .where('p.run_id', 'in', [...sourceRunIds])
    .where('p.status', '<>', 'ok')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('predictions as j').select('j.id').whereRef('j.sample_id', '=', 'p.sample_id').where('j.run_id', '=', judgeRunId))),
    )
    .orderBy('p.sample_id')
    .execute();
  // One row per sample (the first source run that lacks it).
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.sampleId) && seen.add(r.sampleId));
}

/** One sample both source runs answered, still without an `ok` pairwise result. */
export interface PairSourceAnswers {
  readonly sampleId: string;
  readonly key: string;
  readonly question: string | null;
  /** The sample's media kinds (`audio`, `image`, `images`, `video`), in manifest order. */
  readonly mediaKinds: readonly string[];
  /** Run A's and run B's answers. */
  readonly answerA: string;
  readonly answerB: string;
}

/**
 * The samples both source runs answered (`ok` in each) without an `ok`
 * prediction in the pairwise judge run: the comparisons left to finish. Which
 * of their two orders already hold a vote is read from arena_votes.
 */
export async function pendingPairs(db: Db, runA: string, runB: string, judgeRunId: string): Promise<PairSourceAnswers[]> {
  const rows = await db
    .selectFrom('predictions as pa')
    .innerJoin('predictions as pb', (j) => j.onRef('pb.sample_id', '=', 'pa.sample_id').on('pb.run_id', '=', runB).on('pb.status', '=', 'ok'))
    .innerJoin('samples as s', 's.id', 'pa.sample_id')
    .select(['s.id as sampleId', 's.sample_key as key', 's.question', 's.media', 'pa.output_text as answerA', 'pb.output_text as answerB'])
    .where('pa.run_id', '=', runA)
    .where('pa.status', '=', 'ok')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('predictions as j').select('j.id').whereRef('j.sample_id', '=', 's.id').where('j.run_id', '=', judgeRunId).where('j.status', '=', 'ok'),
        ),
      ),
    )
    .orderBy('s.sample_key')
    .execute();
  return rows.map((r) => ({
    sampleId: r.sampleId,
    key: r.key,
    question: r.question,
    mediaKinds: (r.media ?? []).map((m) => m.kind),
    answerA: r.answerA ?? '',
    answerB: r.answerB ?? '',
  }));
}

/** Samples answered by both source runs, and samples some source run failed or skipped, for a pairwise report. */
export async function pairSourceCounts(db: Db, runA: string, runB: string): Promise<{ shared: number; unanswered: number }> {
  const shared = await db
    .selectFrom('predictions as pa')
    .innerJoin('predictions as pb', (j) => j.onRef('pb.sample_id', '=', 'pa.sample_id').on('pb.run_id', '=', runB).on('pb.status', '=', 'ok'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('pa.run_id', '=', runA)
    .where('pa.status', '=', 'ok')
    .executeTakeFirstOrThrow();
  const unanswered = await db
    .selectFrom('predictions')
    .select((eb) => eb.fn.count<number | string>('sample_id').distinct().as('n'))
    .where('run_id', 'in', [runA, runB])
    .where('status', '<>', 'ok')
    .executeTakeFirstOrThrow();
  return { shared: Number(shared.n), unanswered: Number(unanswered.n) };
}

/** A judge run's stored results (status, error and replies per sample), for its report. */
export async function judgeRunResults(db: Db, judgeRunId: string) {
  return db.selectFrom('predictions').select(['sample_id', 'status', 'error', 'raw_response']).where('run_id', '=', judgeRunId).execute();
}
