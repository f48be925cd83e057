import type { FastifyInstance } from 'fastify';
import { findDataset } from '../../store/dataset-repo.js';

/** The folder a dataset's relative media paths start from (by name or id); null when the run names no dataset or it has none. */
export async function datasetRootDir(app: FastifyInstance, datasetNameOrId: string | null): Promise<string | null> {
  return datasetNameOrId === null ? null : ((await findDataset(app.store.db, datasetNameOrId))?.root_dir ?? null);
}
