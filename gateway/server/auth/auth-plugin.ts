import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { EvalgateError } from '../../errors.js';
import { isDatabaseUnavailable } from '../../store/is-database-unavailable.js';
import type { ApiKeyScope } from '../../store/database.js';
import { verifyApiKey } from '../../store/api-key-repo.js';
import { apiKeyScopes, scopeAllows } from './scopes.js';
import { hasMediaSignature, mediaRoutePath, type MediaRef, type MediaUrlQuery } from './media-url-signer.js';
import { arenaAllowsKeyless } from '../../arena/battle-keyless.js';

/** Who is calling. */
export interface RequestAuth {
  /** Key row id; null when auth is disabled. */
  readonly keyId: string | null;
  /** Granted scopes (all of them when auth is disabled). */
  readonly scopes: readonly ApiKeyScope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin before any route handler runs. */
    auth: RequestAuth;
  }
}

/** Paths anyone may read: probes and scrapers carry no keys. */
const publicPaths = new Set(['/healthz', '/metrics']);

/** Subprotocol prefix browser realtime clients use to carry the key. */
export const insecureKeyProtocolPrefix = 'openai-insecure-api-key.';

/** Extracts a presented key from `Authorization: Bearer` or the WebSocket subprotocol list. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const p of protocols.split(',').map((s) => s.trim())) {
      if (p.startsWith(insecureKeyProtocolPrefix)) return p.slice(insecureKeyProtocolPrefix.length);
    }
  }
  return undefined;
}

/**
 * Authenticates every request (HTTP and WebSocket upgrades alike) in
 * `onRequest`, so an unauthenticated socket is refused with 401 before the
 * upgrade. With auth disabled every caller gets every scope.
 *
 * Failed authentications (a wrong key anywhere, or no key on a protected
 * path) are counted per client address; past `server.authFailures.max` in a
 * window the answer is 429 with Retry-After instead of 401. A valid key is
 * always let through, so a neighbour behind the same address who guesses
 * keys cannot lock out a real client (guessing a 256-bit key is hopeless, so
 * the limit is against noise and load, not against success).
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const enabled = app.evalgateConfig.server.auth;
  app.decorateRequest('auth', null as unknown as RequestAuth);
  const limit = app.evalgateConfig.server.authFailures;
  // global: false — only failures are counted, through the checker below.
  await app.register(rateLimit, { global: false });
  const countFailure = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs, keyGenerator: (req) => req.ip });

  /** Records one failure; throws 429 once the address is over its allowance. */
  const failed = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const r = await countFailure(request);
    if (!r.isAllowed && r.isExceeded) {
      void reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
      throw new EvalgateError('EVALGATE_ERR_RATE_LIMITED', {
        detail: `more than ${r.max} failed authentications from this address; retry in ${Math.max(1, r.ttlInSeconds)} s`,
      });
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!enabled) {
      request.auth = { keyId: null, scopes: apiKeyScopes };
      return;
    }
    const isPublic = publicPaths.has(path) || path === '/' || path === '/arena' || path.startsWith('/ui/');
    const anonymous: RequestAuth = { keyId: null, scopes: [] };
    const key = presentedKey(request);
    // A signed media link stands in for the key, on the media route only (media-url-signer.ts).
    if (!key && request.routeOptions.url === `/v1${mediaRoutePath}` && hasMediaSignature(request.query)) {
      const params = request.params as { dataset: string; sample: string; index: string };
      const ref: MediaRef = { dataset: params.dataset, sample: params.sample, index: Number(params.index) };
      const check = app.mediaUrls.verify(ref, request.query as MediaUrlQuery);
      if (check.ok) {
        request.auth = { keyId: null, scopes: [check.scope] };
        return;
      }
      // A forged or tampered link is a failed authentication; an expired one is only old.
      if (check.problem !== 'expired') await failed(request, reply);
      request.log.debug({ problem: check.problem }, 'signed media link refused');
      const problem = check.problem === 'bad-signature' ? 'not valid (bad signature)' : check.problem;
      throw new EvalgateError('EVALGATE_ERR_MEDIA_LINK_INVALID', { problem });
    }
    if (!key) {
      if (isPublic || arenaAllowsKeyless(app.evalgateConfig, path, request.query)) {
        request.auth = anonymous;
        return;
      }
      await failed(request, reply);
      throw new EvalgateError('EVALGATE_ERR_UNAUTHORIZED');
    }
    let verified: Awaited<ReturnType<typeof verifyApiKey>>;
    try {
      verified = await verifyApiKey(app.store.db, key);
    } catch (err) {
      // A probe must still get /healthz's "degraded" answer while the database is down.
      if (isPublic && isDatabaseUnavailable(err)) {
        request.auth = anonymous;
        return;
      }
      throw err;
    }
    if (!verified) {
      await failed(request, reply);
      // Public paths answer a wrong key as if none was sent (status only on /healthz).
      if (isPublic) {
        request.auth = anonymous;
        return;
      }
      throw new EvalgateError('EVALGATE_ERR_UNAUTHORIZED');
    }
    request.auth = { keyId: verified.id, scopes: verified.scopes };
  });
});

/** A preHandler that requires a scope (or a stronger one). */
export function requireScope(scope: ApiKeyScope): preHandlerAsyncHookHandler {
  return async (request) => {
    if (!scopeAllows(request.auth?.scopes ?? [], scope)) throw new EvalgateError('EVALGATE_ERR_FORBIDDEN', { scope });
  };
}

/** Whether the caller may see references and other admin-only fields. */
export function isAdmin(request: FastifyRequest): boolean {
  return scopeAllows(request.auth?.scopes ?? [], 'admin');
}
