// The arena's ratings in one place: which votes count (one source, or both on
// purpose; one modality or all; none cast after a leaderboard freeze), which
// are left out and why, and the configured Bradley-Terry options. The CLI
// (`evalgate arena ratings`), GET /v1/arena/ratings, the leaderboard and the
// report all read ratings through here, so they agree to the vote.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EvalgateConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import type { Database } from '../store/database.js';
import { listVotesForRatings } from '../store/arena-ratings-repo.js';
import { toArenaVote } from '../store/arena-vote-repo.js';
import type { ArenaVote } from '../../scorers/arena/arena-vote.js';
import { computeArenaRatings, type ArenaRatings, type ArenaRatingsOptions, type RatingsSource } from '../../scorers/arena/compute-arena-ratings.js';

type Db = Kysely<Database>;

/** The sources a ratings request may name. */
export const ratingsSources: readonly RatingsSource[] = ['human', 'judge', 'combined'];

/** The modalities votes are stored under. */
export const arenaModalities = ['text', 'audio', 'image', 'video'] as const;

/** Human votes kept per prompt hash when `arena.maxVotesPerPrompt` is not set. */
export const defaultMaxVotesPerPrompt = 1;

/** Every exclusion reason a ratings result reports (zero when none applied). */
export const exclusionReasons = ['identity-leak', 'voter-daily-cap', 'duplicate-prompt', 'superseded-judge-run', 'voter-outlier', 'min-votes'] as const;

/** What to rate. */
export interface ArenaRatingsRequest {
  /** Whose votes: `human`, `judge`, or `combined` (both, labelled so). */
  readonly source: RatingsSource;
  /** One modality (`text`, `audio`, `image`, `video`); all when absent. */
  readonly modality?: string;
  /** Leaderboard freeze: votes cast after this instant are ignored. */
  readonly freezeAt?: Date;
}

/** The options the ratings were computed with, recorded with them. */
export interface ArenaRatingsOptionsUsed extends Omit<ArenaRatingsOptions, 'source'> {
  readonly source: RatingsSource;
  readonly modality: string | null;
  readonly frozenAt: string | null;
  readonly maxVotesPerPrompt: number;
}

/** The votes to rate and the options, read from the store (the cheap half; the fit is the CPU-bound one). */
export interface ArenaRatingsInput {
  readonly request: ArenaRatingsRequest;
  /** Votes that go to the fit (before its own outlier and min-votes exclusions). */
  readonly votes: readonly ArenaVote[];
  readonly options: ArenaRatingsOptions;
  readonly optionsUsed: ArenaRatingsOptionsUsed;
  /** Votes of the source(s) and modality cast up to the freeze. */
  readonly considered: number;
  /** Votes of the source(s) and modality cast after the freeze (ignored). */
  readonly afterFreeze: number;
  /** Exclusions decided before the fit, by reason. */
  readonly excluded: Readonly<Record<string, number>>;
}

/** Ratings with their accounting. */
export interface ArenaRatingsView {
  /** `human`, `judge` or `combined`. */
  readonly source: RatingsSource;
  /** True only when human and judge votes were pooled on request. */
  readonly combined: boolean;
  /** What a header says: `human`, `judge`, or `combined (human + judge)`. */
  readonly label: string;
  readonly modality: string | null;
  readonly frozenAt: string | null;
  readonly votes: {
    /** Votes of the source(s) and modality up to the freeze. */
    readonly considered: number;
    /** Ignored because cast after the freeze. */
    readonly afterFreeze: number;
    /** Rated. */
    readonly used: number;
    /** Left out, by reason (every reason listed, 0 when none). */
    readonly excluded: Readonly<Record<string, number>>;
  };
  readonly options: ArenaRatingsOptionsUsed;
  /** The fit: models with rating, interval, votes, rank and unranked reason. */
  readonly ratings: ArenaRatings;
}

/** The label of a source in headers and JSON. */
export function ratingsSourceLabel(source: RatingsSource): string {
  return source === 'combined' ? 'combined (human + judge)' : source;
}

