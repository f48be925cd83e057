import { EvalgateError, isEvalgateError, type ErrorCode, type ErrorParams } from '../errors.js';
import { compareRuns, type Comparison, type CompareOptions } from './compare-runs.js';
import { computeKindGap, type KindGapInput, type KindGapView } from './kind-gap.js';
import { computeLeaderboards, type Leaderboard, type LeaderboardInput } from './leaderboard.js';
import type { RunOutcomes } from './load-run-outcomes.js';
import { runReportJob, type ReportJob } from '../report/report-job.js';
import { computeArenaRatings, type ArenaRatings, type ArenaRatingsOptions } from '../../scorers/arena/compute-arena-ratings.js';
import type { ArenaVote } from '../../scorers/arena/arena-vote.js';

/** Resampling settings every job takes. */
export interface StatsOptions {
  /** Bootstrap resamples. */
  readonly iterations?: number;
  /** Seed of the draws. */
  readonly seed?: number;
}

/** The CPU-bound half of a comparison endpoint, as plain data (structured-cloned to a worker). */
export type CompareJob =
  | { readonly kind: 'compare'; readonly runs: readonly RunOutcomes[]; readonly opts: CompareOptions }
  | { readonly kind: 'leaderboard'; readonly input: LeaderboardInput; readonly opts: StatsOptions }
  | { readonly kind: 'kinds'; readonly input: KindGapInput; readonly opts: StatsOptions }
  | { readonly kind: 'report'; readonly input: ReportJob }
  /** The arena's Bradley-Terry fit and its bootstrap (gateway/arena/arena-ratings.ts reads the votes). */
  | { readonly kind: 'arena-ratings'; readonly votes: readonly ArenaVote[]; readonly opts: ArenaRatingsOptions };

/** What each job kind returns. */
export type CompareJobResult<J extends CompareJob> = J extends { kind: 'compare' }
  ? Comparison
  : J extends { kind: 'leaderboard' }
    ? Leaderboard[]
    : J extends { kind: 'kinds' }
      ? KindGapView
      : J extends { kind: 'arena-ratings' }
        ? ArenaRatings
        : string;

/** A job's failure as it crosses the thread boundary. */
export type SerializedJobError = { readonly code: ErrorCode; readonly params: ErrorParams } | { readonly message: string };

/** Runs a job in this thread (the worker calls this; so may a caller without a pool). */
export function runCompareJob(job: CompareJob): Comparison | Leaderboard[] | KindGapView | ArenaRatings | string {
  switch (job.kind) {
    case 'compare':
      return compareRuns(job.runs, job.opts);
    case 'leaderboard':
      return computeLeaderboards(job.input, job.opts);
    case 'kinds':
      return computeKindGap(job.input, job.opts);
    case 'report':
      return runReportJob(job.input);
    case 'arena-ratings':
      return computeArenaRatings(job.votes, job.opts);
  }
}

/** An error as the worker sends it back. */
export function serializeJobError(err: unknown): SerializedJobError {
  return isEvalgateError(err) ? { code: err.code, params: err.params } : { message: err instanceof Error ? err.message : String(err) };
}

/** The error again, on the caller's side: registry errors keep their code (a 400 stays a 400). */
export function deserializeJobError(e: SerializedJobError): Error {
  return 'code' in e ? new EvalgateError(e.code, e.params) : new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: e.message });
}
