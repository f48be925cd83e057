import { StreamingResampler } from '../../experts/audio-features/streaming-resampler.js';
import { EvalgateError } from '../errors.js';
import { isBenignRealtimeCode, type RealtimeConnection } from '../models/spec/realtime-model-v1.js';
import { SpokenAudioCollector } from '../models/spoken-audio-collector.js';
import { defaultAudioFormat, float32ToPcm16, pcm16ToFloat32, type AudioFormat } from './audio-format.js';
import type { OnReplyAudio, Responder, ResponderAnswer, ResponderTurn } from './responder.js';

/** The utterance waiting for the upstream's answer. */
interface UpstreamWaiter {
  /** The upstream response it is bound to, once known. */
  responseId?: string;
  /** Settled (answered, failed or given up on). */
  done?: boolean;
  onDelta(d: string): void;
  /** The reply's audio so far (spoken sessions), timed from the commit. */
  readonly audio?: { readonly collector: SpokenAudioCollector; readonly committedMs: number; readonly onAudio?: OnReplyAudio };
  /** Answers, or fails; `abandon` also cancels and drops the upstream response. */
  settle(outcome: ResponderAnswer | Error, abandon?: boolean): void;
}

/** A commit sent upstream, waiting for the response.created that claims it. */
interface UpstreamCommit {
  /** `event_id` of its response.create. */
  readonly eventId: string;
  /** The utterance; undefined once it was given up on. */
  waiter: UpstreamWaiter | undefined;
}

/** What a realtime responder needs from its session. */
export interface RealtimeResponderOptions {
  /** The open upstream connection (none: every response fails). */
  readonly upstream: RealtimeConnection | undefined;
  /** Configured model id, for errors. */
  readonly modelId: string;
  /** Rate the upstream expects; input at another rate is resampled. */
  readonly inputSampleRateHz: number;
  /** Whether the session is ending (the upstream closing is then no failure). */
  readonly isClosed: () => boolean;
  /** An upstream error tied to no utterance. */
  readonly reportError: (err: EvalgateError) => void;
  /** Rate of the upstream's PCM16 output audio, set when the session hears spoken replies (their audio is then collected). */
  readonly outputSampleRateHz?: number;
}

/**
 * A realtime model behind a live session: audio goes upstream as it arrives;
 * each turn is a commit + response.create there, answered by the deltas and
 * `response.done` of *that* response. The upstream answers requests in order,
 * so commits wait in a queue until a `response.created` claims the oldest;
 * the response.create carries an event id, so an error the upstream reports
 * for it removes that commit instead of shifting every later one. An
 * utterance given up on (cancel, timeout, error) cancels its upstream
 * response and leaves its queue entry or response id marked, so the late
 * events are dropped rather than answering the next utterance.
 */
export class RealtimeResponder implements Responder {
  readonly #opts: RealtimeResponderOptions;
  #format: AudioFormat = defaultAudioFormat;
  #resampler: StreamingResampler | undefined;
  #waiter: UpstreamWaiter | undefined;
  /** Commits sent upstream whose response has not been created yet, oldest first. */
  readonly #commits: UpstreamCommit[] = [];
  /** Upstream response id → its utterance's waiter, or null for responses whose events are dropped. */
  readonly #responses = new Map<string, UpstreamWaiter | null>();
  #commitSeq = 0;

  constructor(opts: RealtimeResponderOptions) {
    this.#opts = opts;
    if (opts.upstream) void this.#pump(opts.upstream);
  }

  setInputFormat(format: AudioFormat): void {
    // A new rate starts a new resampler: nothing of the old stream's filter state carries over.
    this.#format = format;
    this.#resampler = undefined;
  }

