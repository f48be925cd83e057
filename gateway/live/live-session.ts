import { EvalgateError, isEvalgateError } from '../errors.js';
import type { ModelInputPart } from '../models/spec/model-v1.js';
import type { AudioFormat } from './audio-format.js';
import { Conversation } from './conversation.js';
import { createResponder } from './create-responder.js';
import { EventOutbox } from './event-outbox.js';
import { hearOutcome } from './hear-live-reply.js';
import type { LiveEvent, TurnDetection } from './live-event.js';
import { newLiveId } from './live-ids.js';
import type { LiveSessionOptions } from './live-session-options.js';
import { audioDeltaEvent, failureOf, type LiveResponse, type ResponseOutcome } from './live-response.js';
import type { Responder } from './responder.js';
import { ResponseQueue } from './response-queue.js';
import { findBoundSample, type BoundSample, type SampleRef } from './sample-binding.js';
import { SessionStats, type LiveSessionSummary } from './session-stats.js';
import { TurnDetector, type DetectedTurn } from './turn-detector.js';
import { UtteranceRecorder } from './utterance-recorder.js';

export type { LiveSessionOptions } from './live-session-options.js';
export type { LiveSessionSummary } from './session-stats.js';

/**
 * One live session, independent of the wire protocol. An orchestrator: the
 * TurnDetector buffers audio and cuts turns, the Conversation assembles them,
 * the ResponseQueue runs their responses one at a time (bounded) through the
 * Responder (batch or realtime model), and the UtteranceRecorder times,
 * scores and persists each outcome. Protocol layers translate client
 * messages into calls here and LiveEvents out.
 */
export class LiveSession {
  readonly id: string;
  readonly opts: LiveSessionOptions;
  readonly #outbox: EventOutbox;
  readonly #turns: TurnDetector;
  readonly #responder: Responder;
  readonly #stats: SessionStats;
  readonly #recorder: UtteranceRecorder;
  readonly #conversation = new Conversation();
  readonly #responses = new ResponseQueue<LiveResponse>((r) => this.#run(r));
  #sessionSample: BoundSample | undefined;
  #seq = 0;
  #closed = false;

