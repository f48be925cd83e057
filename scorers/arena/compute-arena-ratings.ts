import { percentile } from '../stats/percentile.js';
import { seededRandom } from '../stats/seeded-random.js';
import { isFiveLevelVote, type ArenaVote, type VoteSource } from './arena-vote.js';
import { fitBradleyTerry, type PairWins } from './fit-bradley-terry.js';
import { intervalRanks } from './interval-ranks.js';
import { fitStyleControlledBradleyTerry } from './fit-style-controlled-bradley-terry.js';
import { STYLE_FEATURES, styleMatrix, type StyleFeature } from './style-features.js';
import { checkVoteWeights, DEFAULT_VOTE_WEIGHTS, voteWins, type VoteWeights } from './vote-weights.js';
import { voterOutliers, type VoterOutlierOptions } from './voter-outliers.js';

/**
 * Arena ratings: Bradley-Terry MLE on weighted five-level votes, FastChat's
 * scale (rating = 400·θ + 1000, base 10), seeded percentile-bootstrap
 * intervals and FastChat's interval rank. See docs/arena.md "Ratings".
 */

/** Which votes to rate: one source, or both on purpose. */
export type RatingsSource = VoteSource | 'combined';

/** Options of {@link computeArenaRatings}. */
export interface ArenaRatingsOptions {
  /** 'human' or 'judge' rates only that source; 'combined' pools both and says so. Required: never defaulted. */
  readonly source: RatingsSource;
  /** Wins per vote level (default Arena-Hard-Auto's 3 / 1 / ½ each way). */
  readonly weights?: VoteWeights;
  /** Shift all ratings so this model sits at this value (FastChat: mixtral-8x7b-instruct-v0.1 = 1114). Without it mean(θ) = 0, i.e. the mean rating is 1000. */
  readonly anchor?: { readonly model: string; readonly rating: number };
  /** Bootstrap rounds (default 1000). */
  readonly rounds?: number;
  /** Bootstrap seed (default 1). */
  readonly seed?: number;
  /** 1 − confidence of the interval (default 0.05: percentiles 2.5 and 97.5). */
  readonly alpha?: number;
  /**
   * Models in fewer votes than this are listed (with their vote count) but left out of the fit with their votes, unrated and
   * unranked (default 1). Repeated until every model left has this many votes among the models left (see docs/arena.md).
   */
  readonly minVotes?: number;
  /** Style control: fit answer length and markdown counts as covariates (every vote needs `style`); `reg` is the L2 strength (default 0.5, FastChat's). Default off. */
  readonly styleControl?: boolean | { readonly reg?: number };
  /** Run FastChat's per-voter outlier test and leave flagged voters' votes out (default off). */
  readonly outlierTest?: VoterOutlierOptions | boolean;
}

/** Why a listed model has no rank. */
export type UnrankedReason = 'min-votes' | 'no-mle' | 'no-interval';

/** One model's row. */
export interface ArenaModelRating {
  /** Model id. */
  readonly model: string;
  /** 400·θ + 1000 (+ anchor shift); null when the MLE does not exist or the model is below minVotes. */
  readonly rating: number | null;
  /** Lower bootstrap percentile (alpha/2); null when the interval is undefined. */
  readonly low: number | null;
  /** Upper bootstrap percentile (1 − alpha/2); null when the interval is undefined. */
  readonly high: number | null;
  /**
   * Votes (battles, unweighted) of the rated source this model took part in after the voter-outlier
   * exclusion and before the min-votes exclusion: it counts votes against models left out for too few
   * votes, which are not in the fit. So a model left out only because its opponents were (`unrankedReason:
   * 'min-votes'` from a later round of that exclusion) can show `votes` ≥ minVotes.
   */
  readonly votes: number;
  /** 1 + the number of ranked models whose `low` is above this model's `high`; null when unranked. */
  readonly rank: number | null;
  /** Why `rank` is null; null when ranked. */
  readonly unrankedReason: UnrankedReason | null;
}

