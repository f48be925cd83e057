import type { SpeechSpan, TimedWord } from './timed-word.js';

// Full-Duplex-Bench's backchannel rule (eval_backchannel.py,
// full-duplex-bench-version.ts). The model's VAD speech spans are read in
// order while the user speaks. A span longer than 3 s means the model took the
// turn, and reading stops there. A shorter span counts as a backchannel event
// (even when it also looks like a turn, as upstream counts it), and sets the
// take-over flag to whether it looks like a turn: 1 s or longer, or more than
// 2 overlapping words. Upstream overwrites the flag at each span, so the last
// short span read decides it; that is kept, so the figures match upstream's.

/** Upstream `time_threshold`: a model span longer than this is a turn, not a backchannel. */
export const BACKCHANNEL_MAX_SECONDS = 3;

/** What one recording's backchannel analysis finds. */
export interface BackchannelResult {
  /** Short model spans counted as backchannels, before any span over 3 s. */
  readonly events: readonly SpeechSpan[];
  /** 1 when the model took the turn (upstream TOR), else 0. */
  readonly tookTurn: 0 | 1;
  /** Events per second of recording (upstream's frequency). */
  readonly eventsPerSecond: number;
  /** The same per minute. */
  readonly eventsPerMinute: number;
}

/** Words overlapping a span, by upstream's three overlap cases; words without an onset are skipped. */
function wordsIn(span: SpeechSpan, words: readonly TimedWord[]): number {
  let n = 0;
  for (const w of words) {
    const start = w.startSecond;
    if (w.endSecond === null && start < span.endSecond) continue;
    const end = w.endSecond ?? start;
    if (
      (start >= span.startSecond && end <= span.endSecond) ||
      (start <= span.endSecond && end > span.endSecond) ||
      (start <= span.startSecond && end > span.startSecond)
    ) {
      n++;
    }
  }
  return n;
}

/**
 * Backchannel events and take-over of one recording, from the model's VAD
 * spans (seconds, in order), its time-aligned words, and the recording's length.
 */
export function backchannelEvents(spans: readonly SpeechSpan[], words: readonly TimedWord[], recordingSeconds: number): BackchannelResult {
  if (!(recordingSeconds > 0)) throw new RangeError(`recordingSeconds must be positive, got ${recordingSeconds}`);
  const events: SpeechSpan[] = [];
  let tookTurn: 0 | 1 = 0;
  for (const span of spans) {
    const duration = span.endSecond - span.startSecond;
    if (duration > BACKCHANNEL_MAX_SECONDS) {
      tookTurn = 1;
      break;
    }
    tookTurn = duration >= 1 || wordsIn(span, words) > 2 ? 1 : 0;
    events.push(span);
  }
  const eventsPerSecond = events.length / recordingSeconds;
  return { events, tookTurn, eventsPerSecond, eventsPerMinute: eventsPerSecond * 60 };
}
