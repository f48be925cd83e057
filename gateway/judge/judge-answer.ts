// One answer judged: the rubric's samples, each asked (with the runner's
// retries, backoff, timeouts and adaptive concurrency) and re-asked as the
// rubric documents while its reply cannot be read. The outcome is a score, or
// a failure at the judge stage: an unreadable reply or a failed judge call is
// never turned into a number.
import { finishedWithError } from '../models/spec/finish-error.js';
import type { ModelRequest, ModelResult, ModelV1 } from '../models/spec/model-v1.js';
import type { AdaptiveConcurrency } from '../runner/adaptive-concurrency.js';
import { requestCacheKey, type CacheModelIdentity, type ResponseCache } from '../runner/response-cache.js';
import { defaultRetryPolicy, type ClassifiedError, type RetryPolicy } from '../runner/retry-policy.js';
import { callWithRetries } from '../runner/call-with-retries.js';
import { parseJudgeReply, renderJudgePrompt, type JudgeInput, type JudgeRubric } from '../../scorers/judge/judge-rubric.js';

/** How judge calls are made. */
export interface JudgeCallOptions {
  /** The judge model. */
  readonly model: ModelV1;
  /** Options merged into every request's provider options (the judge's `options.providerOptions`). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /** Shared limiter of in-flight judge calls. */
  readonly limiter: AdaptiveConcurrency;
  /** Retry policy for failed calls (default: 5 attempts). */
  readonly retry?: RetryPolicy;
  /** Per-attempt timeout, ms. */
  readonly timeoutMs: number;
  /** Opt-in response cache (temperature-0 first asks only). */
  readonly cache?: { readonly cache: ResponseCache; readonly identity: CacheModelIdentity };
  /** Jitter source, injectable for tests. */
  readonly random?: () => number;
}

/** One ask and its reply; `V` is what the parse rule reads (a number for rubrics, a verdict for pairs). */
export interface JudgeAsk<V = number> {
  /** Which judge sample (0-based). */
  readonly sample: number;
  /** 0 for the first ask, k for the k-th re-ask. */
  readonly reask: number;
  /** Temperature sent. */
  readonly temperature: number;
  /** The judge's reply. */
  readonly reply: string;
  /** What the rule read from it; null: unreadable. */
  readonly value: V | null;
  /** Served from the response cache. */
  readonly cached: boolean;
}

/** A judge-stage failure, stored as the prediction's error: `code` is always `judge` (the stage). */
export interface JudgeFailure {
  readonly code: 'judge';
  readonly message: string;
  readonly statusCode?: number;
  readonly retryable: boolean;
}

/** The outcome of asking a judge: every sample's value, or a judge-stage failure. */
export type JudgeOutcome<V> =
  | {
      readonly status: 'ok';
      /** The value read from each judge sample. */
      readonly values: readonly V[];
      readonly asks: readonly JudgeAsk<V>[];
      /** Judge calls made (cache hits excluded). */
      readonly attempts: number;
      /** Summed duration of the successful judge calls, ms. */
      readonly requestMs: number;
    }
  | {
      readonly status: 'failed';
      readonly error: JudgeFailure;
      readonly asks: readonly JudgeAsk<V>[];
      readonly attempts: number;
      readonly requestMs: number;
    };

/** A judged answer. */
export type JudgedAnswer =
  | (Extract<JudgeOutcome<number>, { status: 'ok' }> & {
      /** mean(values) × multiplier: the reported score. */
      readonly score: number;
    })
  | Extract<JudgeOutcome<number>, { status: 'failed' }>;

/**
 * What one judgement asks: the prompt, how often, at which temperature, how a
 * reply is read and what to do when it cannot be. A pointwise rubric and the
 * pairwise verdict prompt both reduce to this.
 */
export interface JudgeAskSpec<V> {
  readonly system?: string;
  /** The filled prompt. */
  readonly prompt: string;
  /** Temperature of each first ask. */
  readonly temperature: number;
  readonly maxOutputTokens: number;
  /** Independent judge samples. */
  readonly samples: number;
  readonly reask: JudgeRubric['reask'];
  /** Reads one reply; undefined: unreadable. */
  readonly parse: (reply: string) => V | undefined;
  /** Names the rule in the unreadable-reply message (`rule correct-incorrect, scale 0-1`). */
  readonly ruleText: string;
}

/** A judge call that failed after the retries. */
class JudgeCallFailed extends Error {
  constructor(readonly classified: ClassifiedError) {
    super(classified.message);
  }
}

