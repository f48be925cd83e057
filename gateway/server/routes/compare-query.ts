import { compareLimits } from '../../compare/compare-pool.js';
import { EvalgateError } from '../../errors.js';

/**
 * The query parts `/v1/compare` and `/v1/report` share (both compare the runs
 * in `runs=`), kept in one place so the two accept and check the same things.
 */

/** The bootstrap settings every comparison takes. The cap on iterations is checked in the handler ({@link checkIterations}), so the 400 names it in words. */
export const statsQuery = {
  iterations: { type: 'integer', minimum: 10, default: 1000 },
  seed: { type: 'integer', default: 1 },
} as const;

/** Querystring schema of a comparison of the runs in `runs=` (comma-separated), sliced `by`, with `samples` example samples (default differs per route). */
export function compareQuerystring(samplesDefault: number) {
  return {
    type: 'object',
    required: ['runs'],
    properties: {
      runs: { type: 'string', minLength: 1 },
      by: { type: 'string', enum: ['task', 'tag', 'lang'], default: 'tag' },
      samples: { type: 'integer', minimum: 0, maximum: 500, default: samplesDefault },
      ...statsQuery,
    },
    additionalProperties: false,
  } as const;
}

/** Rejects more bootstrap iterations than one request may ask for. */
export function checkIterations(iterations: number | undefined): void {
  if (iterations !== undefined && iterations > compareLimits.maxIterations) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `iterations must be at most ${compareLimits.maxIterations} per request (got ${iterations})` });
  }
}

/** The run ids in a comma-separated `runs=`, trimmed, blanks dropped; duplicates name the same run, so each is kept once. */
export function distinctRunIds(runs: string): string[] {
  return [
    ...new Set(
      runs
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}