/** The ratings of one source (or of the explicit combination). */
export interface ArenaRatings {
  /** The source asked for. */
  readonly source: RatingsSource;
  /** True only when human and judge votes were pooled on request. */
  readonly combined: boolean;
  /** Sources whose votes went in. */
  readonly sources: readonly VoteSource[];
  /** The model and scale, recorded with the result. */
  readonly method: {
    readonly model: 'bradley-terry-mle' | 'style-controlled-bradley-terry';
    readonly base: 10;
    readonly scale: 400;
    readonly initialRating: 1000;
    /** 'mean-zero' (mean θ = 0) or the anchor applied. */
    readonly gauge: 'mean-zero' | { readonly anchorModel: string; readonly anchorRating: number };
  };
  /** The weights the votes counted with (so the caller can record them). */
  readonly weights: VoteWeights;
  /** Vote accounting. */
  readonly votes: {
    /** Votes rated. */
    readonly used: number;
    /** Votes of the other source, not rated (0 when combined). */
    readonly otherSource: number;
    /**
     * Votes left out, by reason ('voter-outlier', then 'min-votes'), each vote under the first reason that
     * removed it: used + otherSource + the sum of these = the votes given.
     */
    readonly excluded: Readonly<Record<string, number>>;
  };
  /** The point fit. */
  readonly fit: { readonly status: 'ok' | 'no-mle'; readonly reason: string | null };
  /** Style-control coefficients (natural-log odds per standard deviation of the feature difference, A minus B); null when off. */
  readonly style: {
    /** L2 strength used. */
    readonly reg: number;
    /** One per feature, in FastChat's order; estimate null when the feature was constant over the votes. */
    readonly coefficients: readonly {
      readonly feature: StyleFeature;
      readonly estimate: number | null;
      readonly low: number | null;
      readonly high: number | null;
    }[];
  } | null;
  /** The bootstrap. */
  readonly bootstrap: {
    readonly rounds: number;
    readonly seed: number;
    readonly alpha: number;
    /** Resamples in which some models never lost (or never won): no MLE, so every interval is null. */
    readonly roundsWithoutMle: number;
  };
  /** Every model that appears in a rated vote, best rating first (unrated last, then by name). */
  readonly models: readonly ArenaModelRating[];
}

const SCALE = 400;
const INIT_RATING = 1000;

interface Aggregated {
  readonly present: number[]; // model indices that appear
  readonly pairs: PairWins[]; // indices into `present`
}

/** Sums weighted wins per unordered model pair over the votes at `idx` (all when absent). */
function aggregate(a: Int32Array, b: Int32Array, winsA: Float64Array, winsB: Float64Array, modelCount: number, idx?: Uint32Array): Aggregated {
  const n = idx ? idx.length : a.length;
  const sums = new Map<number, [number, number]>();
  const seen = new Uint8Array(modelCount);
  for (let k = 0; k < n; k++) {
    const v = idx ? idx[k]! : k;
    let x = a[v]!;
    let y = b[v]!;
    let wx = winsA[v]!;
    let wy = winsB[v]!;
    if (x > y) [x, y, wx, wy] = [y, x, wy, wx];
    seen[x] = 1;
    seen[y] = 1;
    const key = x * modelCount + y;
    const s = sums.get(key);
    if (s) {
      s[0] += wx;
      s[1] += wy;
    } else sums.set(key, [wx, wy]);
  }
  const present: number[] = [];
  const local = new Int32Array(modelCount).fill(-1);
  for (let m = 0; m < modelCount; m++)
    if (seen[m]) {
      local[m] = present.length;
      present.push(m);
    }
  const pairs: PairWins[] = [];
  for (const [key, [wx, wy]] of sums) pairs.push({ a: local[Math.floor(key / modelCount)]!, b: local[key % modelCount]!, winsA: wx, winsB: wy });
  return { present, pairs };
}

/** Votes (battles) per model. */
function countVotes(votes: readonly ArenaVote[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of votes) for (const model of [v.modelA, v.modelB]) counts.set(model, (counts.get(model) ?? 0) + 1);
  return counts;
}

/**
 * Ratings of `votes` for one source, or for both when `source: 'combined'`.
 * Pure: the same votes and options give the same result, bit for bit.
 */
