import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `<repo>/../shared/realdata`: small real recordings, images and a video with known content. */
export const realdataDir: string = fileURLToPath(new URL('../../../shared/realdata', import.meta.url));

/**
 * Whether the real media are there. Outside CI the tests that need them skip
 * with a message; in CI (`CI=true`) a missing folder fails the run, as an
 * unreachable PostgreSQL does, so a green CI never hides skipped real-data tests.
 */
export const hasRealdata: boolean = (() => {
  const ok = existsSync(join(realdataDir, 'jfk.wav'));
  if (!ok && process.env.CI === 'true') throw new Error(`${realdataDir} is missing in CI: the real-data tests cannot skip there`);
  if (!ok) console.warn(`[realdata] ${realdataDir} is missing: real-data tests skip`);
  return ok;
})();
