import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { percentiles, type Percentiles } from '../../scorers/stats/percentile.js';
import { StreamingResampler } from '../../experts/audio-features/streaming-resampler.js';
import type { SileroVadSegmenter, VadEvent } from '../../experts/vad/silero-vad-segmenter.js';
import type { ModelConfig } from '../config/config-schema.js';
import { EvalgateError, isEvalgateError, type ErrorCode } from '../errors.js';
import type { ModelInputPart } from '../models/spec/model-v1.js';
import { isBenignRealtimeCode, type RealtimeConnection } from '../models/spec/realtime-model-v1.js';
import type { Database } from '../store/database.js';
import { AudioBuffer } from './audio-buffer.js';
import { concatPcm16, defaultAudioFormat, float32ToPcm16, pcm16ToFloat32, pcm16Wav, type AudioFormat } from './audio-format.js';
import type { LiveEvent, LiveLatency, TurnDetection } from './live-event.js';
import type { LiveLimits } from './live-limits.js';
import type { LiveMetrics } from './live-metrics.js';
import type { LiveModel } from './live-model.js';
import { runBatchResponse } from './run-batch-response.js';
import { findBoundSample, scoreBoundSample, type BoundSample, type SampleRef } from './sample-binding.js';
import type { SessionWriter } from './session-writer.js';

/** Everything a session needs, handed in by the registry. */
export interface LiveSessionOptions {
  /** stream_sessions.id */
  readonly id: string;
  /** Wire protocol, stored and used for metrics. */
  readonly protocol: 'realtime' | 'native';
  /** The configured model. */
  readonly modelConfig: ModelConfig;
  /** The model behind the session. */
  readonly model: LiveModel;
  /** Open upstream connection when the model is realtime. */
  readonly upstream?: RealtimeConnection;
  /** Who opened it (resume must come from the same key). */
  readonly apiKeyId: string | null;
  /** Whether this key may see the per-utterance scores of a sample of an open (false) or sealed (true) dataset. */
  readonly canSeeScores: (sealed: boolean) => boolean;
  /** Database (sample lookups). */
  readonly db: Kysely<Database>;
  /** Ordered persistence. */
  readonly writer: SessionWriter;
  /** Prometheus instruments. */
  readonly metrics: LiveMetrics;
  /** Bounds. */
  readonly limits: LiveLimits;
  /** Opens a Silero segmenter (injected so sessions without server_vad never load ONNX). */
  readonly createVad: (opts: { threshold: number; minSilenceMs: number; speechPadMs: number }) => Promise<SileroVadSegmenter>;
  /** Called when reading from the client should pause (true) or resume (false). */
  readonly onBackpressure?: (paused: boolean) => void;
}

/** A user turn being assembled before a response is asked for. */
interface PendingTurn {
  itemIds: string[];
  audio: Int16Array[];
  audioSamples: number;
  speechStartS: number | null;
  speechEndS: number | null;
  endOfSpeechMs: number;
  parts: ModelInputPart[];
}

/** A response queued or running. */
interface Response {
  readonly seq: number;
  readonly responseId: string;
  readonly itemId: string;
  /** The assistant item it fills, and the conversation's item before it. */
  readonly outputItemId: string;
  readonly previousItemId: string | null;
  /** Set by a cancel: who asked. */
  cancelReason?: 'client_cancelled' | 'turn_detected';
  readonly turn: PendingTurn;
  readonly sample: BoundSample | undefined;
  readonly cumulative: boolean;
  /** This response's instructions, in place of the session's (`response.instructions`). */
  readonly instructions?: string;
  readonly abort: AbortController;
}

/** The utterance waiting for the realtime upstream's answer. */
interface UpstreamWaiter {
  /** The upstream response it is bound to, once known. */
  responseId?: string;
  /** Settled (answered, failed or given up on). */
  done?: boolean;
  onDelta(d: string): void;
  /** Answers, or fails; `abandon` also cancels and drops the upstream response. */
  settle(outcome: UpstreamAnswer | Error, abandon?: boolean): void;
}

/** A realtime upstream's answer; `incomplete` is its reason when the model cut it short. */
interface UpstreamAnswer {
  readonly text: string;
  readonly incomplete?: string;
}

