// The normalizers' names alone, in a module that loads none of them: `evalgate score` checks and lists
// them at start-up, and the English normalizers (with Whisper's spelling map) cost ~25 ms to load.

/** Normalizer names accepted by `evalgate score --normalizer` and `evalgate normalize`. */
export const NORMALIZER_NAMES = ['whisper-en', 'whisper-basic', 'open-asr-en', 'wenet-zh', 'none'] as const;

/** One of {@link NORMALIZER_NAMES}. */
export type NormalizerName = (typeof NORMALIZER_NAMES)[number];

/** True when `name` is a registered normalizer. */
export function isNormalizerName(name: string): name is NormalizerName {
  return (NORMALIZER_NAMES as readonly string[]).includes(name);
}
