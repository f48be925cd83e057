import { z } from 'zod';
import { NORMALIZER_NAMES } from '../normalizers/normalizer-registry.js';
import { scoreTask } from '../score-task.js';
import type { TaskSpec } from './task-spec.js';

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
  scoreSample: (item, options = {}) => scoreTask([item], { ...options, task: 'asr' }).samples[0]!,
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
    return { numerator: errs, denominator: words, score: words === 0 ? errs : errs / words, errors: `S=${s.substitutions ?? 0} D=${s.deletions ?? 0} I=${s.insertions ?? 0}` };
  },
} as const satisfies TaskSpec<'asr'>;
