import type { BreakdownKey } from './compare-runs.js';

/**
 * The breakdown slices a sample belongs to. One function, so that a
 * comparison's slices and the dataset-defined slice sizes the sealed policy
 * checks them against (load-run-outcomes.ts) can never label a sample apart.
 */
export function sliceLabels(sample: { readonly tags: readonly string[]; readonly lang: string | null }, by: BreakdownKey, task: string): readonly string[] {
  // A tag named twice on one sample puts it in the slice once.
  if (by === 'tag') return sample.tags.length ? [...new Set(sample.tags)] : ['(untagged)'];
  if (by === 'lang') return [sample.lang ?? '(none)'];
  return [task];
}
