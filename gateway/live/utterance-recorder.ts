import type { EventOutbox } from './event-outbox.js';
import { spokenReplyScores } from './hear-live-reply.js';
import { doneEvents, latencyOf, type LiveResponse, type ResponseOutcome } from './live-response.js';
import { scoreBoundSample } from './sample-binding.js';
import type { SessionStats } from './session-stats.js';
import type { SessionWriter } from './session-writer.js';

/** What a recorder writes to and reports through; the session owns them all. */
export interface UtteranceRecorderOptions {
  readonly writer: SessionWriter;
  readonly stats: SessionStats;
  readonly outbox: EventOutbox;
  /** Whether the client may see the scores of a sample of an open (false) or sealed (true) dataset. */
  readonly canSeeScores: (sealed: boolean) => boolean;
}

/**
 * The bookkeeping at both ends of a response, kept apart from the session's
 * orchestration: the utterance row when the response is created and, when it
 * ends, its latency (into the stats), its scores against the bound sample, its
 * closing events and the row's outcome.
 */
export class UtteranceRecorder {
  readonly #opts: UtteranceRecorderOptions;
  /** Transcripts so far of the responses scored against a stream-level sample. */
  #cumulative: string[] = [];

  constructor(opts: UtteranceRecorderOptions) {
    this.#opts = opts;
  }

  /** A new stream-level sample was bound (or unbound): its transcript starts empty. */
  restartCumulative(): void {
    this.#cumulative = [];
  }

  /** A response was created: records the session's audio so far and the utterance's place in the stream. */
  started(r: LiveResponse, sampleRateHz: number): void {
    const { writer, stats } = this.#opts;
    writer.updateSession({ audioSeconds: stats.audioSeconds });
    writer.startUtterance({
      seq: r.seq,
      sampleId: r.sample?.sampleId ?? null,
      audioSeconds: r.turn.audioSamples / sampleRateHz,
      speechStartS: r.turn.speechStartS,
      speechEndS: r.turn.speechEndS,
    });
  }

  /** A response ended: times and scores it, emits its closing events and records the outcome. */
  finished(r: LiveResponse, o: ResponseOutcome, sampleRateHz: number): void {
    const { writer, stats, outbox, canSeeScores } = this.#opts;
    const latency = latencyOf(o, r.turn.endOfSpeechMs, r.turn.audioSamples / sampleRateHz, performance.now());
    stats.addUtterance(o.status, latency);
    if (o.speech) stats.addSpeech(o.speech);
    // Scores the client may see travel in the final event, so they are computed first;
    // otherwise the client gets its answer before the scoring work.
    const visible = canSeeScores(r.sample?.sealed === true);
    let scores = visible ? this.#score(r, o) : undefined;
    for (const ev of doneEvents(r, o, latency, scores)) outbox.emit(ev);
    if (!visible) scores = this.#score(r, o);
    // A spoken reply's measures are stored beside its scores, under the names batch runs give their per-sample rows.
    const stored = o.speech ? { ...scores, ...spokenReplyScores(o.speech) } : scores;
    writer.finishUtterance(r.seq, {
      status: o.status === 'completed' ? 'ok' : o.status,
      transcript: o.status === 'failed' && !o.text ? null : o.text,
      error: o.error ? { code: o.failureCode ?? o.error.code, message: o.error.message } : null,
      latencyFirstTokenMs: latency.firstTokenMs,
      latencyFinalMs: latency.finalMs,
      realTimeFactor: latency.realTimeFactor,
      scores: stored ?? null,
      speech: o.speech && o.spokenMediaPath ? { mediaPath: o.spokenMediaPath, selfTranscript: o.speech.selfTranscript } : null,
    });
  }

  #score(r: LiveResponse, o: ResponseOutcome): Record<string, number> | undefined {
    if (o.status !== 'completed' || !r.sample) return undefined;
    if (!r.cumulative) return scoreBoundSample(r.sample, o.text);
    this.#cumulative.push(o.text);
    return scoreBoundSample(r.sample, this.#cumulative.join(' '));
  }
}
