import { EvalgateError } from '../errors.js';

/**
 * Imports a sibling module of the project by a path relative to
 * gateway/runner/. The specifier goes through a variable on purpose: these
 * modules (model factory, scorers, media) are written by other parts of the
 * project and loaded only when a run needs them, so that the runner builds and
 * its tests run while they are absent, and a missing one fails with a clear
 * message instead of a crash at start-up.
 */
export async function importProjectModule<T>(relativeToRunner: string, what: string): Promise<T> {
  const href = new URL(relativeToRunner, import.meta.url).href;
  try {
    return (await import(href)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(relativeToRunner.replace(/^(\.\.\/)+/, ''))) {
      throw new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `${what} is not available in this build (${relativeToRunner} is missing)` });
    }
    throw err;
  }
}