export function computeArenaRatings(votes: readonly ArenaVote[], opts: ArenaRatingsOptions): ArenaRatings {
  const source = opts.source;
  if (source !== 'human' && source !== 'judge' && source !== 'combined')
    throw new RangeError(`ratings source must be 'human', 'judge' or 'combined', not ${String(source)}`);
  const weights = checkVoteWeights(opts.weights ?? DEFAULT_VOTE_WEIGHTS);
  const rounds = opts.rounds ?? 1000;
  const seed = opts.seed ?? 1;
  const alpha = opts.alpha ?? 0.05;
  const minVotes = opts.minVotes ?? 1;
  if (!(Number.isInteger(rounds) && rounds >= 0)) throw new RangeError(`bootstrap rounds must be an integer ≥ 0, not ${rounds}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), not ${alpha}`);

  const ofSource = votes.filter((v) => source === 'combined' || v.source === source);
  const excluded: Record<string, number> = {};
  let rated: readonly ArenaVote[] = ofSource;
  if (opts.outlierTest) {
    const test = voterOutliers(ofSource, opts.outlierTest === true ? {} : opts.outlierTest);
    const flagged = new Set(test.voters.filter((v) => v.flagged).map((v) => v.voterKey));
    rated = ofSource.filter((v) => v.voterKey === undefined || !flagged.has(v.voterKey));
    excluded['voter-outlier'] = ofSource.length - rated.length;
  }

  // Models in fewer than minVotes votes are listed but left out of the fit with their votes: a
  // handful of lopsided votes has no finite MLE in many resamples, which would void every interval.
  // Leaving a model out takes its opponents' votes against it too, which can put one of them below
  // minVotes in turn: repeat until every model left has minVotes votes among the models left.
  const allVotes = countVotes(rated);
  const tooFew = new Set<string>();
  for (let counts = allVotes; ; counts = countVotes(rated)) {
    // A model whose every vote went with its opponents counts 0 here (absent from `counts`), and is listed too.
    const below = [...allVotes.keys()].filter((model) => !tooFew.has(model) && (counts.get(model) ?? 0) < minVotes);
    if (below.length === 0) break;
    for (const model of below) tooFew.add(model);
    const before = rated.length;
    rated = rated.filter((v) => !tooFew.has(v.modelA) && !tooFew.has(v.modelB));
    excluded['min-votes'] = (excluded['min-votes'] ?? 0) + before - rated.length;
  }

  const names = [...new Set(rated.flatMap((v) => [v.modelA, v.modelB]))].sort();
  const index = new Map(names.map((m, i) => [m, i]));
  const m = names.length;
  const n = rated.length;
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  const winsA = new Float64Array(n);
  const winsB = new Float64Array(n);
  const voteCount = names.map((model) => allVotes.get(model)!);
  rated.forEach((v, k) => {
    if (v.modelA === v.modelB) throw new RangeError(`vote ${k} puts ${v.modelA} against itself`);
    if (!isFiveLevelVote(v.vote)) throw new RangeError(`vote ${k} is ${JSON.stringify(v.vote)}, not one of A>>B, A>B, A=B, B>A, B>>A`);
    const w = voteWins(v.vote, weights);
    a[k] = index.get(v.modelA)!;
    b[k] = index.get(v.modelB)!;
    winsA[k] = w.winsA;
    winsB[k] = w.winsB;
  });

  const anchorIndex = opts.anchor ? index.get(opts.anchor.model) : undefined;
  // FastChat's scale_and_offset: 400·θ + 1000, then shift so the anchor model sits at its value (per bootstrap round too).
  const toRatings = (theta: ArrayLike<number>, present: readonly number[], into: Float64Array): void => {
    into.fill(Number.NaN);
    present.forEach((model, i) => (into[model] = SCALE * theta[i]! + INIT_RATING));
    if (opts.anchor && anchorIndex !== undefined && !Number.isNaN(into[anchorIndex]!)) {
      const shift = opts.anchor.rating - into[anchorIndex]!;
      for (let i = 0; i < m; i++) into[i]! += shift;
    }
  };

  // One fit on the votes at `idx` (all when absent): plain BT on pair sums, or style-controlled BT per vote.
  type RoundFit =
    | { readonly ok: true; readonly present: readonly number[]; readonly theta: ArrayLike<number>; readonly beta?: Float64Array }
    | { readonly ok: false; readonly reason: string };
  let warm: Float64Array | undefined; // the full-data θ (and β), to start each resample near its optimum
  const style = opts.styleControl ? styleMatrix(rated) : null;
  const styleReg = typeof opts.styleControl === 'object' ? opts.styleControl.reg : undefined;
  const styleRows = style ? { a, b, winsA, winsB, features: style.values, featureCount: STYLE_FEATURES.length } : null;
  const fitRound = (idx?: Uint32Array): RoundFit => {
    if (styleRows) {
      const seen = new Uint8Array(m);
      for (let i = 0; i < (idx ? idx.length : n); i++) {
        const v = idx ? idx[i]! : i;
        seen[a[v]!] = 1;
        seen[b[v]!] = 1;
      }
      const present = names.map((_, i) => i).filter((i) => seen[i]);
      const fit = fitStyleControlledBradleyTerry(m, styleRows, { reg: styleReg, start: warm }, idx);
      return { ok: true, present, theta: present.map((i) => fit.theta[i]!), beta: fit.beta };
    }
    const sample = aggregate(a, b, winsA, winsB, m, idx);
    const start = warm ? sample.present.map((model) => warm![model]!) : undefined;
    const fit = fitBradleyTerry(sample.present.length, sample.pairs, { start });
    return fit.status === 'ok' ? { ok: true, present: sample.present, theta: fit.theta } : { ok: false, reason: fit.reason };
  };

  const pointFit = fitRound();
  const point = new Float64Array(m).fill(Number.NaN);
  if (pointFit.ok) {
    toRatings(pointFit.theta, pointFit.present, point);
    warm = new Float64Array(m + (style ? STYLE_FEATURES.length : 0));
    pointFit.present.forEach((model, i) => (warm![model] = pointFit.theta[i]!));
    if (pointFit.beta) warm.set(pointFit.beta, m);
  }

  // Seeded bootstrap over votes (FastChat's get_bootstrap_result: battles.sample(frac=1, replace=True)).
  const draws = Array.from({ length: m }, () => new Float64Array(rounds));
  const betaDraws = Array.from({ length: style ? STYLE_FEATURES.length : 0 }, () => new Float64Array(rounds));
  let roundsWithoutMle = 0;
  if (pointFit.ok && n > 0) {
    const rand = seededRandom(seed);
    const idx = new Uint32Array(n);
    const row = new Float64Array(m);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
      const fit = fitRound(idx);
      if (!fit.ok) {
        roundsWithoutMle++;
        row.fill(Number.NaN);
      } else toRatings(fit.theta, fit.present, row);
      for (let i = 0; i < m; i++) draws[i]![r] = row[i]!;
      betaDraws.forEach((d, j) => (d[r] = fit.ok && fit.beta ? fit.beta[j]! : Number.NaN));
    }
  }
  const intervalsDefined = pointFit.ok && roundsWithoutMle === 0 && rounds > 0;
  const low = new Float64Array(m).fill(Number.NaN);
  const high = new Float64Array(m).fill(Number.NaN);
  if (intervalsDefined)
    for (let i = 0; i < m; i++) {
      // A model missing from a resample has no rating there; pandas' quantile skips NaN the same way.
      const sorted = draws[i]!.filter((x) => !Number.isNaN(x)).sort();
      low[i] = percentile(sorted, alpha / 2);
      high[i] = percentile(sorted, 1 - alpha / 2);
    }

  const reasonOf = (i: number): UnrankedReason | null => {
    if (!pointFit.ok) return 'no-mle';
    if (Number.isNaN(low[i]!) || Number.isNaN(high[i]!)) return 'no-interval';
    return null;
  };
  const reasons = names.map((_, i) => reasonOf(i));
  const ranked = names.map((_, i) => i).filter((i) => reasons[i] === null);
  const ranks = new Map<number, number>();
  intervalRanks(ranked.map((i) => ({ low: low[i]!, high: high[i]! }))).forEach((r, k) => ranks.set(ranked[k]!, r));
  const rows: ArenaModelRating[] = names.map((model, i) => {
    const nul = (x: number): number | null => (Number.isNaN(x) ? null : x);
    const rank = ranks.get(i) ?? null;
    return {
      model,
      rating: nul(point[i]!),
      low: nul(low[i]!),
      high: nul(high[i]!),
      votes: voteCount[i]!,
      rank,
      unrankedReason: reasons[i]!,
    };
  });
  for (const model of [...tooFew].sort())
    rows.push({
      model,
      rating: null,
      low: null,
      high: null,
      votes: allVotes.get(model)!,
      rank: null,
      unrankedReason: 'min-votes',
    });
  rows.sort((x, y) => (y.rating ?? -Infinity) - (x.rating ?? -Infinity) || (x.model < y.model ? -1 : 1));

  return {
    source,
    combined: source === 'combined',
    sources: [...new Set(rated.map((v) => v.source))].sort(),
    method: {
      model: style ? 'style-controlled-bradley-terry' : 'bradley-terry-mle',
      base: 10,
      scale: 400,
      initialRating: 1000,
      // FastChat skips the anchor when its model is not in the data; the gauge says which one was applied.
      gauge: opts.anchor && anchorIndex !== undefined ? { anchorModel: opts.anchor.model, anchorRating: opts.anchor.rating } : 'mean-zero',
    },
    weights,
    votes: { used: n, otherSource: votes.length - ofSource.length, excluded },
    fit: pointFit.ok ? { status: 'ok', reason: null } : { status: 'no-mle', reason: pointFit.reason },
    style:
      style && pointFit.ok
        ? {
            reg: styleReg ?? 0.5,
            coefficients: STYLE_FEATURES.map((feature, j) => {
              if (style.constant[j]) return { feature, estimate: null, low: null, high: null };
              const sorted = betaDraws[j]!.filter((x) => !Number.isNaN(x)).sort();
              const defined = intervalsDefined && sorted.length > 0;
              return {
                feature,
                estimate: pointFit.beta![j]!,
                low: defined ? percentile(sorted, alpha / 2) : null,
                high: defined ? percentile(sorted, 1 - alpha / 2) : null,
              };
            }),
          }
        : null,
    bootstrap: { rounds, seed, alpha, roundsWithoutMle },
    models: rows,
  };
}
