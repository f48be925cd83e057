import { basicTextNormalize } from '../../scorers/normalizers/basic-text-normalizer.js';
import { whisperEnglishNormalize } from '../../scorers/normalizers/english-text-normalizer.js';
import { wenetTokenize } from '../../scorers/normalizers/wenet-tokenize.js';
import { processTokens, processWords } from '../../scorers/wer/word-error-rate.js';
import type { BoundSample } from './sample-binding.js';

/** Per-utterance scores as stored in `utterances.scores`. */
export type UtteranceScores = Record<string, number>;

function isChinese(lang: string | null): boolean {
  return lang !== null && /^(zh|cmn|yue)/i.test(lang);
}

/**
 * Scores a live transcript against a bound ASR sample, the same way batch
 * scoring does for one sample:
 * - zh: WeNet compute-wer.py --char=1 tokens (CER, WeNet tie-breaking);
 * - en (or unset): Whisper's EnglishTextNormalizer, then jiwer WER;
 * - other languages: Whisper's BasicTextNormalizer, then jiwer WER.
 * With several acceptable references the best (lowest) rate wins.
 * Non-ASR samples are not scored live (undefined).
 */
export function scoreUtterance(sample: BoundSample, hypothesis: string): UtteranceScores | undefined {
  if (sample.task !== 'asr' || sample.reference === null) return undefined;
  const refs = typeof sample.reference === 'string' ? [sample.reference] : [...sample.reference];
  if (refs.length === 0) return undefined;
  let best: UtteranceScores | undefined;
  for (const ref of refs) {
    const s = scoreOne(sample.lang, ref, hypothesis);
    const key = isChinese(sample.lang) ? 'cer' : 'wer';
    if (!best || s[key]! < best[key]!) best = s;
  }
  return best;
}

function scoreOne(lang: string | null, reference: string, hypothesis: string): UtteranceScores {
  if (isChinese(lang)) {
    const out = processTokens([wenetTokenize(reference)], [wenetTokenize(hypothesis)], { tieBreak: 'wenet' });
    return { cer: out.wer, hits: out.hits, substitutions: out.substitutions, deletions: out.deletions, insertions: out.insertions };
  }
  const normalize = !lang || /^en/i.test(lang) ? whisperEnglishNormalize : (t: string) => basicTextNormalize(t);
  const out = processWords(normalize(reference), normalize(hypothesis));
  return { wer: out.wer, hits: out.hits, substitutions: out.substitutions, deletions: out.deletions, insertions: out.insertions };
}
