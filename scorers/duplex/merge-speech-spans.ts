import type { SpeechSpan } from './timed-word.js';

/** Upstream get_timing.py `USER_MERGE_GAP`: the user's pauses up to this long stay inside one span. */
export const USER_MERGE_GAP_SECONDS = 0.6;
/** Upstream `MODEL_MERGE_GAP`: the model's gaps under this are one span (v1.5 stop latency). */
export const MODEL_MERGE_GAP_SECONDS = 0.5;

/**
 * Sorts VAD speech spans and joins each to the previous one when the silence
 * between them is at most `gapSeconds` (upstream `_merge`).
 */
export function mergeSpeechSpans(spans: readonly SpeechSpan[], gapSeconds: number): SpeechSpan[] {
  const sorted = [...spans].sort((a, b) => a.startSecond - b.startSecond || a.endSecond - b.endSecond);
  const merged: SpeechSpan[] = [];
  for (const s of sorted) {
    const prev = merged[merged.length - 1];
    if (prev && s.startSecond - prev.endSecond <= gapSeconds) {
      merged[merged.length - 1] = { startSecond: prev.startSecond, endSecond: Math.max(prev.endSecond, s.endSecond) };
    } else merged.push(s);
  }
  return merged;
}
