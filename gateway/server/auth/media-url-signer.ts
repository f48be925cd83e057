import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyScope } from '../../store/database.js';
import { apiKeyScopes } from './scopes.js';

// `<img>` and `<audio>` cannot send `Authorization: Bearer`, so the web page
// gets media through short-lived signed links instead (docs/security.md,
// "Signed media links"). A link names one media entry (dataset, sample,
// index), an expiry and the scope of the key it was signed for; the media
// route then applies the same rules to that scope as to a bearer key.

/** The media route under /v1, as fastify names it (the only route a signature opens). */
export const mediaRoutePath = '/datasets/:dataset/samples/:sample/media/:index';

/** How long a signed media link stays valid by default. */
export const defaultMediaUrlTtlMs = 5 * 60_000;

/** One media entry of a sample, as the media route's params name it. */
export interface MediaRef {
  /** Dataset name (or id) as it appears in the path. */
  readonly dataset: string;
  /** Sample key. */
  readonly sample: string;
  /** Index into the sample's media list. */
  readonly index: number;
}

/** The signature part of a signed link, as query parameters. */
export interface MediaUrlQuery {
  /** Expiry, Unix seconds. */
  readonly expires?: number | string;
  /** Scope the link was signed for. */
  readonly scope?: string;
  /** base64url HMAC-SHA256 over the entry, the expiry and the scope. */
  readonly sig?: string;
}

/** A signed link: a path with its query, usable without any header until `expiresAt`. */
export interface SignedMediaUrl {
  /** `/v1/datasets/…/media/N?expires=…&scope=…&sig=…`. */
  readonly url: string;
  /** When it stops working. */
  readonly expiresAt: Date;
}

/** What a presented signature is worth. */
export type MediaUrlCheck =
  { readonly ok: true; readonly scope: ApiKeyScope } | { readonly ok: false; readonly problem: 'malformed' | 'bad-signature' | 'expired' };

/** Signs and checks media links with one server secret. */
export interface MediaUrlSigner {
  /** A link to `ref` for a caller holding `scope`, valid for the signer's lifetime setting. */
  sign(ref: MediaRef, scope: ApiKeyScope): SignedMediaUrl;
  /** Checks a presented link: the signature first (constant time), then the expiry. */
  verify(ref: MediaRef, query: MediaUrlQuery): MediaUrlCheck;
}

/** What the signer needs. */
export interface MediaUrlSignerOptions {
  /** HMAC key; a fresh random one when absent (links then die with the process, which is fine for 5-minute links). */
  readonly secret?: Buffer;
  /** Link lifetime, ms (default 5 minutes). */
  readonly ttlMs?: number;
  /** Clock, ms since the epoch (injected by tests to expire links without waiting). */
  readonly now?: () => number;
}

/** The media route's path for `ref`, each segment percent-encoded. */
export function mediaPath(ref: MediaRef): string {
  return `/v1/datasets/${encodeURIComponent(ref.dataset)}/samples/${encodeURIComponent(ref.sample)}/media/${ref.index}`;
}

/** Whether a query carries a signature at all (otherwise the request is an ordinary keyless one). */
export function hasMediaSignature(query: unknown): boolean {
  return typeof query === 'object' && query !== null && 'sig' in query;
}

/** Creates a signer; the app holds one for its lifetime. */
export function createMediaUrlSigner(opts: MediaUrlSignerOptions = {}): MediaUrlSigner {
  const secret = opts.secret ?? randomBytes(32);
  const ttlMs = opts.ttlMs ?? defaultMediaUrlTtlMs;
  const now = opts.now ?? Date.now;
  // JSON of a fixed-shape array: no separator a dataset name or sample key could forge.
  const mac = (ref: MediaRef, expires: number, scope: string): Buffer =>
    createHmac('sha256', secret)
      .update(JSON.stringify(['evalgate-media-v1', ref.dataset, ref.sample, ref.index, expires, scope]))
      .digest();
  return {
    sign(ref, scope) {
      const expires = Math.ceil((now() + ttlMs) / 1000);
      const sig = mac(ref, expires, scope).toString('base64url');
      const query = new URLSearchParams({ expires: String(expires), scope, sig });
      return { url: `${mediaPath(ref)}?${query.toString()}`, expiresAt: new Date(expires * 1000) };
    },
    verify(ref, query) {
      const expires = Number(query.expires);
      const scope = query.scope;
      if (!Number.isSafeInteger(expires) || typeof scope !== 'string' || typeof query.sig !== 'string') return { ok: false, problem: 'malformed' };
      if (!Number.isSafeInteger(ref.index) || !(apiKeyScopes as readonly string[]).includes(scope)) return { ok: false, problem: 'malformed' };
      const presented = Buffer.from(query.sig, 'base64url');
      const expected = mac(ref, expires, scope);
      // timingSafeEqual needs equal lengths; the length of a MAC is no secret.
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, problem: 'bad-signature' };
      if (expires * 1000 <= now()) return { ok: false, problem: 'expired' };
      return { ok: true, scope: scope as ApiKeyScope };
    },
  };
}
