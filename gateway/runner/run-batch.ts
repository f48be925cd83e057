import type { Kysely } from 'kysely';
import type { ModelRequest, ModelResult, ModelV1 } from '../models/spec/model-v1.js';
import { finishedWithError, streamCutOff } from '../models/spec/finish-error.js';
import type { Database } from '../store/database.js';
import type { AdaptiveConcurrency } from './adaptive-concurrency.js';
import { resolve } from 'node:path';
import { buildRequest, scrubPaths, type BuildRequestOptions, type RunnerSample } from './build-request.js';
import type { DbOutageGuard } from './db-outage-guard.js';
import { claimSample, releaseSample } from '../store/run-claim-repo.js';
import { requestCacheKey, type CacheModelIdentity, type ResponseCache } from './response-cache.js';
import { defaultRetryPolicy, type ClassifiedError, type RetryPolicy } from './retry-policy.js';
import { PredictionWriter } from './prediction-writer.js';
import { callWithRetries } from './call-with-retries.js';
import { RunCancelledError } from './run-cancelled-error.js';
import type { PredictionError, ScoreRow } from '../store/prediction-repo.js';
import { hearSpokenAnswer, type HeardAnswer, type SpokenAnswerSettings } from './hear-spoken-answer.js';
import { audioAsPcm16 } from '../models/media/media-encoding.js';
import { converseScenario, type Conversation } from '../duplex/converse-scenario.js';
import { hearRecording } from '../duplex/hear-recording.js';
import type { DuplexSettings } from '../duplex/duplex-settings.js';

/** How one sample is processed; shared by the local runner and distributed workers. */
export interface SampleProcessorOptions {
  /** Database the predictions go to. */
  readonly db: Kysely<Database>;
  /** Run id. */
  readonly runId: string;
  /** The model under test. */
  readonly model: ModelV1;
  /** Sample → request. */
  readonly build: BuildRequestOptions;
  /** Shared limiter of in-flight model calls. */
  readonly limiter: AdaptiveConcurrency;
  /** Retry policy (default: 5 attempts). */
  readonly retry?: RetryPolicy;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Use `doStream` (when the model has it) to measure time to first token. */
  readonly stream?: boolean;
  /** Opt-in response cache. */
  readonly cache?: { readonly cache: ResponseCache; readonly identity: CacheModelIdentity };
  /** Per-sample scores for an answer (errors here never fail the sample). */
  readonly scoreSample?: (sample: RunnerSample, text: string) => ScoreRow[];
  /** Randomness for jitter, injectable for tests. */
  readonly random?: () => number;
  /** Group-commit writer (default: one of its own over `db`). */
  readonly writer?: PredictionWriter;
  /** Waits out database outages for the claims (the writer has its own). */
  readonly guard?: DbOutageGuard;
  /**
   * Executor id: when set, each sample is claimed in `run_claims` before its
   * model call and released once its prediction is written, so that two
   * executors of one run never call the model for the same sample.
   */
  readonly executor?: string;
  /**
   * The model answers in speech: each answer's audio is stored and a local
   * ASR expert's transcript of it is the answer (issue 17). An answer without
   * audio, or one the expert cannot hear, is a failed sample.
   */
  readonly speech?: SpokenAnswerSettings;
  /**
   * The samples are turn-taking scenarios (task duplex): each sample's audio
   * is played in real time to the realtime upstream and the model's channel
   * is recorded and heard (gateway/duplex/); the observation is the answer.
   */
  readonly duplex?: DuplexSettings;
}

/** What happened to one sample. */
export interface SampleOutcome {
  /** `samples.id`. */
  readonly sampleId: string;
  /** Manifest id. */
  readonly key: string;
  /** Stored status. */
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Model calls made. */
  readonly attempts: number;
  /** Whether this call wrote the prediction (false: another writer already stored `ok`). */
  readonly written: boolean;
  /** Whether the answer came from the response cache. */
  readonly cached: boolean;
  /** Error of a failed or skipped sample. */
  readonly error?: PredictionError;
}

/** Thrown when another executor holds the sample's claim: this one leaves it alone. */
export class SampleClaimedElsewhereError extends Error {
  constructor(readonly sampleKey: string) {
    super(`sample ${sampleKey} is claimed by another executor`);
    this.name = 'SampleClaimedElsewhereError';
  }
}

// Kept exported from here for the runner's and the judge's callers; it lives on its own so call-with-retries can throw it.
export { RunCancelledError };

