import type { FastifyInstance, FastifyRequest } from 'fastify';
import { liveScoresVisible, mayReadReferences, sealedAccess } from '../../compare/sealed-view.js';
import type { SampleMedia } from '../../store/database.js';
import type { RunWithDataset } from '../../store/run-listing-repo.js';
import { runSampleScores } from '../../store/sample-scores-repo.js';
import { mayReadMedia } from '../auth/may-read-media.js';
import { publicMediaPath } from '../auth/public-media-path.js';
import { strongestScope } from '../auth/scopes.js';
import { datasetRootDir } from './dataset-root-dir.js';

/** A media entry as `/v1/runs/:id/samples` returns it. */
export type LinkedMedia = SampleMedia & {
  /** Signed link to the file, usable without a header until `urlExpiresAt`; absent when the caller may not fetch it. */
  readonly url?: string;
  /** When `url` stops working (ISO 8601). */
  readonly urlExpiresAt?: string;
};

/** What the run view adds to a page of samples for one caller. */
export interface RunSampleExtras {
  /** The sample's media with signed links where the caller may fetch them; `path` is the recorded one for admin keys, else dataset-relative (public-media-path.ts). */
  media(sampleKey: string, media: readonly SampleMedia[]): LinkedMedia[];
  /** Per-sample scores by metric, or undefined when the caller may not see them. */
  scores(sampleKey: string): Record<string, number> | undefined;
}

/**
 * Signed media links and per-sample scores for a page of a run's samples, as
 * the caller's scope allows: links under the media route's own rule
 * (may-read-media.ts), scores under the live sockets' rule (`evaluator` keys
 * on open datasets, `admin` on sealed ones: gateway/compare/sealed-view.ts),
 * media paths as server paths for admin keys only (public-media-path.ts).
 */
export async function runSampleExtras(
  app: FastifyInstance,
  request: FastifyRequest,
  run: RunWithDataset,
  sampleKeys: readonly string[],
): Promise<RunSampleExtras> {
  const scopes = request.auth?.scopes ?? [];
  const sealed = run.sealed === true;
  const scope = strongestScope(scopes);
  const linkable = run.dataset !== null && scope !== undefined && mayReadMedia(scopes, sealed);
  const scores = liveScoresVisible(scopes, sealed) ? await runSampleScores(app.store.db, run.id, sampleKeys) : undefined;
  const admin = mayReadReferences(sealedAccess(scopes));
  const rootDir = admin ? null : await datasetRootDir(app, run.dataset);
  return {
    media: (sampleKey, media) =>
      media.map((m, index) => {
        const shown = admin ? m : { ...m, path: publicMediaPath(m.path, rootDir) };
        if (!linkable) return shown;
        const signed = app.mediaUrls.sign({ dataset: run.dataset!, sample: sampleKey, index }, scope);
        return { ...shown, url: signed.url, urlExpiresAt: signed.expiresAt.toISOString() };
      }),
    scores: (sampleKey) => (scores ? (scores.get(sampleKey) ?? {}) : undefined),
  };
}
