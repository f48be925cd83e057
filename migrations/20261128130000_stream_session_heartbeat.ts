import { sql, type Kysely } from 'kysely';

// Stream sessions get a heartbeat: each gateway process stamps the sessions it
// holds every few seconds. An `open` or `disconnected` session whose stamp has
// stopped belonged to a gateway that was killed or lost, and is marked failed
// by the next gateway that starts (see gateway/live/session-heartbeat.ts).
// Existing rows start from the migration's time, so a ghost from before is
// reaped a minute later rather than at once.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('stream_sessions')
    .addColumn('heartbeat_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('stream_sessions').dropColumn('heartbeat_at').execute();
}
