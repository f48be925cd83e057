import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { EvalgateError } from '../../errors.js';
import type { ApiKeyScope } from '../../store/database.js';
import { apiKeyScopes, scopeAllows, verifyApiKey } from './api-key-repo.js';

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
 */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const enabled = app.evalgateConfig.server.auth;
  app.decorateRequest('auth', null as unknown as RequestAuth);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (!enabled) {
      request.auth = { keyId: null, scopes: apiKeyScopes };
      return;
    }
    const key = presentedKey(request);
    if (!key) {
      if (publicPaths.has(path) || path === '/' || path.startsWith('/ui/')) {
        request.auth = { keyId: null, scopes: [] };
        return;
      }
      throw new EvalgateError('EVALGATE_ERR_UNAUTHORIZED');
    }
    const verified = await verifyApiKey(app.store.db, key);
    if (!verified) throw new EvalgateError('EVALGATE_ERR_UNAUTHORIZED');
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
