import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { isContainmentProblem, openContainedMedia } from '../../../datasets/contain-media-path.js';
import { EvalgateError } from '../../errors.js';
import { findSampleMediaRecord } from '../../store/dataset-repo.js';
import { mayReadMedia } from '../auth/may-read-media.js';
import { mediaRoutePath } from '../auth/media-url-signer.js';
import { apiKeyScopes } from '../auth/scopes.js';

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
 * file, for the audio players and previews of the web page. It serves only
 * the file recorded at import for that sample and index, only while its real
 * path (links resolved) is inside the dataset root and its size is unchanged
 * (datasets/contain-media-path.ts). Anything else is a plain 404: the reason,
 * with server paths, goes to the log only. A sealed dataset's media goes to
 * admin keys only (may-read-media.ts). `expires`, `scope` and `sig` are a
 * signed link's (media-url-signer.ts), checked by the auth plugin before
 * this handler; the link's scope is then held to the same rules as a key.
 */
export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  // A dataset's files are whatever its manifest named: an "image" can be HTML
  // or SVG with script in it. On every reply of this route (errors too), the
  // browser may not guess another type than the one sent (`nosniff`), and a
  // file opened as a page runs in an opaque origin without scripts
  // (`sandbox`), so it cannot act with the viewer's session on this origin.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff').header('content-security-policy', 'sandbox');
    return payload;
  });
  app.get<{ Params: { dataset: string; sample: string; index: number } }>(
    mediaRoutePath,
    {
      schema: {
        params: { type: 'object', properties: { dataset: { type: 'string' }, sample: { type: 'string' }, index: { type: 'integer', minimum: 0 } } },
        querystring: {
          type: 'object',
          properties: { expires: { type: 'integer', minimum: 0 }, scope: { type: 'string', enum: [...apiKeyScopes] }, sig: { type: 'string', maxLength: 128 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { dataset, sample, index } = request.params;
      const notFound = (): EvalgateError => new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Media', id: `${dataset}/${sample}/${index}` });
      const row = await findSampleMediaRecord(app.store.db, dataset, sample);
      const media = row?.media[index];
      if (!row || !media || !row.root_dir) throw notFound();
      if (!mayReadMedia(request.auth?.scopes ?? [], row.sealed)) throw new EvalgateError('EVALGATE_ERR_FORBIDDEN', { scope: 'admin' });
      // Samples imported before real paths were recorded have none: those are checked by real path alone.
      const recorded = row.media_files[index];
      const opened = await openContainedMedia(row.root_dir, media.path, recorded);
      if (isContainmentProblem(opened)) {
        request.log.warn({ dataset, sample, index, problem: opened.problem, detail: opened.detail }, 'media refused');
        throw notFound();
      }
      reply.header('content-length', opened.sizeBytes);
      reply.type(mimeTypes[extname(media.path).toLowerCase()] ?? 'application/octet-stream');
      return reply.send(opened.handle.createReadStream());
    },
  );
}
