import type { SpeechSpan } from './timed-word.js';

// Full-Duplex-Bench v1.5's timing (get_timing.py, full-duplex-bench-version.ts):
// from merged VAD spans of the user's and the model's audio, the overlaps
// (both speaking: from the barge-in onset until the model stops, the stop
// latency) and the response gaps (the user's end to the model's next onset).
// Times are rounded to milliseconds as upstream writes them.

const ms = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Intervals where user and model speak at once, found by a two-pointer sweep
 * over both sorted span lists; of intervals ending at the same millisecond
 * the shortest is kept; sorted by end (upstream `overlaps`).
 */
export function overlapIntervals(user: readonly SpeechSpan[], model: readonly SpeechSpan[]): SpeechSpan[] {
  const best = new Map<number, SpeechSpan>();
  let i = 0;
  let j = 0;
  while (i < user.length && j < model.length) {
    const u = user[i]!;
    const m = model[j]!;
    const s = Math.max(u.startSecond, m.startSecond);
    const e = Math.min(u.endSecond, m.endSecond);
    if (e > s) {
      const key = Math.round(e * 1000);
      const kept = best.get(key);
      if (!kept || e - s < kept.endSecond - kept.startSecond) best.set(key, { startSecond: s, endSecond: e });
    }
    if (u.endSecond < m.endSecond) i++;
    else j++;
  }
  return [...best.values()].sort((a, b) => a.endSecond - b.endSecond).map((v) => ({ startSecond: ms(v.startSecond), endSecond: ms(v.endSecond) }));
}

/**
 * For each user span, the gap to the first model onset after its end; when
 * several user spans lead to the same model onset the shortest gap (latest
 * user end) is kept; sorted by the model onset (upstream `response_gaps`).
 */
export function responseGaps(user: readonly SpeechSpan[], model: readonly SpeechSpan[]): SpeechSpan[] {
  const byOnset = new Map<number, SpeechSpan>();
  for (const u of user) {
    const next = model.find((m) => m.startSecond > u.endSecond)?.startSecond;
    if (next === undefined) continue;
    const key = Math.round(next * 1000);
    const candidate = { startSecond: ms(u.endSecond), endSecond: ms(next) };
    const kept = byOnset.get(key);
    if (!kept || candidate.startSecond > kept.startSecond) byOnset.set(key, candidate);
  }
  return [...byOnset.values()].sort((a, b) => a.endSecond - b.endSecond);
}