function missingCapability(model: ModelV1, sample: RunnerSample, build: BuildRequestOptions): string | undefined {
  const caps = model.capabilities;
  const kinds = sample.media.map((m) => m.kind);
  const images = kinds.filter((k) => k === 'image' || k === 'images').length;
  if (kinds.includes('audio') && !caps.audio) return 'audio input';
  if (images > 0 && !caps.image) return 'image input';
  if (images > 1 && !caps.multipleImages) return 'several images in one request';
  if (kinds.includes('video')) {
    if (build.video.mode === 'video' && !caps.video) return 'video input';
    if (build.video.mode === 'frames' && !(caps.multipleImages || (caps.image && build.video.count === 1))) return 'several images (video frames)';
  }
  return undefined;
}

/** Processes samples one at a time; many may run concurrently on one instance. */
export class SampleProcessor {
  readonly #o: SampleProcessorOptions;
  readonly #retry: RetryPolicy;
  readonly #warnings = new Set<string>();
  readonly #writer: PredictionWriter;

  constructor(opts: SampleProcessorOptions) {
    this.#o = opts;
    this.#writer = opts.writer ?? new PredictionWriter(opts.db);
    this.#retry = opts.retry ?? defaultRetryPolicy;
  }

  /** Distinct adapter warnings seen so far (bounded at 100). */
  get warnings(): string[] {
    return [...this.#warnings];
  }

  /** Records a run warning (the response cache reports its failed writes here). */
  addWarning(message: string): void {
    this.#warn(message);
  }

  #warn(message: string): void {
    if (this.#warnings.size < 100) this.#warnings.add(message);
  }

  /**
   * Builds, sends (with retries, backoff and timeouts), scores and stores one
   * sample. Resolves with the stored outcome; rejects only with
   * RunCancelledError or a database error, leaving the sample pending.
   */
  async process(sample: RunnerSample, signal?: AbortSignal): Promise<SampleOutcome> {
    const o = this.#o;
    const executor = o.executor;
    if (!executor) return this.#process(sample, signal);
    const claim = (): Promise<boolean> => claimSample(o.db, o.runId, sample.id, executor);
    if (!(await (o.guard ? o.guard.run(claim) : claim()))) throw new SampleClaimedElsewhereError(sample.key);
    try {
      return await this.#process(sample, signal);
    } finally {
      // Best effort: a claim left behind goes stale with this executor's heartbeat.
      await releaseSample(o.db, o.runId, sample.id, executor).catch(() => undefined);
    }
  }

  async #process(sample: RunnerSample, signal?: AbortSignal): Promise<SampleOutcome> {
    const o = this.#o;
    const startedMs = performance.now();
    const base = { sampleId: sample.id, key: sample.key };

    const missing = missingCapability(o.model, sample, o.build);
    if (missing) {
      const error: PredictionError = {
        code: 'unsupported',
        message: `model ${o.model.modelName} (${o.model.adapter}) does not take ${missing}`,
        retryable: false,
      };
      const written = await this.#writer.write({ runId: o.runId, sampleId: sample.id, status: 'skipped', error, attempts: 0 });
      return { ...base, status: 'skipped', attempts: 0, written, cached: false, error };
    }

    let built: Awaited<ReturnType<typeof buildRequest>>;
    try {
      built = await buildRequest(sample, o.build, signal);
    } catch (err) {
      if (signal?.aborted) throw new RunCancelledError();
      const error: PredictionError = { code: 'input', message: (err as Error).message, retryable: false };
      const written = await this.#writer.write({ runId: o.runId, sampleId: sample.id, status: 'failed', error, attempts: 0 });
      return { ...base, status: 'failed', attempts: 0, written, cached: false, error };
    }

    if (o.duplex) return this.#playScenario(sample, built, o.duplex, startedMs, signal);

    // Cached replies keep text only, not audio: a spoken answer is always asked for afresh.
    const cacheKey = o.cache && !o.speech ? requestCacheKey(o.cache.identity, built.request) : undefined;
    if (o.cache && cacheKey) {
      const hit = await o.cache.cache.get(cacheKey);
      if (hit) return this.#store(sample, hit, { attempts: 0, cached: true, audioSeconds: built.audioSeconds, startedMs });
    }

    const call = await callWithRetries(
      { retry: this.#retry, limiter: o.limiter, timeoutMs: o.timeoutMs, random: o.random },
      signal,
      async (attemptSignal, startedMs) => {
        const answer = await this.#call({ ...built.request, signal: attemptSignal }, startedMs);
        // The provider ended the answer for a reason that makes it no answer:
        // a failed call (never scored, never cached), whatever text came with it.
        if (answer.result.finishReason === 'error') throw finishedWithError(answer.result);
        return answer;
      },
    );
    if (call.ok) {
      const { result, firstTokenMs } = call.value;
      if (o.cache && cacheKey) await o.cache.cache.set(cacheKey, { text: result.text, raw: result.raw, warnings: result.warnings, usage: result.usage });
      return this.#store(sample, result, {
        attempts: call.attempts,
        cached: false,
        audioSeconds: built.audioSeconds,
        startedMs,
        requestMs: call.requestMs,
        firstTokenMs,
      });
    }
    return this.#callFailed(sample, call, startedMs, built.audioSeconds);
  }

  /** Stores a sample whose calls all failed. */
  async #callFailed(
    sample: RunnerSample,
    call: { readonly last: ClassifiedError | undefined; readonly attempts: number },
    startedMs: number,
    audioSeconds: number | undefined,
  ): Promise<SampleOutcome> {
    const { last, attempts } = call;
    const error: PredictionError = {
      code: last?.code ?? 'adapter',
      // Stored errors are shown to viewers: no server paths in them.
      message: scrubPaths(last?.message ?? 'no attempt made', resolve(this.#o.build.rootDir)),
      ...(last?.statusCode !== undefined ? { statusCode: last.statusCode } : {}),
      retryable: last?.retryable ?? false,
    };
    const written = await this.#writer.write({
      runId: this.#o.runId,
      sampleId: sample.id,
      status: 'failed',
      error,
      attempts,
      latencyTotalMs: performance.now() - startedMs,
      audioSeconds: audioSeconds ?? null,
    });
    return { sampleId: sample.id, key: sample.key, status: 'failed', attempts, written, cached: false, error };
  }

  /**
   * A turn-taking scenario: played live (retried like a call when the
   * connection fails), then heard; the observation is stored as the answer
   * and scored. A recording the expert cannot hear is a failed sample.
   */
  async #playScenario(
    sample: RunnerSample,
    built: Awaited<ReturnType<typeof buildRequest>>,
    d: DuplexSettings,
    startedMs: number,
    signal: AbortSignal | undefined,
  ): Promise<SampleOutcome> {
    const o = this.#o;
    const audio = built.request.parts.find((p) => p.type === 'audio');
    if (!audio || audio.type !== 'audio') {
      const error: PredictionError = { code: 'input', message: 'a duplex scenario needs its audio', retryable: false };
      const written = await this.#writer.write({ runId: o.runId, sampleId: sample.id, status: 'failed', error, attempts: 0 });
      return { sampleId: sample.id, key: sample.key, status: 'failed', attempts: 0, written, cached: false, error };
    }
    const userPcm = audioAsPcm16(audio, d.upstream.inputSampleRateHz);
    const tailS = d.tailS ?? 10;
    // One attempt lasts as long as the scenario plays, plus the wait for the model to finish.
    const timeoutMs = Math.max(o.timeoutMs, (userPcm.length / d.upstream.inputSampleRateHz + tailS + 30) * 1000);
    const call = await callWithRetries({ retry: this.#retry, limiter: o.limiter, timeoutMs, random: o.random }, signal, (attemptSignal) =>
      converseScenario(d.upstream, userPcm, { signal: attemptSignal, tailS, ...(d.instructions !== undefined ? { instructions: d.instructions } : {}) }),
    );
    if (!call.ok) return this.#callFailed(sample, call, startedMs, built.audioSeconds);
    const conv: Conversation = call.value;
    // A busy event loop slips the scenario clock, and every timing measured on it with it.
    if (conv.maxSendLagMs > 100)
      this.#warn(`the scenario clock slipped by up to ${Math.round(conv.maxSendLagMs)} ms (a busy process): timings may be late; use a lower --concurrency`);
    let heard: Awaited<ReturnType<typeof hearRecording>>;
    try {
      heard = await hearRecording(conv, userPcm, d.upstream.inputSampleRateHz, d.hearing, { runId: o.runId, sampleKey: sample.key, signal });
    } catch (err) {
      if (signal?.aborted) throw new RunCancelledError();
      const error: PredictionError = {
        code: 'transcribe',
        message: scrubPaths(
          scrubPaths(`the recorded scenario could not be heard: ${(err as Error).message}`, resolve(d.hearing.mediaDir)),
          resolve(o.build.rootDir),
        ),
        retryable: false,
      };
      const written = await this.#writer.write({ runId: o.runId, sampleId: sample.id, status: 'failed', error, attempts: call.attempts });
      return { sampleId: sample.id, key: sample.key, status: 'failed', attempts: call.attempts, written, cached: false, error };
    }
    const text = JSON.stringify(heard.observation);
    let scores: ScoreRow[] = [];
    if (o.scoreSample) {
      try {
        scores = o.scoreSample(sample, text);
      } catch (err) {
        this.#warn(`per-sample scoring failed: ${(err as Error).message}`);
      }
    }
    const written = await this.#writer.write({
      runId: o.runId,
      sampleId: sample.id,
      status: 'ok',
      outputText: text,
      rawResponse: {
        duplex: {
          responses: conv.responses,
          speechStartedS: conv.speechStartedS,
          selfTranscript: conv.selfTranscript,
          modelAudioS: conv.timeline.audioS,
          userSpans: heard.userSpans,
          // When each stretch of the model's audio sounded on the scenario clock: [start s, length s].
          played: conv.timeline.segments,
          maxSendLagMs: conv.maxSendLagMs,
          mediaPath: heard.mediaPath,
        },
      },
      attempts: call.attempts,
      latencyRequestMs: call.requestMs,
      // The model's first audio on the scenario clock, ms from the start of the user's audio.
      latencyFirstTokenMs: heard.observation.first_audio_s === null ? null : heard.observation.first_audio_s * 1000,
      latencyTotalMs: performance.now() - startedMs,
      audioSeconds: built.audioSeconds ?? null,
      scores,
    });
    return { sampleId: sample.id, key: sample.key, status: 'ok', attempts: call.attempts, written, cached: false };
  }

  async #call(request: ModelRequest, requestStartMs: number): Promise<{ result: ModelResult; firstTokenMs?: number }> {
    const model = this.#o.model;
    if (!(this.#o.stream && model.capabilities.streaming && model.doStream)) return { result: await model.doGenerate(request) };
    let firstTokenMs: number | undefined;
    let text = '';
    for await (const ev of model.doStream(request)) {
      if (ev.type === 'text-delta') {
        if (firstTokenMs === undefined && ev.delta !== '') firstTokenMs = performance.now() - requestStartMs;
        text += ev.delta;
      } else if (ev.type === 'warning') {
        this.#warn(ev.message);
      } else if (ev.type === 'finish') {
        return { result: ev.result, firstTokenMs };
      }
    }
    // A stream that ends without `finish` was cut off: its text is partial and
    // must not be scored as the model's answer.
    throw streamCutOff(text.length);
  }

  /** The spoken answer heard, or the failure to record instead of an answer. */
  async #hear(sample: RunnerSample, result: ModelResult, speech: SpokenAnswerSettings): Promise<HeardAnswer | PredictionError> {
    if (!result.audio) {
      return { code: 'no-speech', message: 'asked to answer in speech, the model answered without audio', retryable: false };
    }
    try {
      return await hearSpokenAnswer(result.audio, speech, { runId: this.#o.runId, sampleKey: sample.key });
    } catch (err) {
      return {
        code: 'transcribe',
        // Stored errors are shown to viewers: neither the dataset's nor the spoken-answers folder's server path.
        message: scrubPaths(
          scrubPaths(`the spoken answer could not be transcribed: ${(err as Error).message}`, resolve(speech.mediaDir)),
          resolve(this.#o.build.rootDir),
        ),
        retryable: false,
      };
    }
  }

  async #store(
    sample: RunnerSample,
    given: ModelResult,
    m: { attempts: number; cached: boolean; audioSeconds?: number; startedMs: number; requestMs?: number; firstTokenMs?: number },
  ): Promise<SampleOutcome> {
    let result = given;
    let spoken: HeardAnswer | undefined;
    if (this.#o.speech) {
      const heard = await this.#hear(sample, result, this.#o.speech);
      if (!('transcript' in heard)) {
        for (const w of result.warnings) this.#warn(w);
        const written = await this.#writer.write({
          runId: this.#o.runId,
          sampleId: sample.id,
          status: 'failed',
          error: heard,
          attempts: m.attempts,
          latencyTotalMs: performance.now() - m.startedMs,
          audioSeconds: m.audioSeconds ?? null,
        });
        return { sampleId: sample.id, key: sample.key, status: 'failed', attempts: m.attempts, written, cached: false, error: heard };
      }
      spoken = heard;
      // The expert's transcript is the answer; the model's own words are kept beside it, never scored.
      result = { ...result, text: heard.transcript };
    }
    for (const w of result.warnings) this.#warn(w);
    // A cut-off or filtered answer is still the model's answer and is scored;
    // the run says it happened (the first wording is the one adapters used to send).
    if (result.finishReason === 'length') this.#warn('the answer was cut off at the output token limit');
    if (result.finishReason === 'filter') this.#warn("the provider's content filter stopped or replaced the answer");
    let scores: ScoreRow[] = [];
    if (this.#o.scoreSample) {
      try {
        scores = this.#o.scoreSample(sample, result.text);
      } catch (err) {
        this.#warn(`per-sample scoring failed: ${(err as Error).message}`);
      }
    }
    if (spoken) scores = [...scores, ...spokenAnswerScores(spoken)];
    const raw = m.cached ? { cached: true, raw: result.raw ?? null } : (result.raw ?? null);
    const written = await this.#writer.write({
      runId: this.#o.runId,
      sampleId: sample.id,
      status: 'ok',
      outputText: result.text,
      rawResponse: spoken ? { response: raw, speech: spokenAnswerRecord(spoken) } : raw,
      attempts: m.attempts,
      latencyRequestMs: m.requestMs ?? null,
      // For a spoken answer, the first token the user gets is its first audio.
      latencyFirstTokenMs: spoken ? spoken.firstAudioMs : (m.firstTokenMs ?? null),
      latencyTotalMs: m.cached ? null : performance.now() - m.startedMs,
      audioSeconds: m.audioSeconds ?? null,
      scores,
    });
    return { sampleId: sample.id, key: sample.key, status: 'ok', attempts: m.attempts, written, cached: m.cached };
  }
}

