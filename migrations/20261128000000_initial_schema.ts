import { sql, type Kysely } from 'kysely';

// The first schema: everything needed to compare generalist and specialist
// models later. Types are chosen so both backends return the same JS types:
// `double precision` (not numeric) for measurements, `integer` for counts,
// `text` UUID strings for ids, `jsonb` for structured values.

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations must not depend on the evolving Database type */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  const uuid = sql`gen_random_uuid()::text`;

  await db.schema
    .createTable('models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('adapter', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('generalist', 'specialist')`))
    .addColumn('model', 'text')
    .addColumn('base_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('root_dir', 'text')
    .addColumn('manifest_path', 'text')
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('merkle_root', 'text', (c) => c.notNull())
    .addColumn('sample_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sealed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('meta', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('samples')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('sample_key', 'text', (c) => c.notNull())
    .addColumn('task', 'text', (c) => c.notNull().check(sql`task in ('asr', 'ocr', 'vqa', 'mcq')`))
    .addColumn('reference', 'jsonb')
    .addColumn('question', 'text')
    .addColumn('choices', 'jsonb')
    .addColumn('answer', 'text')
    .addColumn('lang', 'text')
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('media', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('duration_s', 'double precision')
    .addColumn('sample_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('samples_dataset_key_unique', ['dataset_id', 'sample_key'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('dataset_id', 'text', (c) => c.references('datasets.id'))
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'running', 'completed', 'failed', 'cancelled')`),
    )
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('config_hash', 'text', (c) => c.notNull())
    .addColumn('dataset_digest', 'text')
    .addColumn('merkle_root', 'text')
    .addColumn('prompt_template', 'text')
    .addColumn('normalizer', 'text')
    .addColumn('adapter_version', 'text')
    .addColumn('evalgate_version', 'text', (c) => c.notNull())
    .addColumn('warnings', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('summary', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('runs_config_hash_idx').on('runs').column('config_hash').execute();

  await db.schema
    .createTable('predictions')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('sample_id', 'text', (c) => c.notNull().references('samples.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ok', 'failed', 'skipped')`))
    .addColumn('output_text', 'text')
    .addColumn('raw_response', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_request_ms', 'double precision')
    .addColumn('latency_first_token_ms', 'double precision')
    .addColumn('latency_total_ms', 'double precision')
    .addColumn('audio_seconds', 'double precision')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('predictions_run_sample_unique', ['run_id', 'sample_id'])
    .execute();

  await db.schema
    .createTable('scores')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('prediction_id', 'text', (c) => c.notNull().references('predictions.id').onDelete('cascade'))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('details', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('scores_prediction_metric_unique', ['prediction_id', 'metric'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('name', 'text')
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('stream_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
    .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id'))
    .addColumn('protocol', 'text', (c) => c.notNull().check(sql`protocol in ('realtime', 'native')`))
    .addColumn('dataset_id', 'text', (c) => c.references('datasets.id'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'disconnected', 'closed', 'failed')`),
    )
    .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('audio_seconds', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('ended_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('utterances')
    .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(uuid))
    .addColumn('session_id', 'text', (c) => c.notNull().references('stream_sessions.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sample_id', 'text', (c) => c.references('samples.id'))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('open')
        .check(sql`status in ('open', 'ok', 'failed', 'cancelled')`),
    )
    .addColumn('transcript', 'text')
    .addColumn('error', 'jsonb')
    .addColumn('audio_seconds', 'double precision')
    .addColumn('speech_start_s', 'double precision')
    .addColumn('speech_end_s', 'double precision')
    .addColumn('latency_first_token_ms', 'double precision')
    .addColumn('latency_final_ms', 'double precision')
    .addColumn('real_time_factor', 'double precision')
    .addColumn('scores', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('finished_at', 'timestamptz')
    .addUniqueConstraint('utterances_session_seq_unique', ['session_id', 'seq'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('actor', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  // Append-only is enforced by the database, not by convention.
  await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
    begin raise exception 'audit_log is append-only'; end $$`.execute(db);
  await sql`create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists audit_log_no_update on audit_log`.execute(db);
  await sql`drop function if exists audit_log_append_only()`.execute(db);
  for (const t of ['audit_log', 'utterances', 'stream_sessions', 'api_keys', 'scores', 'predictions', 'runs', 'samples', 'datasets', 'models']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