  appendAudio(pcm: Int16Array): void {
    const up = this.#opts.upstream;
    if (!up) return;
    const upRate = this.#opts.inputSampleRateHz;
    const rate = this.#format.sampleRateHz;
    if (upRate === rate) return up.appendAudio(pcm);
    this.#resampler ??= new StreamingResampler(rate, upRate);
    up.appendAudio(float32ToPcm16(this.#resampler.push(pcm16ToFloat32(pcm))));
  }

  clearAudio(): void {
    this.#opts.upstream?.clear();
  }

  respond(_turn: ResponderTurn, signal: AbortSignal, onDelta: (d: string) => void, onAudio?: OnReplyAudio): Promise<ResponderAnswer> {
    const up = this.#opts.upstream;
    if (!up) return Promise.reject(new Error('no upstream connection'));
    const rate = this.#opts.outputSampleRateHz;
    // Spoken replies are timed from the commit: the user's turn has ended there.
    const audio = rate
      ? { collector: new SpokenAudioCollector('audio/pcm', rate), committedMs: performance.now(), ...(onAudio ? { onAudio } : {}) }
      : undefined;
    const waiter: UpstreamWaiter = { onDelta, ...(audio ? { audio } : {}), settle: () => undefined };
    const commit: UpstreamCommit = { eventId: `evalgate_response_${++this.#commitSeq}`, waiter };
    return new Promise<ResponderAnswer>((resolve, reject) => {
      const onAbort = (): void => {
        waiter.settle(signal.reason instanceof Error ? signal.reason : new Error('aborted'), true);
      };
      waiter.settle = (outcome, abandon = false) => {
        if (waiter.done) return;
        waiter.done = true;
        signal.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
        if (abandon) this.#abandon(waiter, up);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiter = waiter;
      this.#commits.push(commit);
      try {
        up.commit({ responseEventId: commit.eventId });
      } catch (err) {
        // Nothing reached the upstream: no response will come for this commit.
        this.#commits.splice(this.#commits.indexOf(commit), 1);
        waiter.settle(err as Error);
      }
    }).finally(() => {
      if (this.#waiter === waiter) this.#waiter = undefined;
    });
  }

  async close(): Promise<void> {
    await this.#opts.upstream?.close().catch(() => undefined);
  }

  /** Stops the upstream response of a waiter given up on and marks its remains to be dropped. Never throws. */
  #abandon(waiter: UpstreamWaiter, up: RealtimeConnection): void {
    if (waiter.responseId !== undefined) this.#responses.set(waiter.responseId, null);
    else {
      const pending = this.#commits.find((c) => c.waiter === waiter);
      if (pending) pending.waiter = undefined;
    }
    cancelUpstream(up);
  }

  /** The waiter (or null: dropped) for upstream response `rid`; the first sight of an id claims the oldest commit. */
  #target(rid: string, up: RealtimeConnection): UpstreamWaiter | null {
    const known = this.#responses.get(rid);
    if (known !== undefined) return known;
    const commit = this.#commits.shift();
    const waiter = commit?.waiter && !commit.waiter.done ? commit.waiter : null;
    if (waiter) waiter.responseId = rid;
    this.#responses.set(rid, waiter);
    // An abandoned commit's response (or one nobody asked for): stop it.
    if (!waiter) cancelUpstream(up);
    return waiter;
  }

  async #pump(up: RealtimeConnection): Promise<void> {
    const failed = (detail: string): EvalgateError => new EvalgateError('EVALGATE_ERR_MODEL_CALL_FAILED', { model: this.#opts.modelId, detail });
    // Servers that send no response ids: events belong to the utterance in progress.
    const target = (rid: string | undefined): UpstreamWaiter | null | undefined => (rid === undefined ? this.#waiter : this.#target(rid, up));
    try {
      for await (const ev of up.events()) {
        switch (ev.type) {
          case 'response-created':
            target(ev.responseId);
            break;
          case 'transcript-delta':
          case 'text-delta': {
            const w = target(ev.responseId);
            w?.onDelta(ev.delta);
            w?.audio?.collector.addTranscript(ev.delta);
            break;
          }
          case 'audio-delta': {
            const a = target(ev.responseId)?.audio;
            if (!a) break;
            a.collector.add(ev.data, performance.now() - a.committedMs);
            a.onAudio?.(ev.data, this.#opts.outputSampleRateHz!);
            break;
          }
          case 'response-done': {
            const w = target(ev.responseId);
            if (ev.responseId !== undefined) this.#responses.delete(ev.responseId);
            if (ev.status === 'cancelled') w?.settle(failed(`the upstream cancelled the response${ev.statusReason ? ` (${ev.statusReason})` : ''}`));
            else if (w) {
              const said = w.audio ? spokenReply(w.audio.collector, ev.text) : undefined;
              w.settle({
                text: ev.text,
                ...(ev.status === 'incomplete' ? { incomplete: ev.statusReason ?? 'unknown' } : {}),
                ...(said ? { audio: said } : {}),
              });
            }
            break;
          }
          case 'error': {
            if (isBenignRealtimeCode(ev.code)) break;
            const refused = ev.clientEventId ? this.#commits.findIndex((c) => c.eventId === ev.clientEventId) : -1;
            if (refused >= 0) {
              // The upstream refused that response.create: no response will come for it.
              const [commit] = this.#commits.splice(refused, 1);
              commit?.waiter?.settle(failed(ev.message));
            } else if (ev.responseId !== undefined) {
              target(ev.responseId)?.settle(failed(ev.message)); // a failed response; its response.done follows
            } else if (this.#waiter) {
              // Not tied to a request: fail the utterance in progress, and drop what its response still sends.
              this.#waiter.settle(failed(ev.message), true);
            } else this.#opts.reportError(failed(ev.message));
            break;
          }
          default:
            break;
        }
      }
      if (!this.#opts.isClosed()) throw new Error('the upstream connection closed');
    } catch (err) {
      if (this.#opts.isClosed()) return;
      this.#waiter?.settle(failed((err as Error).message));
    }
  }
}

/** The collected reply; the model's own transcript is its final text when no transcript deltas came. */
function spokenReply(collector: SpokenAudioCollector, finalText: string): ResponderAnswer['audio'] {
  const said = collector.result();
  if (!said || said.selfTranscript !== undefined || !finalText) return said;
  return { ...said, selfTranscript: finalText };
}

/** Asks the upstream to stop its response; a connection already gone has nothing left to cancel. */
function cancelUpstream(up: RealtimeConnection): void {
  try {
    up.cancel();
  } catch {
    // closed: nothing to cancel
  }
}
