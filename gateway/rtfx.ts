/**
 * RTFx, the one definition every view uses (`run`, `runs show`, `compare`,
 * the HTML report and the web page), so a run has one speed wherever it is
 * shown. It is the Open ASR Leaderboard's inverse real-time factor:
 *
 *   RTFx = Σ audio seconds ÷ Σ processing seconds
 *
 * over the run's answered (`ok`) samples that have both an audio duration and
 * a processing time. Processing time is the successful model call
 * (`latency_request_ms`): not the queueing before it, not retries and backoff,
 * not media preparation or scoring, which the per-sample (`latency_total_ms`)
 * figure includes and which depend on the concurrency chosen. Failed samples
 * and cache hits (no call, no processing time) are left out of both sums, so
 * audio is only ever divided by the time spent on that same audio.
 */

/** What RTFx reads from one prediction (a stored row or a compare outcome). */
export interface RtfxSample {
  /** Prediction status; only `ok` counts. */
  readonly status: string;
  /** Seconds of audio sent; null or absent without audio. */
  readonly audioSeconds?: number | null;
  /** Duration of the successful model call, ms; null for a cache hit or a failure. */
  readonly latencyRequestMs?: number | null;
}

/** Σ audio seconds ÷ Σ processing seconds over answered samples with both; null when there are none. */
export function rtfx(samples: Iterable<RtfxSample>): number | null {
  let audioS = 0;
  let processingS = 0;
  for (const s of samples) {
    if (s.status !== 'ok') continue;
    const a = s.audioSeconds;
    const ms = s.latencyRequestMs;
    if (a == null || ms == null || !Number.isFinite(a) || !Number.isFinite(ms) || a < 0 || ms <= 0) continue;
    audioS += a;
    processingS += ms / 1000;
  }
  return processingS > 0 ? audioS / processingS : null;
}

/** How every text view prints an RTFx: two decimals, `-` when there is none. */
export function formatRtfx(value: number | null | undefined): string {
  return value == null || !Number.isFinite(value) ? '-' : value.toFixed(2);
}
