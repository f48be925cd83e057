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

/** One ask and its reply. */
export interface JudgeAsk {
  /** Which judge sample (0-based). */
  readonly sample: number;
  /** 0 for the first ask, k for the k-th re-ask. */
  readonly reask: number;
  /** Temperature sent. */
  readonly temperature: number;
  /** The judge's reply. */
  readonly reply: string;
  /** What the rule read from it; null: unreadable. */
  readonly value: number | null;
  /** Served from the response cache. */
  readonly cached: boolean;
}

/** A judged answer. */
export type JudgedAnswer =
  | {
      readonly status: 'ok';
      /** mean(values) × multiplier: the reported score. */
      readonly score: number;
      /** The raw value of each judge sample. */
      readonly values: readonly number[];
      readonly asks: readonly JudgeAsk[];
      /** Judge calls made (cache hits excluded). */
      readonly attempts: number;
      /** Summed duration of the successful judge calls, ms. */
      readonly requestMs: number;
    }
  | {
      readonly status: 'failed';
      /** Stored as the prediction's error: `code` is always `judge` (the stage). */
      readonly error: { readonly code: 'judge'; readonly message: string; readonly statusCode?: number; readonly retryable: boolean };
      readonly asks: readonly JudgeAsk[];
      readonly attempts: number;
      readonly requestMs: number;
    };

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
 * Judges one answer under `rubric`. Resolves with a score or a judge-stage
 * failure; rejects only with RunCancelledError (the answer stays pending).
 */
export async function judgeAnswer(o: JudgeCallOptions, rubric: JudgeRubric, input: JudgeInput, signal?: AbortSignal): Promise<JudgedAnswer> {
  const counter = { attempts: 0, requestMs: 0 };
  const asks: JudgeAsk[] = [];
  const values: number[] = [];
  const prompt = renderJudgePrompt(rubric.template, input);
  for (let s = 0; s < rubric.samples; s++) {
    let value: number | undefined;
    for (let k = 0; k <= rubric.reask.max && value === undefined; k++) {
      const temperature = rubric.temperature + (k >= 2 ? (k - 1) * (rubric.reask.temperatureStep ?? 0) : 0);
      const request: ModelRequest = {
        ...(rubric.system !== undefined ? { system: rubric.system } : {}),
        parts: [{ type: 'text', text: k > 0 && rubric.reask.promptSuffix !== undefined ? prompt + rubric.reask.promptSuffix : prompt }],
        temperature,
        maxOutputTokens: rubric.maxOutputTokens,
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
          if (key && o.cache && parseJudgeReply(rubric, reply) !== undefined) await o.cache.cache.set(key, result);
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
      value = parseJudgeReply(rubric, reply);
      asks.push({ sample: s, reask: k, temperature, reply, value: value ?? null, cached });
    }
    if (value === undefined) {
      const last = asks[asks.length - 1]?.reply ?? '';
      return {
        status: 'failed',
        error: {
          code: 'judge',
          message: `the judge's reply could not be read (rule ${rubric.parse}, scale ${rubric.scale.min}-${rubric.scale.max}) after ${rubric.reask.max + 1} asks; last reply: ${JSON.stringify(clip(last))}`,
          retryable: false,
        },
        asks,
        ...counter,
      };
    }
    values.push(value);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { status: 'ok', score: mean * rubric.multiplier, values, asks, ...counter };
}
