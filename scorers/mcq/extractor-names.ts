// The multiple-choice extractors' names alone, in a module that loads none of them (`evalgate score`
// lists them in its help and checks --extractor before it knows whether any row is mcq).

/** Extractor names accepted by `evalgate score --extractor` (and run's scorer options). */
export const EXTRACTOR_NAMES = ['videomme', 'lmms', 'lmms-2026-04', 'mvbench'] as const;

/** One of {@link EXTRACTOR_NAMES}. */
export type ExtractorName = (typeof EXTRACTOR_NAMES)[number];

/** The extractor mcq scoring applies when the options name none (scoring, `evalgate score` and recorded scorer versions). */
export const DEFAULT_EXTRACTOR: ExtractorName = 'videomme';