/** One judge request with retries, as the runner sends a sample (docs/runner.md "Retries, timeouts, rate limits"). */
async function callJudge(
  o: JudgeCallOptions,
  request: ModelRequest,
  signal: AbortSignal | undefined,
  counter: { attempts: number; requestMs: number },
): Promise<ModelResult> {
  const call = await callWithRetries(
    { retry: o.retry ?? defaultRetryPolicy, limiter: o.limiter, timeoutMs: o.timeoutMs, random: o.random },
    signal,
    async (attemptSignal) => {
      const result = await o.model.doGenerate({ ...request, signal: attemptSignal });
      if (result.finishReason === 'error') throw finishedWithError(result);
      return result;
    },
  );
  counter.attempts += call.attempts;
  if (call.ok) {
    counter.requestMs += call.requestMs;
    return call.value;
  }
  throw new JudgeCallFailed(call.last ?? { code: 'adapter', retryable: false, rateLimited: false, message: 'no attempt made' });
}

const clip = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * Asks the judge as `spec` says: each sample asked, and re-asked while its
 * reply cannot be read. Resolves with every sample's value or a judge-stage
 * failure; rejects only with RunCancelledError (the work stays pending).
 */
export async function askJudge<V>(o: JudgeCallOptions, spec: JudgeAskSpec<V>, signal?: AbortSignal): Promise<JudgeOutcome<V>> {
  const counter = { attempts: 0, requestMs: 0 };
  const asks: JudgeAsk<V>[] = [];
  const values: V[] = [];
  for (let s = 0; s < spec.samples; s++) {
    let value: V | undefined;
    for (let k = 0; k <= spec.reask.max && value === undefined; k++) {
      const temperature = spec.temperature + (k >= 2 ? (k - 1) * (spec.reask.temperatureStep ?? 0) : 0);
      const request: ModelRequest = {
        ...(spec.system !== undefined ? { system: spec.system } : {}),
        parts: [{ type: 'text', text: k > 0 && spec.reask.promptSuffix !== undefined ? spec.prompt + spec.reask.promptSuffix : spec.prompt }],
        temperature,
        maxOutputTokens: spec.maxOutputTokens,
        ...(o.providerOptions ? { providerOptions: o.providerOptions } : {}),
      };
      // Only a first ask of the first sample is looked up: later samples and
      // re-asks must reach the judge, or they would replay the same reply.
      const key = o.cache && s === 0 && k === 0 ? requestCacheKey(o.cache.identity, request) : undefined;
      let reply: string;
      let cached = false;
      const hit = key && o.cache ? await o.cache.cache.get(key) : undefined;
      if (hit) {
        reply = hit.text;
        cached = true;
      } else {
        try {
          const result = await callJudge(o, request, signal, counter);
          reply = result.text;
          // A reply that cannot be read is never cached: a re-run must ask again.
          if (key && o.cache && spec.parse(reply) !== undefined) await o.cache.cache.set(key, result);
        } catch (err) {
          if (!(err instanceof JudgeCallFailed)) throw err;
          const c = err.classified;
          return {
            status: 'failed',
            error: {
              code: 'judge',
              message: `judge call failed (${c.code}${c.statusCode !== undefined ? ` ${c.statusCode}` : ''}): ${c.message}`,
              ...(c.statusCode !== undefined ? { statusCode: c.statusCode } : {}),
              retryable: c.retryable,
            },
            asks,
            ...counter,
          };
        }
      }
      value = spec.parse(reply);
      asks.push({ sample: s, reask: k, temperature, reply, value: value ?? null, cached });
    }
    if (value === undefined) {
      const last = asks[asks.length - 1]?.reply ?? '';
      return {
        status: 'failed',
        error: {
          code: 'judge',
          message: `the judge's reply could not be read (${spec.ruleText}) after ${spec.reask.max + 1} asks; last reply: ${JSON.stringify(clip(last))}`,
          retryable: false,
        },
        asks,
        ...counter,
      };
    }
    values.push(value);
  }
  return { status: 'ok', values, asks, ...counter };
}

/**
 * Judges one answer under `rubric`. Resolves with a score or a judge-stage
 * failure; rejects only with RunCancelledError (the answer stays pending).
 */
export async function judgeAnswer(o: JudgeCallOptions, rubric: JudgeRubric, input: JudgeInput, signal?: AbortSignal): Promise<JudgedAnswer> {
  const outcome = await askJudge(
    o,
    {
      ...(rubric.system !== undefined ? { system: rubric.system } : {}),
      prompt: renderJudgePrompt(rubric.template, input),
      temperature: rubric.temperature,
      maxOutputTokens: rubric.maxOutputTokens,
      samples: rubric.samples,
      reask: rubric.reask,
      parse: (reply) => parseJudgeReply(rubric, reply),
      ruleText: `rule ${rubric.parse}, scale ${rubric.scale.min}-${rubric.scale.max}`,
    },
    signal,
  );
  if (outcome.status === 'failed') return outcome;
  const mean = outcome.values.reduce((a, b) => a + b, 0) / outcome.values.length;
  return { ...outcome, score: mean * rubric.multiplier };
}
