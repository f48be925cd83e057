// Small readers of ScoreItem fields that several tasks' scorers share.
import type { ScoreItem } from '../score-task.js';

/** A sample's references as a list (one string becomes a one-element list; none, an empty one). */
export function referenceList(ref: ScoreItem['reference']): readonly string[] {
  if (ref === undefined) return [];
  return typeof ref === 'string' ? [ref] : ref;
}

/** Ids of the items without a prediction (scored as empty output), in input order. */
export function missingIds(items: readonly ScoreItem[]): string[] {
  return items.filter((i) => i.prediction === null).map((i) => i.id);
}
