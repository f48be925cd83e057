import { sql, type Kysely } from 'kysely';
import type { ModelConfig } from '../config/config-schema.js';
import type { Database } from './database.js';

// The models runs and live sessions name. Both declare their model the same
// way, so a model's row says the same thing whichever used it last.

/** Declares (or refreshes, stamping `updated_at`) a configured model in `models`. */
export async function upsertModel(db: Kysely<Database>, model: ModelConfig): Promise<void> {
  const fields = { adapter: model.adapter, kind: model.kind, model: model.model ?? null, base_url: model.baseUrl ?? null };
  await db
    .insertInto('models')
    .values({ id: model.id, ...fields })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...fields, updated_at: sql`now()` }))
    .execute();
}
