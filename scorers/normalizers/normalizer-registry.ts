// The named normalizers. One name ↔ one reference implementation; see docs/scoring.md.
import { basicTextNormalize } from './basic-text-normalizer.js';
import { openAsrEnglishNormalize, whisperEnglishNormalize } from './english-text-normalizer.js';
import { wenetTokenize } from './wenet-tokenize.js';

/** Normalizer names accepted by `evalgate score --normalizer` and `evalgate normalize`. */
export const NORMALIZER_NAMES = ['whisper-en', 'whisper-basic', 'open-asr-en', 'wenet-zh', 'none'] as const;

/** One of {@link NORMALIZER_NAMES}. */
export type NormalizerName = (typeof NORMALIZER_NAMES)[number];

/** A registered normalizer. */
export interface NormalizerSpec {
  /** Registry name. */
  readonly name: NormalizerName;
  /** The reference implementation it reproduces. */
  readonly reference: string;
  /** Text → normalized text (one line in, one line out). */
  readonly normalize: (text: string) => string;
}

/** Registry of all normalizers, keyed by name. */
export const normalizers: Readonly<Record<NormalizerName, NormalizerSpec>> = {
  'whisper-en': {
    name: 'whisper-en',
    reference: 'openai/whisper whisper/normalizers/english.py EnglishTextNormalizer',
    normalize: whisperEnglishNormalize,
  },
  'whisper-basic': {
    name: 'whisper-basic',
    reference: 'openai/whisper whisper/normalizers/basic.py BasicTextNormalizer()',
    normalize: (s) => basicTextNormalize(s),
  },
  'open-asr-en': {
    name: 'open-asr-en',
    reference: 'huggingface/open_asr_leaderboard normalizer/normalizer.py EnglishTextNormalizer',
    normalize: openAsrEnglishNormalize,
  },
  'wenet-zh': {
    name: 'wenet-zh',
    reference: 'wenet-e2e/wenet tools/compute-wer.py --char=1 (characterize + normalize)',
    normalize: (s) => wenetTokenize(s).join(' '),
  },
  none: { name: 'none', reference: 'identity', normalize: (s) => s },
};

/** True when `name` is a registered normalizer. */
export function isNormalizerName(name: string): name is NormalizerName {
  return (NORMALIZER_NAMES as readonly string[]).includes(name);
}

/** Looks a normalizer up by name; throws a RangeError naming the valid choices otherwise. */
export function getNormalizer(name: string): NormalizerSpec {
  if (!isNormalizerName(name)) {
    throw new RangeError(`unknown normalizer "${name}"; expected one of ${NORMALIZER_NAMES.join(', ')}`);
  }
  return normalizers[name];
}
