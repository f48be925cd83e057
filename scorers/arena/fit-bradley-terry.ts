/**
 * Bradley-Terry by maximum likelihood, in FastChat's parametrisation:
 * P(i beats j) = 1 / (1 + 10^(θj − θi)), i.e. logistic with α = ln 10 on θ in
 * log10-odds units (lm-sys/FastChat `fastchat/serve/monitor/rating_systems.py`
 * `compute_bt`/`fit_bt` at 0e6d3e4beaab66f4d3f93db72541a4abab8af28d; before
 * e208d5677c the same model was an sklearn LogisticRegression on ±ln 10 design
 * rows). Ratings are 400·θ + 1000, applied by the caller.
 *
 * Fitted by Newton's method rather than FastChat's L-BFGS (100 iterations,
 * gtol 1e-6): the log-likelihood is concave, Newton converges quadratically,
 * and the tolerance here is 1e-12 in θ, so the answer does not depend on where
 * an optimiser happened to stop.
 *
 * Gauge: the likelihood only sees differences θi − θj, so the MLE is unique up
 * to a common shift. Every gradient of the BT loss sums to 0 over models, so
 * FastChat's optimisers started at θ = 0 (both sklearn's lbfgs and scipy's
 * L-BFGS-B) never leave the plane Σθ = 0: their solution is the mean-zero one.
 * This fit returns the same, mean(θ) = 0 over the fitted models, exactly.
 */

import { choleskySolve, dampedNewtonStep, sigmoid, softplus } from './damped-newton-step.js';

/** Weighted wins between two models (indices into the fitted models). */
export interface PairWins {
  /** Index of the first model. */
  readonly a: number;
  /** Index of the second model. */
  readonly b: number;
  /** Weighted wins of `a` over `b` (ties already split half each way). */
  readonly winsA: number;
  /** Weighted wins of `b` over `a`. */
  readonly winsB: number;
}

/** Solver settings. */
export interface FitBradleyTerryOptions {
  /** Stop when the largest Newton step is below this, in θ units (default 1e-12). */
  readonly tolerance?: number;
  /** Give up after this many Newton steps (default 100). */
  readonly maxIterations?: number;
  /** Starting point (default all 0); a warm start only saves iterations. */
  readonly start?: ArrayLike<number>;
}

/** The MLE, or why there is none. */
export type BradleyTerryFit =
  | {
      /** The MLE exists and was found. */
      readonly status: 'ok';
      /** θ per model in log10-odds units, mean 0. */
      readonly theta: Float64Array;
      /** Newton steps taken. */
      readonly iterations: number;
    }
  | {
      /** The MLE does not exist (Zermelo/Ford: the win graph is not strongly connected). */
      readonly status: 'no-mle';
      /** Which models' ratings would run off to infinity, in words. */
      readonly reason: string;
    };

const LN10 = Math.LN10;

/** Negative log-likelihood (in nats) of θ. */
function loss(theta: ArrayLike<number>, pairs: readonly PairWins[]): number {
  let l = 0;
  for (const p of pairs) {
    const z = LN10 * (theta[p.a]! - theta[p.b]!);
    l += p.winsA * softplus(-z) + p.winsB * softplus(z);
  }
  return l;
}

/**
 * Zermelo's (1929) and Ford's (1957) condition: the MLE exists, finite, iff
 * for every split of the models into two non-empty groups some model of each
 * group has a (weighted) win over the other, i.e. the directed graph
 * "i has a win over j" is strongly connected. Returns null when it holds.
 */