/** Checks a request's source and modality (EVALGATE_ERR_BAD_INPUT otherwise). */
export function checkRatingsRequest(req: { source?: string; modality?: string; freeze?: string }): ArenaRatingsRequest {
  const source = req.source ?? 'human';
  if (!(ratingsSources as readonly string[]).includes(source)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `source must be human, judge or combined, not ${JSON.stringify(source)}` });
  }
  if (req.modality !== undefined && !(arenaModalities as readonly string[]).includes(req.modality)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `modality must be ${arenaModalities.join(', ')}, not ${JSON.stringify(req.modality)}` });
  }
  let freezeAt: Date | undefined;
  if (req.freeze !== undefined) {
    freezeAt = new Date(req.freeze);
    if (Number.isNaN(freezeAt.getTime()))
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `freeze must be an ISO 8601 instant, not ${JSON.stringify(req.freeze)}` });
  }
  return { source: source as RatingsSource, ...(req.modality !== undefined ? { modality: req.modality } : {}), ...(freezeAt ? { freezeAt } : {}) };
}

/** The configured fit options (config `arena.ratings`), defaults left to computeArenaRatings. */
function configuredOptions(config: EvalgateConfig, source: RatingsSource): ArenaRatingsOptions {
  const r = config.arena?.ratings ?? {};
  return {
    source,
    ...(r.weights ? { weights: r.weights } : {}),
    ...(r.anchor ? { anchor: r.anchor } : {}),
    ...(r.minVotes !== undefined ? { minVotes: r.minVotes } : {}),
    ...(r.rounds !== undefined ? { rounds: r.rounds } : {}),
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.styleControl !== undefined ? { styleControl: r.styleControl } : {}),
    ...(r.outlierTest !== undefined ? { outlierTest: r.outlierTest } : {}),
  };
}

/**
 * FastChat's prompt dedup (lm-sys/FastChat
 * `fastchat/serve/monitor/deduplication.py` at
 * fae41e49452cfe6a0b324dec720c7e9120179d60, read by `elo_analysis.py`, which
 * keeps battles whose `dedup_tag.sampled` is true): battles whose user prompt
 * is more frequent than a cutoff are downsampled to that many, drawn at random
 * with a fixed seed (`df.sample(n=cutoff, random_state=42)`). Here the cutoff
 * is a fixed cap, `arena.maxVotesPerPrompt` (upstream derives it from the
 * 99.99th percentile of prompt counts, which needs a large arena to mean
 * anything), the prompt is the battle's `prompt_hash`, and the draw is
 * reproducible: the votes with the smallest sha256(seed:vote id) are kept.
 * Only human votes have battles; judge votes are never deduplicated (each
 * judge verdict is one sample and one order by construction).
 */
