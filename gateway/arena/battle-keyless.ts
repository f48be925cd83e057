import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
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
  return `public:${createHash('sha256')
    .update(`evalgate-arena-address-v1:${voterAddress(address)}`)
    .digest('hex')
    .slice(0, 24)}`;
}

/**
 * The part of a client address that names one voter: an IPv4 address whole
 * (IPv4-mapped IPv6 as IPv4), an IPv6 address by its /64 prefix, since one
 * client holds a whole /64 and could otherwise be a new voter, with a full
 * rate-limit bucket and daily cap, on every request.
 */
export function voterAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
