import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ApiKeyScope, Database } from './database.js';

// API keys and their audit entries in the store. The scope order (what a
// scope allows) is policy, not storage: it lives in gateway/server/auth/scopes.ts.

/** sha256 of the key: keys are random 256-bit strings, so a slow hash buys nothing. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A freshly created key; `key` is shown once and never stored. */
export interface CreatedApiKey {
  /** Row id. */
  readonly id: string;
  /** The secret, `eg_<prefix>_<random>`. */
  readonly key: string;
  /** Non-secret prefix for identifying the key in lists and logs. */
  readonly prefix: string;
  /** Granted scopes. */
  readonly scopes: readonly ApiKeyScope[];
}

/** Creates a key and records it (hashed) plus an audit entry. */
export async function createApiKey(db: Kysely<Database>, opts: { scopes: readonly ApiKeyScope[]; name?: string; actor?: string }): Promise<CreatedApiKey> {
  const prefix = randomBytes(4).toString('hex');
  const key = `eg_${prefix}_${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({ prefix, key_hash: hashApiKey(key), scopes: JSON.stringify(opts.scopes), name: opts.name ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('audit_log')
    .values({ action: 'api_key.create', actor: opts.actor ?? 'cli', subject: row.id, details: JSON.stringify({ prefix, scopes: opts.scopes }) })
    .execute();
  return { id: row.id, key, prefix, scopes: opts.scopes };
}

/** A verified caller. */
export interface VerifiedKey {
  /** Row id of the key. */
  readonly id: string;
  /** Its scopes. */
  readonly scopes: readonly ApiKeyScope[];
}

/** Looks up a presented key; undefined when unknown or revoked. */
export async function verifyApiKey(db: Kysely<Database>, presented: string): Promise<VerifiedKey | undefined> {
  const hash = hashApiKey(presented);
  const row = await db.selectFrom('api_keys').select(['id', 'key_hash', 'scopes', 'revoked_at']).where('key_hash', '=', hash).executeTakeFirst();
  if (!row || row.revoked_at) return undefined;
  // The lookup is by hash already; the constant-time compare guards against
  // a future change to a prefix lookup.
  if (!timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return undefined;
  return { id: row.id, scopes: row.scopes };
}

/** Revokes a key by id or prefix. Returns whether one was revoked. */
export async function revokeApiKey(db: Kysely<Database>, idOrPrefix: string): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)]))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const n = Number(res.numUpdatedRows);
  if (n > 0) await db.insertInto('audit_log').values({ action: 'api_key.revoke', actor: 'cli', subject: idOrPrefix }).execute();
  return n > 0;
}
