// The named normalizers. One name ↔ one reference implementation at a named
// upstream version; docs/scoring.md lists them (tests/scorers/scorer-versions.test.ts).
import type { VersionedScorer } from '../tasks/upstream-ref.js';
import { basicTextNormalize } from './basic-text-normalizer.js';
import { openAsrEnglishNormalize, whisperEnglishNormalize } from './english-text-normalizer.js';
import { wenetTokenize } from './wenet-tokenize.js';

import { isNormalizerName, NORMALIZER_NAMES, type NormalizerName } from './normalizer-names.js';

export { isNormalizerName, NORMALIZER_NAMES, type NormalizerName };

/** A registered normalizer. */
export interface NormalizerSpec extends VersionedScorer {
  /** Registry name. */
  readonly name: NormalizerName;
  /** The reference implementation it reproduces, in words. */
  readonly reference: string;
  /** Text → normalized text (one line in, one line out). */
  readonly normalize: (text: string) => string;
}

/** Registry of all normalizers, keyed by name. */
export const normalizers: Readonly<Record<NormalizerName, NormalizerSpec>> = {
  'whisper-en': {
    name: 'whisper-en',
    reference: 'openai/whisper whisper/normalizers/english.py EnglishTextNormalizer',
    // english.py and english.json are unchanged from v20240930 to v20250625 (the latest release).
    version: 'whisper-en@v20250625',
    upstream: [
      { repo: 'openai/whisper', ref: 'v20250625', path: 'whisper/normalizers/english.py', symbol: 'EnglishTextNormalizer' },
      { repo: 'openai/whisper', ref: 'v20250625', path: 'whisper/normalizers/english.json' },
    ],
    normalize: whisperEnglishNormalize,
  },
  'whisper-basic': {
    name: 'whisper-basic',
    reference: 'openai/whisper whisper/normalizers/basic.py BasicTextNormalizer()',
    version: 'whisper-basic@v20250625',
    upstream: [{ repo: 'openai/whisper', ref: 'v20250625', path: 'whisper/normalizers/basic.py', symbol: 'BasicTextNormalizer' }],
    normalize: (s) => basicTextNormalize(s),
  },
  'open-asr-en': {
    name: 'open-asr-en',
    reference: 'huggingface/open_asr_leaderboard normalizer/normalizer.py EnglishTextNormalizer',
    // The revision that maps flyer → flier and imports only the spelling map (later ones add name
    // and compound maps, not applied here); the repository has no release tags.
    version: 'open-asr-en@b61c3d3',
    upstream: [
      {
        repo: 'huggingface/open_asr_leaderboard',
        ref: 'b61c3d3700b217e973937b561308b0c223e95b42',
        path: 'normalizer/normalizer.py',
        symbol: 'EnglishTextNormalizer',
      },
      {
        repo: 'huggingface/open_asr_leaderboard',
        ref: 'b61c3d3700b217e973937b561308b0c223e95b42',
        path: 'normalizer/english_abbreviations.py',
        symbol: 'english_spelling_normalizer',
      },
    ],
    normalize: openAsrEnglishNormalize,
  },
  'wenet-zh': {
    name: 'wenet-zh',
    reference: 'wenet-e2e/wenet tools/compute-wer.py --char=1 (characterize + normalize)',
    version: 'wenet-zh@v3.1.0',
    upstream: [{ repo: 'wenet-e2e/wenet', ref: 'v3.1.0', path: 'tools/compute-wer.py', symbol: 'characterize, normalize' }],
    normalize: (s) => wenetTokenize(s).join(' '),
  },
  none: { name: 'none', reference: 'identity', version: 'none@1', upstream: [], normalize: (s) => s },
};

/** Looks a normalizer up by name; throws a RangeError naming the valid choices otherwise. */
export function getNormalizer(name: string): NormalizerSpec {
  if (!isNormalizerName(name)) {
    throw new RangeError(`unknown normalizer "${name}"; expected one of ${NORMALIZER_NAMES.join(', ')}`);
  }
  return normalizers[name];
}