/** A commit sent upstream, waiting for the response.created that claims it. */
interface UpstreamCommit {
  /** `event_id` of its response.create. */
  readonly eventId: string;
  /** The utterance; undefined once it was given up on. */
  waiter: UpstreamWaiter | undefined;
}

/** Per-session latency summary. */
export interface LiveSessionSummary {
  /** Finished utterances. */
  readonly utterances: number;
  /** Failed utterances. */
  readonly failed: number;
  /** Audio seconds received. */
  readonly audioSeconds: number;
  /** Percentiles of end of speech → first token, ms (linear interpolation, numpy's default). */
  readonly firstTokenMs: Percentiles | null;
  /** Percentiles of end of speech → final, ms. */
  readonly finalMs: Percentiles | null;
}

const emptyTurn = (): PendingTurn => ({
  itemIds: [],
  audio: [],
  audioSamples: 0,
  speechStartS: null,
  speechEndS: null,
  endOfSpeechMs: 0,
  parts: [],
});

/**
 * One live session, independent of the wire protocol: buffers audio, detects
 * turns, queues responses toward the model (one at a time, bounded), measures
 * latency, scores against a bound sample, and persists as it goes. Protocol
 * layers translate client messages into calls here and LiveEvents out.
 */
export class LiveSession {
  readonly id: string;
  readonly opts: LiveSessionOptions;
  #format: AudioFormat = defaultAudioFormat;
  #turnDetection: TurnDetection = null;
  #vad: SileroVadSegmenter | undefined;
  #vadBase = 0;
  #vadPending = 0;
  /** Stream position the VAD has consumed up to. */
  #vadDone = 0;
  #vadChain: Promise<void> = Promise.resolve();
  #speechStart: number | null = null;
  readonly #buffer = new AudioBuffer();
  #streamSamples = 0;
  #audioSeconds = 0;
  #turn: PendingTurn = emptyTurn();
  #sessionSample: BoundSample | undefined;
  /** The conversation's last item (user or assistant), for previous_item_id. */
  #lastItemId: string | null = null;
  /** Item ids in use: client-chosen ids must not repeat one. */
  readonly #itemIds = new Set<string>();
  /** Session instructions plus system items: the model's system prompt. */
  #instructions: string | undefined;
  readonly #systemTexts: string[] = [];
  #cumulative: string[] = [];
  #seq = 0;
  readonly #queue: Response[] = [];
  #active: Response | undefined;
  #working = false;
  #idle: Promise<void> = Promise.resolve();
  #idleResolve: (() => void) | undefined;
  #sink: ((ev: LiveEvent) => void) | undefined;
  readonly #replay: LiveEvent[] = [];
  #replayDropped = 0;
  #resampler: StreamingResampler | undefined;
  #upstreamWaiter: UpstreamWaiter | undefined;
  /** Commits sent upstream whose response has not been created yet, oldest first. */
  readonly #upstreamCommits: UpstreamCommit[] = [];
  /** Upstream response id → its utterance's waiter, or null for responses whose events are dropped. */
  readonly #upstreamResponses = new Map<string, UpstreamWaiter | null>();
  #upstreamCommitSeq = 0;
  readonly #firstTokenMs: number[] = [];
  readonly #finalMs: number[] = [];
  #failed = 0;
  #closed = false;

  constructor(opts: LiveSessionOptions) {
    this.id = opts.id;
    this.opts = opts;
    if (opts.upstream) void this.#pumpUpstream(opts.upstream);
  }

  /** Negotiated input audio format. */
  get format(): AudioFormat {
    return this.#format;
  }

  /** Current turn detection. */
  get turnDetection(): TurnDetection {
    return this.#turnDetection;
  }

  /** Session instructions (the model's system prompt, with any system items). */
  get instructions(): string | undefined {
    return this.#instructions;
  }

  /** Seconds of audio received so far. */
  get audioSeconds(): number {
    return this.#audioSeconds;
  }