export function bradleyTerryObstruction(modelCount: number, pairs: readonly PairWins[]): string | null {
  if (modelCount <= 1) return null;
  const out: number[][] = Array.from({ length: modelCount }, () => []);
  const inc: number[][] = Array.from({ length: modelCount }, () => []);
  for (const p of pairs) {
    if (p.winsA > 0) {
      out[p.a]!.push(p.b);
      inc[p.b]!.push(p.a);
    }
    if (p.winsB > 0) {
      out[p.b]!.push(p.a);
      inc[p.a]!.push(p.b);
    }
  }
  const reach = (edges: number[][]): boolean[] => {
    const seen = new Array<boolean>(modelCount).fill(false);
    const stack = [0];
    seen[0] = true;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (const j of edges[i]!)
        if (!seen[j]) {
          seen[j] = true;
          stack.push(j);
        }
    }
    return seen;
  };
  const forward = reach(out);
  const backward = reach(inc);
  const notBeaten = forward.findIndex((s) => !s);
  if (notBeaten >= 0) return `model #${notBeaten} and those it beat form a group that never lost to model #0's group (or never met it)`;
  const neverWon = backward.findIndex((s) => !s);
  if (neverWon >= 0) return `model #${neverWon} and those that beat it form a group that model #0's group never beat`;
  return null;
}

/**
 * Solves (H + c·11ᵀ)x = r by Cholesky. H is the graph Laplacian-like Hessian
 * (positive semidefinite, null space 1 when the graph is connected); adding
 * c·11ᵀ makes it positive definite, and since r ⊥ 1 the solution is the
 * mean-zero Newton step of the singular system.
 */
function solveGauged(h: Float64Array, n: number, r: Float64Array): Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i]!;
  const c = trace / n / n || 1;
  const m = Float64Array.from(h);
  for (let i = 0; i < n * n; i++) m[i]! += c;
  return choleskySolve(m, n, r, 'Bradley-Terry Hessian is not positive definite (disconnected comparison graph)');
}

/** Maximum-likelihood θ for `modelCount` models from weighted pairwise wins. */
export function fitBradleyTerry(modelCount: number, pairs: readonly PairWins[], opts: FitBradleyTerryOptions = {}): BradleyTerryFit {
  const n = modelCount;
  for (const p of pairs) {
    if (!(p.a >= 0 && p.a < n && p.b >= 0 && p.b < n && p.a !== p.b)) throw new RangeError(`pair (${p.a}, ${p.b}) is not two distinct models of ${n}`);
    if (!(p.winsA >= 0 && p.winsB >= 0 && Number.isFinite(p.winsA + p.winsB)))
      throw new RangeError(`pair (${p.a}, ${p.b}) has wins ${p.winsA}/${p.winsB}; they must be finite and ≥ 0`);
  }
  const obstruction = bradleyTerryObstruction(n, pairs);
  if (obstruction !== null) return { status: 'no-mle', reason: obstruction };
  const tolerance = opts.tolerance ?? 1e-12;
  const maxIterations = opts.maxIterations ?? 100;
  const theta = new Float64Array(n);
  if (opts.start) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += opts.start[i]! / n;
    for (let i = 0; i < n; i++) theta[i] = opts.start[i]! - mean;
  }
  if (n <= 1) return { status: 'ok', theta, iterations: 0 };
  let current = loss(theta, pairs);
  for (let it = 1; it <= maxIterations; it++) {
    const grad = new Float64Array(n); // of the log-likelihood (ascent direction)
    const hess = new Float64Array(n * n); // of the negative log-likelihood
    for (const p of pairs) {
      const prob = sigmoid(LN10 * (theta[p.a]! - theta[p.b]!));
      const total = p.winsA + p.winsB;
      const g = LN10 * (p.winsA - total * prob);
      grad[p.a]! += g;
      grad[p.b]! -= g;
      const w = LN10 * LN10 * total * prob * (1 - prob);
      hess[p.a * n + p.a]! += w;
      hess[p.b * n + p.b]! += w;
      hess[p.a * n + p.b]! -= w;
      hess[p.b * n + p.a]! -= w;
    }
    const step = solveGauged(hess, n, grad);
    const move = dampedNewtonStep(theta, step, current, (x) => loss(x, pairs), tolerance);
    current = move.loss;
    if (move.converged) {
      // Re-centre: the steps are mean-zero up to rounding, this makes it exact.
      let mean = 0;
      for (let i = 0; i < n; i++) mean += theta[i]! / n;
      for (let i = 0; i < n; i++) theta[i]! -= mean;
      return { status: 'ok', theta, iterations: it };
    }
  }
  throw new Error(`Bradley-Terry Newton iterations did not converge in ${maxIterations} steps`);
}
