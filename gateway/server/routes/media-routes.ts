import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { resolveMediaPath } from '../../../datasets/parse-manifest.js';
import { EvalgateError } from '../../errors.js';

const mimeTypes: Readonly<Record<string, string>> = {
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/**
 * `GET /v1/datasets/:dataset/samples/:sample/media/:index`: a sample's media
 * file, for the audio players and previews of the web page. The path comes
 * from the database and is re-checked against the dataset root.
 */
export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { dataset: string; sample: string; index: number } }>(
    '/datasets/:dataset/samples/:sample/media/:index',
    { schema: { params: { type: 'object', properties: { dataset: { type: 'string' }, sample: { type: 'string' }, index: { type: 'integer', minimum: 0 } } } } },
    async (request, reply) => {
      const { dataset, sample, index } = request.params;
      const row = await app.store.db
        .selectFrom('samples')
        .innerJoin('datasets', 'datasets.id', 'samples.dataset_id')
        .select(['samples.media', 'datasets.root_dir'])
        .where((eb) => eb.or([eb('datasets.name', '=', dataset), eb('datasets.id', '=', dataset)]))
        .where('samples.sample_key', '=', sample)
        .executeTakeFirst();
      const media = row?.media[index];
      if (!row || !media || !row.root_dir) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Media', id: `${dataset}/${sample}/${index}` });
      const abs = resolveMediaPath(row.root_dir, media.path);
      if (!abs) throw new EvalgateError('EVALGATE_ERR_PATH_ESCAPE', { path: media.path, root: row.root_dir });
      try {
        const st = await stat(abs);
        reply.header('content-length', st.size);
      } catch {
        throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: media.path });
      }
      reply.type(mimeTypes[extname(abs).toLowerCase()] ?? 'application/octet-stream');
      return reply.send(createReadStream(abs));
    },
  );
}
