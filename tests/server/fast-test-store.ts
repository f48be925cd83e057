import { createPgliteTestStore, createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

/**
 * PostgreSQL when it answers (about 1 s: a fresh database), else PGlite
 * (4 s or more on a busy 2-core machine). For suites whose subject is the
 * HTTP layer, not the backend.
 */
export async function fastTestStore(): Promise<TestStore> {
  return (await postgresAvailable()) ? createPostgresTestStore() : createPgliteTestStore();
}