/**
 * Per-sample measures of a spoken answer: time to first audio, its length,
 * its real-time factor (request to last chunk ÷ audio length; under 1 means
 * speech arrived faster than it plays), and text–speech WER when the model
 * sent its own transcript.
 */
export function spokenAnswerScores(h: HeardAnswer): ScoreRow[] {
  const rows: ScoreRow[] = [
    { metric: 'speech_first_audio_ms', value: h.firstAudioMs },
    { metric: 'speech_audio_s', value: h.audioSeconds },
  ];
  if (h.audioSeconds > 0) rows.push({ metric: 'speech_rtf', value: h.lastAudioMs / 1000 / h.audioSeconds });
  if (h.textSpeechWer !== null) rows.push({ metric: 'text_speech_wer', value: h.textSpeechWer, details: { selfTranscript: h.selfTranscript } });
  return rows;
}

/** What the prediction's raw response keeps of a spoken answer (the media path is the server's; routes decide who sees it). */
function spokenAnswerRecord(h: HeardAnswer): Record<string, unknown> {
  return {
    transcript: h.transcript,
    selfTranscript: h.selfTranscript,
    textSpeechWer: h.textSpeechWer,
    mediaPath: h.mediaPath,
    audioSeconds: h.audioSeconds,
    firstAudioMs: h.firstAudioMs,
    lastAudioMs: h.lastAudioMs,
    chunks: h.chunks,
  };
}

