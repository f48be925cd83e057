import { createHash } from 'node:crypto';
import type { EvalgateConfig } from '../config/config-schema.js';

// Which arena requests may arrive without an API key (the auth plugin lets
// them through as anonymous; the arena routes then decide): any battle route
// when `arena.public` is on, and a battle media file with a signed link
// always (the signature is checked by the route).

const battleMediaPath = /^\/v1\/arena\/battles\/[^/]+\/media\/[^/]+$/;

/** Whether a keyless request to `path` is the arena routes' to judge. */
export function arenaAllowsKeyless(config: EvalgateConfig, path: string, query: unknown): boolean {
  if (path !== '/v1/arena/battles' && !path.startsWith('/v1/arena/battles/')) return false;
  if (battleMediaPath.test(path) && typeof query === 'object' && query !== null && 'sig' in query) return true;
  return config.arena.public;
}

/**
 * The voter identity of a keyless caller: `public:` and a digest of the
 * client address, so the daily cap and the outlier test can tell voters apart
 * without the database holding addresses. (A fixed prefix, not a secret: an
 * IPv4 address can be recovered by trying them all, which the docs say.)
 */
export function publicVoterKey(address: string): string {
  return `public:${createHash('sha256').update(`evalgate-arena-address-v1:${address}`).digest('hex').slice(0, 24)}`;
}
