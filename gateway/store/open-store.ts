import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql, type MigrationResult } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { EvalgateError } from '../errors.js';
import type PgModule from 'pg';
import type { Database } from './database.js';
import { openSharedPglite } from './pglite-owner.js';
import { redactDatabaseUrl } from './redact-database-url.js';
import { isDatabaseUnavailable } from './is-database-unavailable.js';

/** Which backend a store runs on. */
export type StoreBackend = 'postgres' | 'pglite';

/** An open database with its schema migrated. */
export interface Store {
  /** The query builder. */
  readonly db: Kysely<Database>;
  /** `postgres` when DATABASE_URL is set, otherwise the embedded `pglite`. */
  readonly backend: StoreBackend;
  /** Connection string (password hidden) or PGlite folder, for messages. */
  readonly location: string;
  /** Closes the pool or the embedded database. */
  close(): Promise<void>;
}

/** How to open the store. */
export interface OpenStoreOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite is used. */
  readonly url?: string;
  /** PGlite data folder (default `.evalgate/db`). */
  readonly pgliteDir?: string;
  /** Run pending migrations before returning (default true). */
  readonly migrate?: boolean;
  /** Maximum pool size (PostgreSQL; for PGlite, connections to the folder's owner process). */
  readonly poolSize?: number;
  /** PGlite: how long to wait for another process that owns the folder to answer before EVALGATE_ERR_DB_LOCKED. */
  readonly ownerWaitMs?: number;
  /** PGlite, as the folder's owner: drop a connection idle inside a transaction this long, ms (default 60 s; 0 never). */
  readonly idleInTransactionTimeoutMs?: number;
}

/** A cold PGlite start takes ~4 s on two busy cores; an owner that is still opening gets this long. */
const DEFAULT_OWNER_WAIT_MS = 30_000;

// int8 (count(), sums) and numeric come back as strings from pg and as
// numbers or bigints from PGlite; both are parsed to JS numbers so callers see
// one type from either backend.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (v: string): number => Number(v);

function pgTypes(pg: typeof PgModule): PgModule.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID || oid === NUMERIC_OID ? toNumber : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
}

/** Opens PostgreSQL (when `url` is set) or the embedded PGlite, then migrates. */
export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const store = opts.url
    ? await openPostgres(opts.url, opts.poolSize ?? 10)
    : await openPglite(opts.pgliteDir ?? '.evalgate/db', opts.poolSize ?? 4, opts.ownerWaitMs ?? DEFAULT_OWNER_WAIT_MS, opts.idleInTransactionTimeoutMs);
  if (opts.migrate !== false) {
    try {
      await migrateToLatest(store.db);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

async function openPostgres(url: string, poolSize: number): Promise<Store> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes(pg) });
  // pg-pool re-emits errors of *idle* clients (a server restart, an admin's
  // pg_terminate_backend) on the pool; unhandled, that would crash the process.
  // The pool has already dropped the broken client, and the next query opens a
  // fresh one (or fails with EVALGATE_ERR_DB_UNAVAILABLE where it is used); a
  // process warning records that it happened.
  pool.on('error', (err) => process.emitWarning(`PostgreSQL connection lost while idle: ${err.message}`, { code: 'EVALGATE_DB_IDLE_ERROR' }));
  // A client checked out between two queries (inside a transaction) has no pool listener: the same
  // loss would be an uncaught 'error' that kills the process. Its next query fails instead (an outage).
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy();
    throw new EvalgateError('EVALGATE_ERR_DB_UNAVAILABLE', { detail: `${redactDatabaseUrl(url)}: ${(err as Error).message}` }, { cause: err });
  }
  return { db, backend: 'postgres', location: redactDatabaseUrl(url), close: () => db.destroy() };
}

async function openPglite(dir: string, poolSize: number, ownerWaitMs: number, idleInTransactionTimeoutMs: number | undefined): Promise<Store> {
  const dataDir = resolve(dir);
  await mkdir(dataDir, { recursive: true });
  const pg = (await import('pg')).default;
  // One process owns the folder; this one is either that owner or a client of
  // it over the owner's unix socket (see pglite-owner.ts). Either way queries
  // go through `pg`, so results are typed exactly as from PostgreSQL.
  const shared = await openSharedPglite(dataDir, { poolSize, ownerWaitMs, types: pgTypes(pg), idleInTransactionTimeoutMs });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: shared.pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy();
    await shared.close();
    throw err;
  }
  return {
    db,
    backend: 'pglite',
    location: dataDir,
    close: async () => {
      await db.destroy();
      await shared.close();
    },
  };
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
  });
}

/** The outcome of one migration step, for `evalgate db migrate --json`. */
export interface MigrationStep {
  /** Migration file name without extension. */
  readonly name: string;
  /** `Up` or `Down`. */
  readonly direction: string;
  /** `Success`, `Error` or `NotExecuted`. */
  readonly status: string;
}

function check(results: MigrationResult[] | undefined, error: unknown): MigrationStep[] {
  const steps = (results ?? []).map((r) => ({ name: r.migrationName, direction: r.direction, status: r.status }));
  if (error) {
    const failed = steps.find((s) => s.status === 'Error')?.name ?? '(migration lock or provider)';
    // The database went away: an outage to retry, not a migration to fix (the migrations run in one transaction, rolled back together).
    if (isDatabaseUnavailable(error)) {
      throw new EvalgateError(
        'EVALGATE_ERR_DB_UNAVAILABLE',
        {
          detail: `the database became unreachable while migrating (${failed}): ${error instanceof Error ? error.message : String(error)}; run the command again once it is back`,
        },
        { cause: error },
      );
    }
    throw new EvalgateError(
      'EVALGATE_ERR_MIGRATION_FAILED',
      { migration: failed, detail: error instanceof Error ? error.message : String(error) },
      { cause: error },
    );
  }
  return steps;
}

/**
 * Applies pending migrations. Kysely's migrator takes a row lock on its lock
 * table inside a transaction, so several processes starting at once apply each
 * migration exactly once. A failure throws and nothing after it runs.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationStep[]> {
  const { results, error } = await migrator(db).migrateToLatest();
  return check(results, error);
}

/** Reverts every migration (used by tests and `evalgate db migrate --down`). */
export async function migrateDownAll(db: Kysely<Database>): Promise<MigrationStep[]> {
  const { NO_MIGRATIONS } = await import('kysely');
  const { results, error } = await migrator(db).migrateTo(NO_MIGRATIONS);
  return check(results, error);
}

/** Names of migrations applied so far, oldest first. */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
}
