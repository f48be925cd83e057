import { mayReadReferences, sealedAccess } from '../../compare/sealed-view.js';
import type { ApiKeyScope } from '../../store/database.js';
import { scopeAllows } from './scopes.js';

/**
 * Whether a caller holding `scopes` may fetch a sample's media file, by
 * bearer key or signed link alike. Open datasets: any `viewer`. Sealed
 * datasets: `admin` only, as their references are: a sealed set's audio or
 * image is most of its answer (anyone can transcribe a clip or read a
 * scanned word), so handing it to lower scopes would unseal the set.
 */
export function mayReadMedia(scopes: readonly ApiKeyScope[], sealed: boolean): boolean {
  if (!scopeAllows(scopes, 'viewer')) return false;
  return !sealed || mayReadReferences(sealedAccess(scopes));
}
