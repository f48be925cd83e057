import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Two capabilities for callers without a bearer header, both HMACs under one
// secret made when the app starts (like media-url-signer.ts: they die with the
// process, which is fine for a battle that lasts minutes):
// - a battle token, given to the keyless creator of a battle (arena.public),
//   sent back as `X-Arena-Token` to read, stream and vote on that battle;
// - signed media links, for `<audio>`, `<img>` and `<video>` tags, each
//   opening one file of one battle until it expires.

/** A signed link to one battle media file. */
export interface SignedBattleMediaUrl {
  /** `/v1/arena/battles/:id/media/:name?expires=…&sig=…`. */
  readonly url: string;
  /** When it stops working. */
  readonly expiresAt: Date;
}

/** Signs and checks battle tokens and battle media links. */
export interface BattleLinks {
  /** The token of a keyless battle. */
  token(battleId: string): string;
  /** Whether a presented token is that battle's (constant time). */
  checkToken(battleId: string, presented: string | undefined): boolean;
  /** A link to one media file of a battle. */
  mediaUrl(battleId: string, name: string): SignedBattleMediaUrl;
  /** `ok`, or why a presented media signature is refused. */
  checkMedia(battleId: string, name: string, expires: unknown, sig: unknown): 'ok' | 'malformed' | 'bad-signature' | 'expired';
}

/** Options of {@link createBattleLinks}. */
export interface BattleLinksOptions {
  /** HMAC key (default: random now). */
  readonly secret?: Buffer;
  /** Media link lifetime, ms (default 5 minutes). */
  readonly ttlMs?: number;
  /** Clock, ms (tests). */
  readonly now?: () => number;
}

/** The path of a battle media file. */
export function battleMediaPath(battleId: string, name: string): string {
  return `/v1/arena/battles/${encodeURIComponent(battleId)}/media/${encodeURIComponent(name)}`;
}

const same = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** Creates the signer the arena routes hold for the app's lifetime. */
export function createBattleLinks(opts: BattleLinksOptions = {}): BattleLinks {
  const secret = opts.secret ?? randomBytes(32);
  const ttlMs = opts.ttlMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  // JSON of a fixed-shape array: no id or name can forge a separator.
  const mac = (parts: readonly (string | number)[]): Buffer => createHmac('sha256', secret).update(JSON.stringify(parts)).digest();
  return {
    token: (battleId) => mac(['evalgate-arena-token-v1', battleId]).toString('base64url'),
    checkToken: (battleId, presented) =>
      typeof presented === 'string' && presented.length <= 128 && same(Buffer.from(presented, 'base64url'), mac(['evalgate-arena-token-v1', battleId])),
    mediaUrl(battleId, name) {
      const expires = Math.ceil((now() + ttlMs) / 1000);
      const sig = mac(['evalgate-arena-media-v1', battleId, name, expires]).toString('base64url');
      return {
        url: `${battleMediaPath(battleId, name)}?${new URLSearchParams({ expires: String(expires), sig }).toString()}`,
        expiresAt: new Date(expires * 1000),
      };
    },
    checkMedia(battleId, name, expires, sig) {
      const e = Number(expires);
      if (!Number.isSafeInteger(e) || typeof sig !== 'string' || sig.length > 128) return 'malformed';
      if (!same(Buffer.from(sig, 'base64url'), mac(['evalgate-arena-media-v1', battleId, name, e]))) return 'bad-signature';
      return e * 1000 <= now() ? 'expired' : 'ok';
    },
  };
}
