import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * One round trip to the database (`select 1`): resolves when it answers,
 * rejects with the driver's error when it does not. The health check times it.
 */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
