/**
 * Style-controlled Bradley-Terry, FastChat's contextual BT (lm-sys/FastChat
 * `fastchat/serve/monitor/rating_systems.py` `contextual_bt_loss_and_grad`,
 * `fit_contextual_bt`, `compute_style_control` at
 * 0e6d3e4beaab66f4d3f93db72541a4abab8af28d):
 *
 *   P(a beats b) = σ(ln 10 · (θa − θb) + Σk fk·βk)
 *
 * with f the standardized style differences of the battle and an L2 penalty
 * (reg/2)·(‖θ‖² + ‖β‖²) on all parameters, reg = 0.5 by default (upstream's
 * note: half of sklearn's C = 1 because the older version duplicated battles).
 * Each vote contributes winsA·(−log P) + winsB·(−log(1 − P)); a FastChat
 * battle is winsA = 1 (tie: ½ and ½). The penalty makes the optimum unique, and
 * since the data term ignores a common shift of θ, it has mean(θ) = 0.
 *
 * Fitted by Newton's method to 1e-12 (upstream: L-BFGS-B, 100 iterations).
 */

import { choleskySolve, dampedNewtonStep, sigmoid, softplus } from './damped-newton-step.js';

/** The votes, column-wise: model indices, weighted wins and standardized features. */
export interface StyleRows {
  /** Side A's model index per vote. */
  readonly a: Int32Array;
  /** Side B's model index per vote. */
  readonly b: Int32Array;
  /** Weighted wins of side A per vote. */
  readonly winsA: Float64Array;
  /** Weighted wins of side B per vote. */
  readonly winsB: Float64Array;
  /** Row-major votes × featureCount. */
  readonly features: Float64Array;
  /** Covariates per vote. */
  readonly featureCount: number;
}

/** Solver settings. */
export interface StyleFitOptions {
  /** L2 strength on θ and β (default 0.5, FastChat's); must be > 0. */
  readonly reg?: number;
  /** Stop when the largest Newton step is below this (default 1e-12). */
  readonly tolerance?: number;
  /** Give up after this many steps (default 100). */
  readonly maxIterations?: number;
  /** Starting point, θ then β (default 0). */
  readonly start?: ArrayLike<number>;
}

/** The fit. */
export interface StyleFit {
  /** θ per model (log10 units). */
  readonly theta: Float64Array;
  /** One coefficient per feature (natural-log odds per standard deviation). */
  readonly beta: Float64Array;
  /** Newton steps taken. */
  readonly iterations: number;
}

const LN10 = Math.LN10;

/**
 * Fits θ (modelCount) and β (rows.featureCount) on the votes at `idx` (a
 * bootstrap resample; all votes when absent, each index as often as it appears).
 */
export function fitStyleControlledBradleyTerry(modelCount: number, rows: StyleRows, opts: StyleFitOptions = {}, idx?: Uint32Array): StyleFit {
  const reg = opts.reg ?? 0.5;
  if (!(reg > 0 && Number.isFinite(reg))) throw new RangeError(`style control needs a positive L2 strength, not ${reg}`);
  const tolerance = opts.tolerance ?? 1e-12;
  const maxIterations = opts.maxIterations ?? 100;
  const k = rows.featureCount;
  const p = modelCount + k;
  const n = idx ? idx.length : rows.a.length;
  const at = (i: number): number => (idx ? idx[i]! : i);
  const params = new Float64Array(p);
  if (opts.start) for (let i = 0; i < p; i++) params[i] = opts.start[i]!;

  const logit = (x: Float64Array, v: number): number => {
    let z = LN10 * (x[rows.a[v]!]! - x[rows.b[v]!]!);
    for (let j = 0; j < k; j++) z += rows.features[v * k + j]! * x[modelCount + j]!;
    return z;
  };
  const loss = (x: Float64Array): number => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const v = at(i);
      const z = logit(x, v);
      l += rows.winsA[v]! * softplus(-z) + rows.winsB[v]! * softplus(z);
    }
    let sq = 0;
    for (let i = 0; i < p; i++) sq += x[i]! * x[i]!;
    return l + (reg / 2) * sq;
  };

  let current = loss(params);
  const cols = new Int32Array(2 + k);
  const xs = new Float64Array(2 + k);
  for (let it = 1; it <= maxIterations; it++) {
    const grad = new Float64Array(p); // descent direction: −∇loss
    const hess = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      grad[i] = -reg * params[i]!;
      hess[i * p + i] = reg;
    }
    for (let i = 0; i < n; i++) {
      const v = at(i);
      const prob = sigmoid(logit(params, v));
      const total = rows.winsA[v]! + rows.winsB[v]!;
      const err = rows.winsA[v]! - total * prob;
      const w = total * prob * (1 - prob);
      cols[0] = rows.a[v]!;
      xs[0] = LN10;
      cols[1] = rows.b[v]!;
      xs[1] = -LN10;
      for (let j = 0; j < k; j++) {
        cols[2 + j] = modelCount + j;
        xs[2 + j] = rows.features[v * k + j]!;
      }
      for (let r = 0; r < 2 + k; r++) {
        grad[cols[r]!]! += err * xs[r]!;
        for (let c = 0; c < 2 + k; c++) hess[cols[r]! * p + cols[c]!]! += w * xs[r]! * xs[c]!;
      }
    }
    const step = choleskySolve(hess, p, grad, 'style-controlled Bradley-Terry Hessian is not positive definite');
    const move = dampedNewtonStep(params, step, current, loss, tolerance);
    current = move.loss;
    if (move.converged) return { theta: params.slice(0, modelCount), beta: params.slice(modelCount), iterations: it };
  }
  throw new Error(`style-controlled Bradley-Terry did not converge in ${maxIterations} Newton steps`);
}
