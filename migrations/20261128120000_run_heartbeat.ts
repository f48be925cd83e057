import { sql, type Kysely } from 'kysely';

// Runs get a heartbeat: whoever executes a run's samples (a local `evalgate
// run`, or a worker) stamps it every few seconds. A `running` run whose
// heartbeat has stopped was killed without finishing (kill -9, a lost
// machine), and `evalgate runs reap` can mark it failed so it can be resumed.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('heartbeat_at', 'timestamptz').execute();
  // Runs already running count from when they started.
  await sql`update runs set heartbeat_at = started_at where status = 'running'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('heartbeat_at').execute();
}
