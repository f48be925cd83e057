import type { AnswerStyle, ArenaVote } from './arena-vote.js';

/**
 * Style-control covariates, FastChat's `preprocess_for_style` (lm-sys/FastChat
 * `fastchat/serve/monitor/rating_systems.py` at
 * 0e6d3e4beaab66f4d3f93db72541a4abab8af28d, `apply_ratio=[1, 1, 1, 1]`,
 * `add_one=True`): for each feature, (a − b) / (a + b + 1), then standardized
 * over the votes to mean 0 and population standard deviation 1.
 */

/** The covariates in FastChat's order (STYLE_CONTROL_ELEMENTS_V1). */
export const STYLE_FEATURES = Object.freeze(['length', 'headers', 'lists', 'bold'] as const);

/** One covariate name. */
export type StyleFeature = (typeof STYLE_FEATURES)[number];

/** Standardized covariates, one row of `STYLE_FEATURES.length` per vote. */
export interface StyleMatrix {
  /** Row-major, votes × features. */
  readonly values: Float64Array;
  /** Features that are constant over these votes (standard deviation 0): their column is 0 and their coefficient is not estimable. */
  readonly constant: readonly boolean[];
}

/** The standardized style covariates of `votes`; throws when a vote has no style. */
export function styleMatrix(votes: readonly ArenaVote[]): StyleMatrix {
  const k = STYLE_FEATURES.length;
  const n = votes.length;
  const values = new Float64Array(n * k);
  votes.forEach((v, i) => {
    if (!v.style) throw new RangeError(`style control needs every vote's answer style; vote ${i} (${v.modelA} vs ${v.modelB}) has none`);
    STYLE_FEATURES.forEach((f, j) => {
      const a = (v.style!.a as AnswerStyle)[f];
      const b = (v.style!.b as AnswerStyle)[f];
      if (!(Number.isFinite(a) && Number.isFinite(b) && a >= 0 && b >= 0))
        throw new RangeError(`style ${f} of vote ${i} must be finite and ≥ 0, not ${a} / ${b}`);
      values[i * k + j] = (a - b) / (a + b + 1);
    });
  });
  const constant: boolean[] = [];
  for (let j = 0; j < k; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += values[i * k + j]! / n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (values[i * k + j]! - mean) ** 2 / n;
    const sd = Math.sqrt(variance);
    // FastChat would divide by 0 here and fit on NaN; a constant column carries no information.
    const isConstant = !(sd > 1e-12 * Math.max(1, Math.abs(mean)));
    constant.push(isConstant);
    for (let i = 0; i < n; i++) values[i * k + j] = isConstant ? 0 : (values[i * k + j]! - mean) / sd;
  }
  return { values, constant };
}
