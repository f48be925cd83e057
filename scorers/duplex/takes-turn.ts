import type { TimedWord } from './timed-word.js';

// Full-Duplex-Bench's turn-taking rule (full-duplex-bench-version.ts), the same
// in pause handling, smooth turn-taking and user interruption: the model took
// the turn when it said anything that lasts at least 1 s from its first word's
// onset to its last word's end, or that has more than 3 words. A lone "yeah"
// or "mm-hm" is not a turn.

/** Upstream `turn_duration_threshold`, seconds. */
export const TURN_MIN_DURATION_SECONDS = 1;
/** Upstream `turn_num_words_threshold`: more words than this is a turn however short. */
export const TURN_MAX_SHORT_WORDS = 3;

/**
 * Seconds from the first word's onset to the last word's end. Where the last
 * word has no end, its onset stands in (as upstream's pause-handling script
 * does; its smooth turn-taking script would fail on such a word).
 */
export function spokenDurationSeconds(words: readonly TimedWord[]): number {
  const first = words[0];
  const last = words[words.length - 1];
  if (!first || !last) return 0;
  return (last.endSecond ?? last.startSecond) - first.startSecond;
}

/** 1 when the model took the turn, 0 when it did not (the per-sample take-over value; TOR is its mean). */
export function takesTurn(words: readonly TimedWord[]): 0 | 1 {
  if (words.length === 0) return 0;
  if (spokenDurationSeconds(words) >= TURN_MIN_DURATION_SECONDS) return 1;
  return words.length > TURN_MAX_SHORT_WORDS ? 1 : 0;
}

/**
 * Response latency: onset of the model's first word minus the end of the
 * user's turn, clipped at 0 (a model that starts early has latency 0). Null
 * when the model did not take the turn: such samples have no latency and are
 * left out of its mean, as upstream does.
 */
export function turnLatencySeconds(words: readonly TimedWord[], userTurnEndSecond: number): number | null {
  if (takesTurn(words) === 0) return null;
  return Math.max(0, words[0]!.startSecond - userTurnEndSecond);
}
