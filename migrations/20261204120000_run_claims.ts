import { sql, type Kysely } from 'kysely';

// Issue 13 #11: a run's heartbeat names who holds it (host and pid), so that a
// second `run --resume` can be refused with a useful message; and samples are
// claimed one row each before their model call, so two executors of one run
// never call the model for the same sample. A claim is released once the
// sample's prediction is written; claims of a killed executor go stale with
// its heartbeat.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('heartbeat_host', 'text').execute();
  await db.schema.alterTable('runs').addColumn('heartbeat_pid', 'integer').execute();
  await db.schema
    .createTable('run_claims')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('sample_id', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('run_claims_pkey', ['run_id', 'sample_id'])
    .execute();
  await db.schema.createIndex('run_claims_executor_idx').on('run_claims').column('executor').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('run_claims').execute();
  await db.schema.alterTable('runs').dropColumn('heartbeat_pid').execute();
  await db.schema.alterTable('runs').dropColumn('heartbeat_host').execute();
}
