import { percentiles, type Percentiles } from '../../scorers/stats/percentile.js';
import type { LiveLatency, SpokenReplyMeasures } from './live-event.js';
import type { LiveMetrics } from './live-metrics.js';

/** Per-session latency summary (the native protocol's `session.summary`). */
export interface LiveSessionSummary {
  /** Finished utterances. */
  readonly utterances: number;
  /** Failed utterances. */
  readonly failed: number;
  /** Audio seconds received. */
  readonly audioSeconds: number;
  /** Percentiles of end of speech → first token, ms (linear interpolation, numpy's default). */
  readonly firstTokenMs: Percentiles | null;
  /** Percentiles of end of speech → final, ms (linear interpolation, numpy's default). */
  readonly finalMs: Percentiles | null;
}

/** Counts one session's audio and utterance outcomes, into the summary and the Prometheus instruments. */
export class SessionStats {
  readonly #metrics: LiveMetrics;
  readonly #firstTokenMs: number[] = [];
  readonly #finalMs: number[] = [];
  #failed = 0;
  #audioSeconds = 0;

  constructor(metrics: LiveMetrics) {
    this.#metrics = metrics;
  }

  /** Seconds of audio received so far. */
  get audioSeconds(): number {
    return this.#audioSeconds;
  }

  /** Audio received. */
  addAudio(seconds: number): void {
    this.#audioSeconds += seconds;
    this.#metrics.audioSecondsReceived.inc(seconds);
  }

  /** An utterance ended; only completed ones have latencies. */
  addUtterance(status: 'completed' | 'cancelled' | 'failed', latency: LiveLatency): void {
    this.#metrics.utterances.inc({ status });
    if (status === 'completed') {
      this.#firstTokenMs.push(latency.firstTokenMs!);
      this.#finalMs.push(latency.finalMs!);
      this.#metrics.firstTokenSeconds.observe(latency.firstTokenMs! / 1000);
      this.#metrics.finalSeconds.observe(latency.finalMs! / 1000);
    } else if (status === 'failed') this.#failed++;
  }

  /** A spoken reply was heard: its time to first audio and real-time factor, into the instruments. */
  addSpeech(m: SpokenReplyMeasures): void {
    this.#metrics.firstAudioSeconds.observe(m.firstAudioMs / 1000);
    if (m.realTimeFactor !== null) this.#metrics.speechRealTimeFactor.observe(m.realTimeFactor);
  }

  /** Latency percentiles and counts so far. */
  summary(): LiveSessionSummary {
    return {
      utterances: this.#firstTokenMs.length + this.#failed,
      failed: this.#failed,
      audioSeconds: this.#audioSeconds,
      firstTokenMs: percentiles(this.#firstTokenMs),
      finalMs: percentiles(this.#finalMs),
    };
  }
}