export function dedupPrompts<T extends { id: string; source: string; prompt_hash: string | null }>(
  rows: readonly T[],
  maxPerPrompt: number,
  seed: number,
): { kept: T[]; dropped: number } {
  const byPrompt = new Map<string, T[]>();
  for (const r of rows) if (r.source === 'human' && r.prompt_hash !== null) byPrompt.set(r.prompt_hash, [...(byPrompt.get(r.prompt_hash) ?? []), r]);
  const drop = new Set<string>();
  const rank = (id: string): string => createHash('sha256').update(`${seed}:${id}`).digest('hex');
  for (const group of byPrompt.values()) {
    if (group.length <= maxPerPrompt) continue;
    const ordered = group.map((r) => ({ id: r.id, k: rank(r.id) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    for (const r of ordered.slice(maxPerPrompt)) drop.add(r.id);
  }
  return { kept: rows.filter((r) => !drop.has(r.id)), dropped: drop.size };
}

/**
 * Judge votes of the latest judged run only, per judge and model pair: a
 * pairwise judging rerun with `--new` judges the same answers again, and
 * counting both runs would weigh that pair twice. Human votes pass through.
 */
export function latestJudgeRuns<
  T extends { source: string; judge_run_id: string | null; voter_key: string; model_a: string; model_b: string; created_at: Date | string },
>(rows: readonly T[]): { kept: T[]; dropped: number } {
  const latest = new Map<string, { run: string; at: number }>();
  const keyOf = (r: T): string => `${r.voter_key}\u0000${[r.model_a, r.model_b].sort().join('\u0000')}`;
  for (const r of rows) {
    if (r.source !== 'judge' || r.judge_run_id === null) continue;
    const at = new Date(r.created_at).getTime();
    const k = keyOf(r);
    const cur = latest.get(k);
    if (!cur || at > cur.at || (at === cur.at && r.judge_run_id > cur.run)) latest.set(k, { run: r.judge_run_id, at });
  }
  const kept = rows.filter((r) => r.source !== 'judge' || r.judge_run_id === null || latest.get(keyOf(r))?.run === r.judge_run_id);
  return { kept, dropped: rows.length - kept.length };
}

/** Reads the votes to rate and decides the exclusions that need no fit. */
export async function loadArenaRatingsInput(db: Db, config: EvalgateConfig, request: ArenaRatingsRequest): Promise<ArenaRatingsInput> {
  const rows = await listVotesForRatings(db, {
    ...(request.source !== 'combined' ? { source: request.source } : {}),
    ...(request.modality ? { modality: request.modality } : {}),
  });
  const frozen = request.freezeAt;
  const inTime = frozen ? rows.filter((r) => new Date(r.created_at) <= frozen) : rows;
  const excluded: Record<string, number> = Object.fromEntries(exclusionReasons.map((r) => [r, 0]));
  const stored = inTime.filter((r) => {
    if (r.excluded_reason === null) return true;
    excluded[r.excluded_reason] = (excluded[r.excluded_reason] ?? 0) + 1;
    return false;
  });
  const options = configuredOptions(config, request.source);
  const maxVotesPerPrompt = config.arena?.maxVotesPerPrompt ?? defaultMaxVotesPerPrompt;
  const judged = latestJudgeRuns(stored);
  excluded['superseded-judge-run'] = judged.dropped;
  const { kept, dropped } = dedupPrompts(judged.kept, maxVotesPerPrompt, options.seed ?? 1);
  excluded['duplicate-prompt'] = dropped;
  return {
    request,
    votes: kept.map(toArenaVote),
    options,
    optionsUsed: {
      ...options,
      modality: request.modality ?? null,
      frozenAt: frozen?.toISOString() ?? null,
      maxVotesPerPrompt,
    },
    considered: inTime.length,
    afterFreeze: rows.length - inTime.length,
    excluded,
  };
}

/** The view of a fit on `input`. */
export function arenaRatingsView(input: ArenaRatingsInput, ratings: ArenaRatings): ArenaRatingsView {
  const excluded: Record<string, number> = { ...input.excluded };
  for (const [reason, n] of Object.entries(ratings.votes.excluded)) excluded[reason] = (excluded[reason] ?? 0) + n;
  return {
    source: input.request.source,
    combined: ratings.combined,
    label: ratingsSourceLabel(input.request.source),
    modality: input.optionsUsed.modality,
    frozenAt: input.optionsUsed.frozenAt,
    votes: { considered: input.considered, afterFreeze: input.afterFreeze, used: ratings.votes.used, excluded },
    options: input.optionsUsed,
    ratings,
  };
}

/**
 * Ratings of one source (or of both, labelled combined), in this thread. The
 * server runs the fit on its worker pool instead ({@link loadArenaRatingsInput}
 * then the pool's `arena-ratings` job, then {@link arenaRatingsView}).
 */
export async function loadArenaRatings(db: Db, config: EvalgateConfig, request: ArenaRatingsRequest): Promise<ArenaRatingsView> {
  const input = await loadArenaRatingsInput(db, config, request);
  return arenaRatingsView(input, computeArenaRatings(input.votes, input.options));
}
