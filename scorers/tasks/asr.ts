import { z } from 'zod';
import { NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import { scoreTask } from '../score-task.js';
import { scoreOne } from './score-one.js';
import { formatMetric, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// jiwer's measures (word and char units; its alignment is rapidfuzz's editops).
const JIWER: VersionedScorer = {
  version: 'jiwer@v4.0.0',
  upstream: [{ repo: 'jitsi/jiwer', ref: 'v4.0.0', path: 'jiwer/measures.py', symbol: 'process_words, process_characters' }],
};
// The mixed unit counts and aligns as WeNet's compute-wer.py does.
const WENET: VersionedScorer = {
  version: 'wenet-compute-wer@v3.1.0',
  upstream: [{ repo: 'wenet-e2e/wenet', ref: 'v3.1.0', path: 'tools/compute-wer.py', symbol: 'Calculator' }],
};

/** Speech recognition: jiwer WER/MER/WIL/WIP pooled over the corpus, or CER for char and mixed units. */
export const asrTask = {
  name: 'asr',
  description: 'speech recognition: transcript vs reference, WER (word unit) or CER (char, mixed), pooled as jiwer',
  sample: {
    target: 'reference',
    requiredMedia: 'audio',
    media: ['audio'],
    fields: z.object({
      /** The speech, relative to the manifest. */
      audio: z.string().min(1),
      /** The reference transcript. */
      reference: z.union([z.string(), z.array(z.string()).min(1)]),
    }),
  },
  options: z.object({
    normalizer: z.enum(NORMALIZER_NAMES).optional(),
    unit: z.enum(['word', 'char', 'mixed']).optional(),
    keepAlignments: z.boolean().optional(),
  }),
  defaultPrompt: 'Transcribe the speech in this audio. Answer with the transcript only.',
  scoreCommand: true,
  scoreSample: (item, options) => scoreOne('asr', item, options),
  aggregate: (items, options = {}) => scoreTask(items, { ...options, task: 'asr' }),
  metrics: [
    { name: 'wer', description: 'word error rate (word unit)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'cer', description: 'character error rate (char and mixed units)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'mer', description: 'match error rate (word unit)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'wil', description: 'word information lost (word unit)', direction: 'lower', pairedTest: 'permutation' },
    { name: 'wip', description: 'word information preserved (word unit)', direction: 'higher', pairedTest: 'permutation' },
  ],
  primaryMetric: (options = {}) => (options.unit && options.unit !== 'word' ? 'cer' : 'wer'),
  pairedItem: (s) => {
    const errs = (s.substitutions ?? 0) + (s.deletions ?? 0) + (s.insertions ?? 0);
    const words = (s.hits ?? 0) + (s.substitutions ?? 0) + (s.deletions ?? 0);
    return {
      numerator: errs,
      denominator: words,
      score: words === 0 ? errs : errs / words,
      errors: `S=${s.substitutions ?? 0} D=${s.deletions ?? 0} I=${s.insertions ?? 0}`,
    };
  },
  defaultNormalizer: (options = {}) => (options.unit === 'mixed' ? 'wenet-zh' : 'none'),
  metricSource: (options = {}) => (options.unit === 'mixed' ? WENET : JIWER),
  metricSources: [JIWER, WENET],
  // Local ASR specialists (whisper.cpp-like, CTC, pocketsphinx) expect 16 kHz mono.
  specialistAudioRateHz: 16_000,
  alignment: true,
  singleReference: true,
  // The demo's speech is English and Mandarin: WeNet's mixed tokenisation
  // (CJK characters as tokens, English words whole, upper-cased, punctuation
  // dropped) scores both languages with one consistent unit.
  demoScorer: { unit: 'mixed', normalizer: 'wenet-zh' },
  headline: (m, options = {}) => {
    const unit = options.unit ?? 'word';
    return unit === 'mixed' ? `mixed-unit error rate ${formatMetric(m.cer)}` : unit === 'char' ? `cer ${formatMetric(m.cer)}` : `wer ${formatMetric(m.wer)}`;
  },
} as const satisfies TaskSpec<'asr'>;
