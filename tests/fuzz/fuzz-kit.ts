import fc from 'fast-check';
import { errorRegistry, type ErrorCode } from '../../gateway/errors.js';

/**
 * Seeded and bounded: the same seed replays the same inputs, so a failure in
 * CI reproduces locally with `FUZZ_SEED=<seed> npx vitest run tests/fuzz`.
 * `FUZZ_RUNS_FACTOR` scales every property's run count for a longer soak.
 */
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? 20261204);
const factor = Number(process.env.FUZZ_RUNS_FACTOR ?? 1);

/**
 * fast-check parameters for a property of `runs` runs (scaled). A fixed
 * count, never a clock: the same seed checks the same inputs however loaded
 * the machine is, and the coverage checks after each property cannot pass or
 * fail by speed.
 */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  return { seed: fuzzSeed, numRuns: Math.max(1, Math.round(runs * factor)), verbose: 1 };
}

/** Every code in the registry except INTERNAL, which means a bug wherever it shows up. */
export function isDocumentedCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorRegistry, code) && code !== 'EVALGATE_ERR_INTERNAL';
}

/**
 * Close codes a fuzzed socket may end with: normal close (1000), going away
 * (1001, shutdown), and every registry close code but 1011 (internal error).
 */
export const documentedCloseCodes: ReadonlySet<number> = new Set([
  1000,
  ...Object.values(errorRegistry)
    .map((e) => e.wsCloseCode as number)
    .filter((c) => c !== 1011),
]);

/**
 * Records unhandled rejections and uncaught exceptions while a suite runs;
 * `assertNone()` fails with what fired. vitest reports them too, but only
 * after the fact and without saying which input caused them.
 */
export function watchProcess(): { stop(): void; fired: () => readonly string[] } {
  const fired: string[] = [];
  const onRejection = (reason: unknown): void => {
    fired.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };
  const onException = (err: Error): void => {
    fired.push(`uncaughtException: ${err.stack ?? err.message}`);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
    fired: () => fired,
  };
}

/** Small JSON values of every kind, for fields the protocols expect to be something else. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noDefaultInfinity: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('', 'pcm16', 'server_vad', 'manual', 'image/png', 'AAAA', '-1', '1e400', '\u0000', '../../etc/passwd'),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Standard base64 of random bytes (valid base64, almost never a valid image). */
export const base64Bytes = (maxLength: number): fc.Arbitrary<string> => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('base64'));
