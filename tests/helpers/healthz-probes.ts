// /healthz round trips while something heavy runs on the server: the event-loop tests of compare and
// report measure the same way, against the same loaded-machine-aware bound.
import { expect } from 'vitest';

/** The value at quantile p of sorted round trips; NaN with no probes at all, which fails every bound. */
export const quantile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

const within = (sorted: readonly number[], bound: number): boolean =>
  quantile(sorted, 0.5) < bound && quantile(sorted, 0.9) < bound && sorted.at(-1)! < bound * 10;

/** The bound now: `boundMs`, or twice what nine in ten probes take with nothing heavy running when the machine is that loaded. */
async function boundNow(base: string, boundMs: number): Promise<number> {
  const idle: number[] = [];
  for (let i = 0; i < 15; i++) {
    const s = performance.now();
    await (await fetch(`${base}/healthz`)).arrayBuffer();
    idle.push(performance.now() - s);
    await new Promise((res) => setTimeout(res, 20));
  }
  const idleP90 = quantile(
    [...idle].sort((a, b) => a - b),
    0.9,
  );
  const bound = Math.max(boundMs, 2 * idleP90);
  console.log(`/healthz with nothing heavy running: p90 ${idleP90.toFixed(1)} ms; bound ${bound.toFixed(1)} ms`);
  return bound;
}

/**
 * Expects the typical /healthz probe and nine in ten to answer within the bound while `measure` runs
 * its heavy request (it returns the probes' round trips, sorted), and the slowest within ten times it:
 * on a shared two-core machine a single probe can lose its core to the scheduler. A loaded CI machine
 * (100–500 ms stalls, busy test files beside this one) can miss the bound twice in a row with the work
 * off the loop, so up to three measurements are made, each against the bound measured just before it
 * (`boundMs` unless idle probes already take over half of it). Work done on the event loop, which
 * blocks the probes for seconds, fails every one.
 */
export async function expectHealthzResponsive(base: string, boundMs: number, measure: () => Promise<number[]>): Promise<void> {
  let sorted: number[] = [];
  let bound = boundMs;
  for (let attempt = 0; attempt < 3; attempt++) {
    bound = await boundNow(base, boundMs);
    sorted = await measure();
    if (within(sorted, bound)) break;
  }
  expect(quantile(sorted, 0.5)).toBeLessThan(bound);
  expect(quantile(sorted, 0.9)).toBeLessThan(bound);
  expect(sorted.at(-1)!).toBeLessThan(bound * 10);
}
