import { existsSync } from 'node:fs';

/** Debian's Chromium, which `.ci/run` installs (playwright-core drives it; no browser download). */
export const chromiumPath = '/usr/bin/chromium';

/**
 * Whether the browser tests can run. Outside CI they skip with a message when
 * Chromium is missing; in CI (`CI=true`) a missing browser fails the run, so
 * the browser suites never pass by not running.
 */
export const hasChromium: boolean = (() => {
  const ok = existsSync(chromiumPath);
  if (!ok && process.env.CI === 'true') throw new Error(`${chromiumPath} is missing in CI: .ci/run installs Debian's chromium`);
  if (!ok) console.warn(`[browser] ${chromiumPath} is missing: browser tests skip (apt-get install chromium)`);
  return ok;
})();