  constructor(opts: LiveSessionOptions) {
    this.id = opts.id;
    this.opts = opts;
    this.#outbox = new EventOutbox(opts.limits.replayEvents, opts.metrics);
    this.#stats = new SessionStats(opts.metrics);
    this.#recorder = new UtteranceRecorder({ writer: opts.writer, stats: this.#stats, outbox: this.#outbox, canSeeScores: opts.canSeeScores });
    this.#turns = new TurnDetector({
      maxBufferedAudioS: opts.limits.maxBufferedAudioS,
      maxVadQueue: opts.limits.maxVadQueue,
      createVad: opts.createVad,
      ...(opts.onBackpressure ? { onBackpressure: opts.onBackpressure } : {}),
      onSpeechStarted: (itemId, audioStartMs) => {
        this.#outbox.emit({ type: 'speech_started', itemId, audioStartMs });
        // Barge-in, only when the client asked for it (interrupt_response: true).
        const active = this.#responses.active;
        if (this.#turns.turnDetection?.interruptResponse && active) this.#cancelResponse(active, 'turn_detected');
      },
      onSpeechStopped: (itemId, audioEndMs) => this.#outbox.emit({ type: 'speech_stopped', itemId, audioEndMs }),
      onTurnEnded: (turn) => {
        this.#commitTurn(turn);
        if (this.#turns.turnDetection?.createResponse !== false) this.createResponse({});
      },
      onError: (err) => this.reportError(err),
    });
    this.#responder = createResponder(opts.model, {
      upstream: opts.upstream,
      modelId: opts.modelConfig.id,
      isClosed: () => this.#closed,
      reportError: (err) => this.reportError(err),
      hearsSpeech: opts.hearing !== undefined,
    });
    this.#responder.setInputFormat(this.#turns.format);
  }

  /** Negotiated input audio format. */
  get format(): AudioFormat {
    return this.#turns.format;
  }

  /** Current turn detection. */
  get turnDetection(): TurnDetection {
    return this.#turns.turnDetection;
  }

  /** Session instructions (the model's system prompt, with any system items). */
  get instructions(): string | undefined {
    return this.#conversation.instructions;
  }

  /** Seconds of audio received so far. */
  get audioSeconds(): number {
    return this.#stats.audioSeconds;
  }

  /** Whether a response is queued or running. */
  get busy(): boolean {
    return this.#responses.busy;
  }

  /** Latency percentiles and counts so far. */
  summary(): LiveSessionSummary {
    return this.#stats.summary();
  }

  /** Connects a client; events held while detached are replayed first. Returns how many were dropped. */
  attach(sink: (ev: LiveEvent) => void): number {
    return this.#outbox.attach(sink);
  }

  /** Disconnects the client; events are kept (bounded, oldest dropped) for a resume. */
  detach(): void {
    this.#outbox.detach();
  }

  /** Reports an error to the client as an event (the session goes on). */
  reportError(err: unknown, clientEventId?: string): void {
    const e = isEvalgateError(err) ? err : new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: (err as Error).message });
    this.#outbox.emit({ type: 'error', code: e.code, message: e.message, param: e.params.param as string | undefined, clientEventId });
  }

  /** Applies a format/turn-detection change. Changing the rate mid-stream requires an empty buffer. */
  async configure(change: { format?: AudioFormat; turnDetection?: TurnDetection; sample?: SampleRef | null; instructions?: string | null }): Promise<void> {
    const rate = this.#turns.format.sampleRateHz;
    try {
      await this.#turns.configure({
        ...(change.format ? { format: change.format } : {}),
        ...(change.turnDetection !== undefined ? { turnDetection: change.turnDetection } : {}),
      });
    } finally {
      // Also when opening the VAD failed: the new rate is in force by then.
      if (this.#turns.format.sampleRateHz !== rate) this.#responder.setInputFormat(this.#turns.format);
    }
    // Last, so that an update refused above (a rate change mid-buffer) changes nothing.
    if (change.instructions !== undefined) this.#conversation.instructions = change.instructions ?? undefined;
    if (change.sample !== undefined) {
      this.#sessionSample = change.sample ? await findBoundSample(this.opts.db, change.sample) : undefined;
      this.#recorder.restartCumulative();
      this.opts.writer.updateSession({ datasetId: this.#sessionSample?.datasetId ?? null });
    }
  }

  /** input_audio_buffer.append: buffers (bounded), forwards to the model, runs VAD. */
  appendAudio(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.#turns.append(pcm);
    // No database write per frame: audio_seconds is written with each utterance, on disconnect and on close.
    this.#stats.addAudio(pcm.length / this.#turns.format.sampleRateHz);
    this.#responder.appendAudio(pcm);
    this.#turns.detect(pcm);
  }

  #commitTurn(turn: DetectedTurn): void {
    const previousItemId = this.#conversation.addAudioTurn(turn);
    this.#outbox.emit({ type: 'committed', itemId: turn.itemId, previousItemId });
  }

  /** input_audio_buffer.commit: the buffered audio becomes a user item. */
  commit(): void {
    this.#commitTurn(this.#turns.commit());
  }

  /** input_audio_buffer.clear */
  clear(): void {
    this.#turns.clear();
    this.#responder.clearAudio();
    this.#outbox.emit({ type: 'cleared' });
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
    if (opts.itemId !== undefined && this.#conversation.has(opts.itemId)) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `item id ${opts.itemId} is already in the conversation`, param: 'item.id' });
    }
    if (opts.audio && this.opts.model.kind === 'realtime') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `model ${this.opts.modelConfig.id} is a realtime audio model; send its audio with input_audio_buffer.append`,
        param: 'item.content',
      });
    }
    const itemId = opts.itemId ?? newLiveId('item');
    const previousItemId = opts.role === 'system' ? this.#conversation.addSystemItem(itemId, parts) : this.#conversation.addUserItem(itemId, parts, opts.audio);
    return { itemId, previousItemId };
  }

  /** response.create: queues a response over the pending turn (bounded; policy: fail the new one). */
  createResponse(opts: { sample?: BoundSample; instructions?: string }): string {
    const pending = this.#conversation.pending;
    if (pending.itemIds.length === 0)
      throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'response.create with no new input; commit audio or create an item first' });
    if (this.opts.model.kind === 'realtime' && pending.parts.length > 0) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `model ${this.opts.modelConfig.id} is a realtime audio model; text and image items are not supported`,
      });
    }
    const turn = this.#conversation.takeTurn();
    if (turn.endOfSpeechMs === 0) turn.endOfSpeechMs = performance.now();
    const outputItemId = newLiveId('item');
    const r: LiveResponse = {
      seq: ++this.#seq,
      responseId: newLiveId('resp'),
      itemId: turn.itemIds.at(-1)!,
      outputItemId,
      previousItemId: this.#conversation.add(outputItemId),
      turn,
      sample: opts.sample ?? this.#sessionSample,
      cumulative: !opts.sample && this.#sessionSample !== undefined,
      ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
      abort: new AbortController(),
    };
    this.#recorder.started(r, this.#turns.format.sampleRateHz);
    this.#outbox.emit({ type: 'response_created', responseId: r.responseId, itemId: r.itemId, outputItemId, previousItemId: r.previousItemId, seq: r.seq });
    if (this.#responses.waiting >= this.opts.limits.maxPendingUtterances) {
      const detail = `more than ${this.opts.limits.maxPendingUtterances} utterances waiting for the model; this one was dropped`;
      this.#finish(r, { status: 'failed', text: '', firstMs: null, error: new EvalgateError('EVALGATE_ERR_BUFFER_FULL', { detail }) });
    } else this.#responses.push(r);
    return r.responseId;
  }

  /** response.cancel: cancels the running response (or the given one). */
  cancel(responseId?: string): void {
    const target = this.#responses.find(responseId);
    if (!target) throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'response.cancel with no response in progress' });
    this.#cancelResponse(target, 'client_cancelled');
  }

  #cancelResponse(target: LiveResponse, reason: 'client_cancelled' | 'turn_detected'): void {
    target.cancelReason ??= reason;
    // A running realtime utterance also cancels upstream (see RealtimeResponder).
    target.abort.abort(
      new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: reason === 'turn_detected' ? 'cancelled: new speech started' : 'cancelled by the client' }),
    );
  }

  async #run(r: LiveResponse): Promise<void> {
    if (r.abort.signal.aborted) return this.#finish(r, { status: 'cancelled', text: '', firstMs: null });
    let firstMs: number | null = null;
    let text = '';
    const onDelta = (delta: string): void => {
      if (!delta) return;
      firstMs ??= performance.now();
      text += delta;
      this.#outbox.emit({ type: 'delta', responseId: r.responseId, itemId: r.itemId, outputItemId: r.outputItemId, seq: r.seq, delta });
    };
    const { modelTimeoutMs } = this.opts.limits;
    const signal = AbortSignal.any([r.abort.signal, AbortSignal.timeout(modelTimeoutMs)]);
    try {
      const turn = {
        audio: r.turn.audio,
        audioSamples: r.turn.audioSamples,
        sampleRateHz: this.#turns.format.sampleRateHz,
        parts: r.turn.parts,
        system: this.#conversation.systemPrompt(r.instructions),
      };
      // A spoken reply is scored from its audio, as the session's ASR expert hears it (live-hearing.ts); its chunks are timed from here.
      const at = { sessionId: this.id, outputItemId: r.outputItemId, modelId: this.opts.modelConfig.id, offsetMs: performance.now() - r.turn.endOfSpeechMs };
      const answer = await this.#responder.respond(turn, signal, onDelta, (pcm, rate) => this.#outbox.emit(audioDeltaEvent(r, pcm, rate)));
      const done = { status: 'completed', text: answer.text || text, firstMs, ...(answer.incomplete ? { incomplete: answer.incomplete } : {}) } as const;
      this.#finish(r, this.opts.hearing ? await hearOutcome(done, answer.audio, this.opts.hearing, { ...at, signal }) : done);
    } catch (err) {
      if (r.abort.signal.aborted) return this.#finish(r, { status: 'cancelled', text, firstMs });
      this.#finish(r, { status: 'failed', text, firstMs, error: failureOf(err, signal.aborted, this.opts.modelConfig.id, modelTimeoutMs) });
    }
  }

  #finish(r: LiveResponse, o: ResponseOutcome): void {
    this.#recorder.finished(r, o, this.#turns.format.sampleRateHz);
  }

  /** Waits (bounded) for queued and running responses. Returns whether they all finished. */
  async drain(timeoutMs: number): Promise<boolean> {
    await this.#turns.settled();
    if (!this.busy) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.#responses.idle().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    return done;
  }

  /** Ends the session: cancels what is left, closes the model connection, records the final state, flushes writes. */
  async close(status: 'closed' | 'failed' | 'disconnected'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#responses.abortAll(new EvalgateError('EVALGATE_ERR_SHUTTING_DOWN'));
    await this.#responses.idle();
    await this.#responder.close();
    this.opts.writer.updateSession({ status, audioSeconds: this.#stats.audioSeconds, ended: true });
    await this.opts.writer.flush();
  }
}
