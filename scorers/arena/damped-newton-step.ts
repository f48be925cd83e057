/**
 * The numerical pieces both Bradley-Terry fits share (plain and
 * style-controlled): stable logistic functions, a Cholesky solve of the Newton
 * system, and one damped Newton step with its convergence test. Kept in one
 * place so the two fits cannot drift apart in how they step or when they stop.
 */

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^−x) without overflow. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * In-place Cholesky solve of the SPD system m·x = r (m is overwritten).
 * `notPositiveDefinite` is the error message when m is not positive definite,
 * so each fit can say in its own words why.
 */
export function choleskySolve(m: Float64Array, n: number, r: Float64Array, notPositiveDefinite: string): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = m[j * n + j]!;
    for (let k = 0; k < j; k++) d -= m[j * n + k]! * m[j * n + k]!;
    if (!(d > 0)) throw new Error(notPositiveDefinite);
    const l = Math.sqrt(d);
    m[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = m[i * n + j]!;
      for (let k = 0; k < j; k++) s -= m[i * n + k]! * m[j * n + k]!;
      m[i * n + j] = s / l;
    }
  }
  const x = Float64Array.from(r);
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= m[i * n + k]! * x[k]!;
    x[i] = s / m[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= m[k * n + i]! * x[k]!;
    x[i] = s / m[i * n + i]!;
  }
  return x;
}

/** Where one damped Newton step left the parameters. */
export interface NewtonMove {
  /** The loss at the new parameters (unchanged from the old one when `converged` came from the full-step test). */
  readonly loss: number;
  /** The step taken was below the tolerance: stop here. */
  readonly converged: boolean;
}

/**
 * Moves `x` (in place) along the Newton `step`. When the full step is already
 * below `tolerance` it is taken as is, without a line search, which rounding
 * would only make halve in vain. Otherwise the step is halved (at most 60
 * times) until the loss does not rise, which matters only far from the
 * optimum; the move counts as converged when the step actually taken is below
 * `tolerance`.
 */
export function dampedNewtonStep(x: Float64Array, step: Float64Array, current: number, loss: (x: Float64Array) => number, tolerance: number): NewtonMove {
  const n = x.length;
  let full = 0;
  for (let i = 0; i < n; i++) full = Math.max(full, Math.abs(step[i]!));
  if (full < tolerance) {
    for (let i = 0; i < n; i++) x[i]! += step[i]!;
    return { loss: current, converged: true };
  }
  let t = 1;
  const next = new Float64Array(n);
  let nextLoss = Number.POSITIVE_INFINITY;
  for (let tries = 0; tries < 60; tries++) {
    for (let i = 0; i < n; i++) next[i] = x[i]! + t * step[i]!;
    nextLoss = loss(next);
    if (nextLoss <= current + 1e-12 * Math.abs(current)) break;
    t /= 2;
  }
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(t * step[i]!));
  x.set(next);
  return { loss: nextLoss, converged: largest < tolerance };
}