/** Totals of one `runBatch` call. */
export interface BatchTotals {
  /** Samples stored ok. */
  ok: number;
  /** Samples stored failed. */
  failed: number;
  /** Samples stored skipped. */
  skipped: number;
  /** Answers served from the cache. */
  cached: number;
  /** Whether the signal stopped the batch early (the rest stays pending). */
  cancelled: boolean;
  /** Samples left alone because another executor of the run had claimed them. */
  claimedElsewhere: number;
}

/**
 * Runs samples through the processor. There are twice as many task loops as
 * the concurrency limit: the limiter bounds in-flight model calls, and the
 * extra loops read media and write results while the slots are busy, so that
 * database writes never idle a slot. Memory is bounded by 2 × concurrency
 * prepared requests.
 */
export async function runBatch(
  processor: SampleProcessor,
  samples: readonly RunnerSample[],
  opts: { concurrency: number; signal?: AbortSignal; onOutcome?: (o: SampleOutcome) => void },
): Promise<BatchTotals> {
  const totals: BatchTotals = { ok: 0, failed: 0, skipped: 0, cached: 0, cancelled: false, claimedElsewhere: 0 };
  // The loops share one iterator, so each sample is taken exactly once.
  const queue = samples.values();
  const loop = async (): Promise<void> => {
    for (const sample of queue) {
      if (opts.signal?.aborted) return;
      try {
        const outcome = await processor.process(sample, opts.signal);
        totals[outcome.status]++;
        if (outcome.cached) totals.cached++;
        opts.onOutcome?.(outcome);
      } catch (err) {
        if (err instanceof RunCancelledError) return;
        if (err instanceof SampleClaimedElsewhereError) {
          totals.claimedElsewhere++;
          continue;
        }
        throw err;
      }
    }
  };
  const loops = Math.min(samples.length, Math.max(1, opts.concurrency) * 2);
  const results = await Promise.allSettled(Array.from({ length: loops }, loop));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  totals.cancelled = opts.signal?.aborted ?? false;
  return totals;
}