  /** Whether a response is queued or running. */
  get busy(): boolean {
    return this.#working || this.#queue.length > 0;
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

  /** Connects a client; events held while detached are replayed first. Returns how many were dropped. */
  attach(sink: (ev: LiveEvent) => void): number {
    const dropped = this.#replayDropped;
    for (const ev of this.#replay.splice(0)) sink(ev);
    this.#replayDropped = 0;
    this.#sink = sink;
    return dropped;
  }

  /** Disconnects the client; events are kept (bounded, oldest dropped) for a resume. */
  detach(): void {
    this.#sink = undefined;
  }

  #emit(ev: LiveEvent): void {
    if (ev.type === 'error') this.opts.metrics.errors.inc({ code: ev.code });
    if (this.#sink) return this.#sink(ev);
    this.#replay.push(ev);
    if (this.#replay.length > this.opts.limits.replayEvents) {
      this.#replay.shift();
      this.#replayDropped++;
    }
  }

  /** Reports an error to the client as an event (the session goes on). */
  reportError(err: unknown, clientEventId?: string): void {
    const e = isEvalgateError(err) ? err : new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: (err as Error).message });
    this.#emit({ type: 'error', code: e.code, message: e.message, param: e.params.param as string | undefined, clientEventId });
  }

  /** Applies a format/turn-detection change. Changing the rate mid-stream requires an empty buffer. */
  async configure(change: { format?: AudioFormat; turnDetection?: TurnDetection; sample?: SampleRef | null; instructions?: string | null }): Promise<void> {
    if (change.format && change.format.sampleRateHz !== this.#format.sampleRateHz) {
      if (this.#buffer.length > 0 || this.#speechStart !== null) {
        throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'the sample rate can only change while the input buffer is empty' });
      }
      this.#format = change.format;
      this.#resampler = undefined;
      this.#vad?.reset();
      this.#vadBase = this.#streamSamples;
      this.#vadDone = this.#streamSamples;
    }
    if (change.turnDetection !== undefined) {
      this.#turnDetection = change.turnDetection;
      if (change.turnDetection) {
        this.#vad = await this.opts.createVad({
          threshold: change.turnDetection.threshold,
          minSilenceMs: change.turnDetection.silenceDurationMs,
          speechPadMs: change.turnDetection.prefixPaddingMs,
        });
        this.#vadBase = this.#streamSamples;
        this.#vadDone = this.#streamSamples;
        this.#speechStart = null;
      } else {
        this.#vad = undefined;
        this.#speechStart = null;
      }
    }
    // Last, so that an update refused above (a rate change mid-buffer) changes nothing.
    if (change.instructions !== undefined) this.#instructions = change.instructions ?? undefined;
    if (change.sample !== undefined) {
      this.#sessionSample = change.sample ? await findBoundSample(this.opts.db, change.sample) : undefined;
      this.#cumulative = [];
      this.opts.writer.updateSession({ datasetId: this.#sessionSample?.datasetId ?? null });
    }
  }

  /** input_audio_buffer.append: buffers (bounded), forwards upstream, runs VAD. */
  appendAudio(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    const rate = this.#format.sampleRateHz;
    const maxSamples = this.opts.limits.maxBufferedAudioS * rate;
    if (this.#buffer.length + pcm.length > maxSamples) {
      throw new EvalgateError('EVALGATE_ERR_BUFFER_FULL', {
        detail: `more than ${this.opts.limits.maxBufferedAudioS} s of uncommitted audio; commit or clear the buffer (this chunk was dropped)`,
      });
    }
    this.#buffer.append(pcm);
    this.#streamSamples += pcm.length;
    const seconds = pcm.length / rate;
    this.#audioSeconds += seconds;
    this.opts.metrics.audioSecondsReceived.inc(seconds);
    // No database write per frame: audio_seconds is written with each utterance, on disconnect and on close.
    this.#forwardUpstream(pcm);
    if (this.#vad) this.#pushVad(this.#vad, pcm);
  }

  #forwardUpstream(pcm: Int16Array): void {
    const up = this.opts.upstream;
    if (!up || this.opts.model.kind !== 'realtime') return;
    const upRate = this.opts.model.model.inputSampleRateHz;
    if (upRate === this.#format.sampleRateHz) return up.appendAudio(pcm);
    this.#resampler ??= new StreamingResampler(this.#format.sampleRateHz, upRate);
    up.appendAudio(float32ToPcm16(this.#resampler.push(pcm16ToFloat32(pcm))));
  }

  #pushVad(vad: SileroVadSegmenter, pcm: Int16Array): void {
    this.#vadPending++;
    if (this.#vadPending === this.opts.limits.maxVadQueue) this.opts.onBackpressure?.(true);
    const samples = pcm16ToFloat32(pcm);
    const rate = this.#format.sampleRateHz;
    const base = this.#vadBase;
    const endPos = this.#streamSamples;
    this.#vadChain = vad
      .push(samples, rate)
      .then((events) => {
        if (vad !== this.#vad) return;
        for (const ev of events) this.#onVad(ev, base);
        this.#vadDone = endPos;
      })
      .catch((err: unknown) => this.reportError(err))
      .finally(() => {
        this.#vadPending--;
        if (this.#vadPending === this.opts.limits.maxVadQueue - 1) this.opts.onBackpressure?.(false);
        // Outside speech only a short lookback (behind what the VAD has seen) is needed for the next onset.
        if (this.#speechStart === null && vad === this.#vad) this.#buffer.dropBefore(this.#vadDone - 2 * rate);
      });
  }

  #onVad(ev: VadEvent, base: number): void {
    const rate = this.#format.sampleRateHz;
    const pos = base + ev.sampleIndex;
    if (ev.type === 'speech_start') {
      this.#speechStart = Math.max(pos, this.#buffer.startSample);
      const itemId = this.#nextItemId();
      this.#emit({ type: 'speech_started', itemId, audioStartMs: Math.round((this.#speechStart / rate) * 1000) });
      // Barge-in, only when the client asked for it (interrupt_response: true).
      if (this.#turnDetection?.interruptResponse && this.#active) this.#cancelResponse(this.#active, 'turn_detected');
      return;
    }
    const start = this.#speechStart ?? this.#buffer.startSample;
    const end = Math.min(pos, this.#buffer.endSample);
    this.#speechStart = null;
    const itemId = this.#pendingItemId ?? this.#nextItemId();
    this.#pendingItemId = undefined;
    this.#emit({ type: 'speech_stopped', itemId, audioEndMs: Math.round((end / rate) * 1000) });
    const audio = this.#buffer.slice(start, end);
    this.#buffer.dropBefore(end);
    if (audio.length === 0) return;
    this.#commitAudio(audio, itemId, start / rate, end / rate);
    if (this.#turnDetection?.createResponse !== false) this.createResponse({});
  }

  #pendingItemId: string | undefined;

  #nextItemId(): string {
    this.#pendingItemId = `item_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    return this.#pendingItemId;
  }

  /** Appends an item to the conversation order; returns the item before it. */
  #addToConversation(itemId: string): string | null {
    const previous = this.#lastItemId;
    this.#lastItemId = itemId;
    this.#itemIds.add(itemId);
    return previous;
  }

  #commitAudio(audio: Int16Array, itemId: string, startS: number, endS: number): void {
    const previousItemId = this.#addToConversation(itemId);
    this.#turn.itemIds.push(itemId);
    this.#turn.audio.push(audio);
    this.#turn.audioSamples += audio.length;
    this.#turn.speechStartS ??= startS;
    this.#turn.speechEndS = endS;
    this.#turn.endOfSpeechMs = performance.now();
    this.#emit({ type: 'committed', itemId, previousItemId });
  }

  /** input_audio_buffer.commit: the buffered audio becomes a user item. */
  commit(): void {
    if (this.#buffer.length === 0) {
      throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'input_audio_buffer.commit with an empty buffer; append audio first' });
    }
    const rate = this.#format.sampleRateHz;
    const start = this.#buffer.startSample;
    const audio = this.#buffer.takeAll();
    if (this.#vad) {
      this.#vad.reset();
      this.#vadBase = this.#streamSamples;
      this.#vadDone = this.#streamSamples;
      this.#speechStart = null;
    }
    const itemId = this.#pendingItemId ?? this.#nextItemId();
    this.#pendingItemId = undefined;
    this.#commitAudio(audio, itemId, start / rate, (start + audio.length) / rate);
  }

  /** input_audio_buffer.clear */
  clear(): void {
    this.#buffer.clear();
    this.#speechStart = null;
    if (this.#vad) {
      this.#vad.reset();
      this.#vadBase = this.#streamSamples;
      this.#vadDone = this.#streamSamples;
    }
    if (this.opts.model.kind === 'realtime') this.opts.upstream?.clear();
    this.#emit({ type: 'cleared' });
  }

  /**
   * conversation.item.create: a user item with text / images / a video
   * reference / PCM16 audio at the session rate, or a system item whose text
   * joins the instructions. Returns the item id (the client's, when it chose
   * one) and the conversation's item before it.
   */
  addParts(
    parts: readonly ModelInputPart[],
    opts: { itemId?: string; role?: 'user' | 'system'; audio?: Int16Array } = {},
  ): { itemId: string; previousItemId: string | null } {
    if (opts.itemId !== undefined && this.#itemIds.has(opts.itemId)) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `item id ${opts.itemId} is already in the conversation`, param: 'item.id' });
    }
    if (opts.audio && this.opts.model.kind === 'realtime') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `model ${this.opts.modelConfig.id} is a realtime audio model; send its audio with input_audio_buffer.append`,
        param: 'item.content',
      });
    }
    const itemId = opts.itemId ?? `item_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    if (opts.role === 'system') {
      for (const p of parts) if (p.type === 'text') this.#systemTexts.push(p.text);
      return { itemId, previousItemId: this.#addToConversation(itemId) };
    }
    this.#turn.parts.push(...parts);
    if (opts.audio && opts.audio.length > 0) {
      this.#turn.audio.push(opts.audio);
      this.#turn.audioSamples += opts.audio.length;
      this.#turn.endOfSpeechMs = performance.now();
    }
    this.#turn.itemIds.push(itemId);
    return { itemId, previousItemId: this.#addToConversation(itemId) };
  }

  /** response.create: queues a response over the pending turn (bounded; policy: fail the new one). */
  createResponse(opts: { sample?: BoundSample; instructions?: string }): string {
    const turn = this.#turn;
    if (turn.itemIds.length === 0) {
      throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', {
        detail: 'response.create with no new input; commit audio or create an item first',
      });
    }
    if (this.opts.model.kind === 'realtime' && turn.parts.length > 0) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `model ${this.opts.modelConfig.id} is a realtime audio model; text and image items are not supported` });
    }
    this.#turn = emptyTurn();
    if (turn.endOfSpeechMs === 0) turn.endOfSpeechMs = performance.now();
    const seq = ++this.#seq;
    const responseId = `resp_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const outputItemId = `item_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const previousItemId = this.#addToConversation(outputItemId);
    const r: Response = {
      seq,
      responseId,
      itemId: turn.itemIds.at(-1)!,
      outputItemId,
      previousItemId,
      turn,
      sample: opts.sample ?? this.#sessionSample,
      cumulative: !opts.sample && this.#sessionSample !== undefined,
      ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
      abort: new AbortController(),
    };
    const rate = this.#format.sampleRateHz;
    this.opts.writer.updateSession({ audioSeconds: this.#audioSeconds });
    this.opts.writer.startUtterance({
      seq,
      sampleId: r.sample?.sampleId ?? null,
      audioSeconds: turn.audioSamples / rate,
      speechStartS: turn.speechStartS,
      speechEndS: turn.speechEndS,
    });
    this.#emit({ type: 'response_created', responseId, itemId: r.itemId, outputItemId, previousItemId, seq });
    if (this.#queue.length >= this.opts.limits.maxPendingUtterances) {
      this.#finish(r, { status: 'failed', text: '', firstMs: null, error: new EvalgateError('EVALGATE_ERR_BUFFER_FULL', { detail: `more than ${this.opts.limits.maxPendingUtterances} utterances waiting for the model; this one was dropped` }) });
      return responseId;
    }
    this.#queue.push(r);
    void this.#work();
    return responseId;
  }

  /** response.cancel: cancels the running response (or the given one). */
  cancel(responseId?: string): void {
    const target = responseId ? [this.#active, ...this.#queue].find((r) => r?.responseId === responseId) : (this.#active ?? this.#queue[0]);
    if (!target) throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'response.cancel with no response in progress' });
    this.#cancelResponse(target, 'client_cancelled');
  }

  #cancelResponse(target: Response, reason: 'client_cancelled' | 'turn_detected'): void {
    target.cancelReason ??= reason;
    // A running realtime utterance also cancels upstream (see #runUpstream).
    target.abort.abort(new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: reason === 'turn_detected' ? 'cancelled: new speech started' : 'cancelled by the client' }));
  }

  async #work(): Promise<void> {
    if (this.#working) return;
    this.#working = true;
    this.#idle = new Promise((r) => (this.#idleResolve = r));
    try {
      let r: Response | undefined;
      while ((r = this.#queue.shift())) {
        this.#active = r;
        await this.#run(r);
        this.#active = undefined;
      }
    } finally {
      this.#working = false;
      this.#idleResolve?.();
    }
  }

  async #run(r: Response): Promise<void> {
    if (r.abort.signal.aborted) return this.#finish(r, { status: 'cancelled', text: '', firstMs: null });
    let firstMs: number | null = null;
    let text = '';
    const onDelta = (delta: string): void => {
      if (!delta) return;
      firstMs ??= performance.now();
      text += delta;
      this.#emit({ type: 'delta', responseId: r.responseId, itemId: r.itemId, outputItemId: r.outputItemId, seq: r.seq, delta });
    };
    const signal = AbortSignal.any([r.abort.signal, AbortSignal.timeout(this.opts.limits.modelTimeoutMs)]);
    try {
      const final =
        this.opts.model.kind === 'batch'
          ? await runBatchResponse(this.opts.model.model, this.#request(r), signal, onDelta)
          : await this.#runUpstream(signal, onDelta);
      const answer = typeof final === 'string' ? { text: final } : final;
      this.#finish(r, { status: 'completed', text: answer.text || text, firstMs, ...(answer.incomplete ? { incomplete: answer.incomplete } : {}) });
    } catch (err) {
      if (r.abort.signal.aborted) return this.#finish(r, { status: 'cancelled', text, firstMs });
      const e =
        isEvalgateError(err)
          ? err
          : signal.aborted
            ? new EvalgateError('EVALGATE_ERR_MODEL_TIMEOUT', { model: this.opts.modelConfig.id, timeoutMs: this.opts.limits.modelTimeoutMs })
            : new EvalgateError('EVALGATE_ERR_MODEL_CALL_FAILED', { model: this.opts.modelConfig.id, detail: (err as Error).message });
      this.#finish(r, { status: 'failed', text, firstMs, error: e });
    }
  }

  #request(r: Response): { parts: ModelInputPart[]; system?: string } {
    const parts: ModelInputPart[] = [];
    if (r.turn.audioSamples > 0) {
      const rate = this.#format.sampleRateHz;
      const chunks = r.turn.audio;
      const total = r.turn.audioSamples;
      let samples: Float32Array | undefined;
      parts.push({
        type: 'audio',
        data: pcm16Wav(chunks, total, rate),
        mimeType: 'audio/wav',
        // Decoded only for adapters that read them (local specialists); HTTP adapters send the WAV.
        get samples(): Float32Array {
          return (samples ??= pcm16ToFloat32(concatPcm16(chunks, total)));
        },
        sampleRateHz: rate,
        durationS: total / rate,
      });
    }
    parts.push(...r.turn.parts);
    const system = [r.instructions ?? this.#instructions, ...this.#systemTexts].filter((t): t is string => Boolean(t)).join('\n\n');
    return { parts, ...(system ? { system } : {}) };
  }

  /**
   * One utterance through the realtime upstream: commit + response.create
   * there, then the deltas and `response.done` of *that* response. The
   * upstream answers requests in order, so commits wait in a queue until a
   * `response.created` claims the oldest; the response.create carries an
   * event id, so an error the upstream reports for it removes that commit
   * instead of shifting every later one. An utterance given up on (cancel,
   * timeout, error) cancels its upstream response and leaves its queue entry
   * or response id marked, so the late events are dropped rather than
   * answering the next utterance.
   */
  #runUpstream(signal: AbortSignal, onDelta: (d: string) => void): Promise<UpstreamAnswer> {
    const up = this.opts.upstream;
    if (!up) return Promise.reject(new Error('no upstream connection'));
    const waiter: UpstreamWaiter = { onDelta, settle: () => undefined };
    const commit: UpstreamCommit = { eventId: `evalgate_response_${++this.#upstreamCommitSeq}`, waiter };
    return new Promise<UpstreamAnswer>((resolve, reject) => {
      const onAbort = (): void => {
        waiter.settle(signal.reason instanceof Error ? signal.reason : new Error('aborted'), true);
      };
      waiter.settle = (outcome, abandon = false) => {
        if (waiter.done) return;
        waiter.done = true;
        signal.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
        if (abandon) this.#abandonUpstream(waiter, up);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#upstreamWaiter = waiter;
      this.#upstreamCommits.push(commit);
      try {
        up.commit({ responseEventId: commit.eventId });
      } catch (err) {
        // Nothing reached the upstream: no response will come for this commit.
        this.#upstreamCommits.splice(this.#upstreamCommits.indexOf(commit), 1);
        waiter.settle(err as Error);
      }
    }).finally(() => {
      if (this.#upstreamWaiter === waiter) this.#upstreamWaiter = undefined;
    });
  }

  /** Stops the upstream response of a waiter given up on and marks its remains to be dropped. Never throws. */
  #abandonUpstream(waiter: UpstreamWaiter, up: RealtimeConnection): void {
    if (waiter.responseId !== undefined) this.#upstreamResponses.set(waiter.responseId, null);
    else {
      const pending = this.#upstreamCommits.find((c) => c.waiter === waiter);
      if (pending) pending.waiter = undefined;
    }
    cancelUpstream(up);
  }

  /** The waiter (or null: dropped) for upstream response `rid`; the first sight of an id claims the oldest commit. */
  #responseTarget(rid: string, up: RealtimeConnection): UpstreamWaiter | null {
    const known = this.#upstreamResponses.get(rid);
    if (known !== undefined) return known;
    const commit = this.#upstreamCommits.shift();
    const waiter = commit?.waiter && !commit.waiter.done ? commit.waiter : null;
    if (waiter) waiter.responseId = rid;
    this.#upstreamResponses.set(rid, waiter);
    // An abandoned commit's response (or one nobody asked for): stop it.
    if (!waiter) cancelUpstream(up);
    return waiter;
  }

  async #pumpUpstream(up: RealtimeConnection): Promise<void> {
    const failed = (detail: string): EvalgateError => new EvalgateError('EVALGATE_ERR_MODEL_CALL_FAILED', { model: this.opts.modelConfig.id, detail });
    // Servers that send no response ids: events belong to the utterance in progress.
    const target = (rid: string | undefined): UpstreamWaiter | null | undefined => (rid === undefined ? this.#upstreamWaiter : this.#responseTarget(rid, up));
    try {
      for await (const ev of up.events()) {
        switch (ev.type) {
          case 'response-created':
            target(ev.responseId);
            break;
          case 'transcript-delta':
          case 'text-delta':
            target(ev.responseId)?.onDelta(ev.delta);
            break;
          case 'response-done': {
            const w = target(ev.responseId);
            if (ev.responseId !== undefined) this.#upstreamResponses.delete(ev.responseId);
            if (ev.status === 'cancelled') w?.settle(failed(`the upstream cancelled the response${ev.statusReason ? ` (${ev.statusReason})` : ''}`));
            else w?.settle({ text: ev.text, ...(ev.status === 'incomplete' ? { incomplete: ev.statusReason ?? 'unknown' } : {}) });
            break;
          }
          case 'error': {
            if (isBenignRealtimeCode(ev.code)) break;
            const refused = ev.clientEventId ? this.#upstreamCommits.findIndex((c) => c.eventId === ev.clientEventId) : -1;
            if (refused >= 0) {
              // The upstream refused that response.create: no response will come for it.
              const [commit] = this.#upstreamCommits.splice(refused, 1);
              commit?.waiter?.settle(failed(ev.message));
            } else if (ev.responseId !== undefined) {
              target(ev.responseId)?.settle(failed(ev.message)); // a failed response; its response.done follows
            } else if (this.#upstreamWaiter) {
              // Not tied to a request: fail the utterance in progress, and drop what its response still sends.
              this.#upstreamWaiter.settle(failed(ev.message), true);
            } else this.reportError(failed(ev.message));
            break;
          }
          default:
            break;
        }
      }
      if (!this.#closed) throw new Error('the upstream connection closed');
    } catch (err) {
      if (this.#closed) return;
      this.#upstreamWaiter?.settle(failed((err as Error).message));
    }
  }

  #finish(r: Response, o: { status: 'completed' | 'cancelled' | 'failed'; text: string; firstMs: number | null; error?: EvalgateError; incomplete?: string }): void {
    const now = performance.now();
    const t0 = r.turn.endOfSpeechMs;
    const audioS = r.turn.audioSamples / this.#format.sampleRateHz;
    const finalMs = o.status === 'completed' ? now - t0 : null;
    const firstMs = o.status === 'completed' ? (o.firstMs ?? now) - t0 : null;
    const latency: LiveLatency = {
      firstTokenMs: firstMs === null ? null : round2(firstMs),
      finalMs: finalMs === null ? null : round2(finalMs),
      audioSeconds: round2(audioS),
      realTimeFactor: finalMs !== null && audioS > 0 ? round4(finalMs / 1000 / audioS) : null,
    };
    const m = this.opts.metrics;
    m.utterances.inc({ status: o.status });
    if (o.status === 'completed') {
      this.#firstTokenMs.push(latency.firstTokenMs!);
      this.#finalMs.push(latency.finalMs!);
      m.firstTokenSeconds.observe(latency.firstTokenMs! / 1000);
      m.finalSeconds.observe(latency.finalMs! / 1000);
    } else if (o.status === 'failed') this.#failed++;
    // Scores the client may see travel in the final event, so they are computed first;
    // otherwise the client gets its answer before the scoring work.
    const visible = this.opts.canSeeScores(r.sample?.sealed === true);
    let scores = visible ? this.#score(r, o) : undefined;
    this.#emitDone(r, o, latency, scores);
    if (!visible) scores = this.#score(r, o);
    this.opts.writer.finishUtterance(r.seq, {
      status: o.status === 'completed' ? 'ok' : o.status,
      transcript: o.status === 'failed' && !o.text ? null : o.text,
      error: o.error ? { code: o.error.code, message: o.error.message } : null,
      latencyFirstTokenMs: latency.firstTokenMs,
      latencyFinalMs: latency.finalMs,
      realTimeFactor: latency.realTimeFactor,
      scores: scores ?? null,
    });
  }

  #score(r: Response, o: { status: string; text: string }): Record<string, number> | undefined {
    if (o.status !== 'completed' || !r.sample) return undefined;
    let hyp = o.text;
    if (r.cumulative) {
      this.#cumulative.push(o.text);
      hyp = this.#cumulative.join(' ');
    }
    return scoreBoundSample(r.sample, hyp);
  }

  #emitDone(
    r: Response,
    o: { status: 'completed' | 'cancelled' | 'failed'; text: string; error?: EvalgateError; incomplete?: string },
    latency: LiveLatency,
    scores: Record<string, number> | undefined,
  ): void {
    if (o.error) this.#emit({ type: 'error', code: o.error.code as ErrorCode, message: o.error.message, responseId: r.responseId });
    this.#emit({
      type: 'response_done',
      responseId: r.responseId,
      itemId: r.itemId,
      outputItemId: r.outputItemId,
      previousItemId: r.previousItemId,
      ...(o.status === 'cancelled' ? { cancelReason: r.cancelReason ?? 'client_cancelled' } : {}),
      ...(o.incomplete ? { incompleteReason: o.incomplete } : {}),
      seq: r.seq,
      status: o.status,
      text: o.text,
      latency,
      ...(scores ? { scores } : {}),
      ...(o.error ? { error: { code: o.error.code, message: o.error.message } } : {}),
    });
  }

  /** Waits (bounded) for queued and running responses. Returns whether they all finished. */
  async drain(timeoutMs: number): Promise<boolean> {
    await this.#vadChain;
    if (!this.busy) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.#idle.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return done;
  }

  /** Ends the session: cancels what is left, closes upstream, records the final state, flushes writes. */
  async close(status: 'closed' | 'failed' | 'disconnected'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of [this.#active, ...this.#queue]) r?.abort.abort(new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN'));
    await this.#idle;
    await this.opts.upstream?.close().catch(() => undefined);
    this.opts.writer.updateSession({ status, audioSeconds: this.#audioSeconds, ended: true });
    await this.opts.writer.flush();
  }
}

/** Asks the upstream to stop its response; a connection already gone has nothing left to cancel. */
function cancelUpstream(up: RealtimeConnection): void {
  try {
    up.cancel();
  } catch {
    // closed: nothing to cancel
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
