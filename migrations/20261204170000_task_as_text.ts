import { sql, type Kysely } from 'kysely';

// The task column holds text; the application validates it against the task
// registry (scorers/tasks/index.ts), so adding a task needs no schema change.
// The initial schema's inline CHECK on samples.task is the only task CHECK
// (runs.task never had one); PostgreSQL and PGlite both named it
// `samples_task_check` (<table>_<column>_check).

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table samples drop constraint if exists samples_task_check`.execute(db);
}

// Restores the check as the initial schema declared it; fails if samples of a
// task added since are stored (delete those datasets first).
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table samples add constraint samples_task_check check (task in ('asr', 'ocr', 'vqa', 'mcq'))`.execute(db);
}
