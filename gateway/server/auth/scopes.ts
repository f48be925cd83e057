import type { ApiKeyScope } from '../../store/database.js';

// The scope order is policy, kept apart from the key store so that checking a
// scope never pulls in database code.

/** Scopes, weakest first; a key holds its scope and every weaker one. */
export const apiKeyScopes: readonly ApiKeyScope[] = ['viewer', 'submitter', 'evaluator', 'admin'];

/** Whether `granted` includes `needed` under the scope order. */
export function scopeAllows(granted: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  const rank = apiKeyScopes.indexOf(needed);
  return granted.some((g) => apiKeyScopes.indexOf(g) >= rank);
}

/** The strongest scope in `granted` (what a signed link carries for the key); undefined when none. */
export function strongestScope(granted: readonly ApiKeyScope[]): ApiKeyScope | undefined {
  return [...apiKeyScopes].reverse().find((s) => granted.includes(s));
}
