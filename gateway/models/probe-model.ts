import { isEvalgateError } from '../errors.js';
import { ModelCallError } from './spec/model-call-error.js';
import type { FinishReason, ModelInputPart, ModelRequest, ModelV1 } from './spec/model-v1.js';

/** Options of one probe. */
export interface ProbeOptions {
  /** Gives up after this long (the request is aborted). */
  readonly timeoutMs: number;
  /** Use `doStream` and report time to first token (when the adapter streams). */
  readonly stream?: boolean;
  /** Sample id for the predictions replay (default: its first line). */
  readonly sampleId?: string;
}

/** What `evalgate models test` reports. */
export interface ProbeResult {
  /** Whether the call succeeded. */
  readonly ok: boolean;
  /** What was sent, in words (`text prompt`, `1 s tone`, `image "OK 42"`…). */
  readonly input: string;
  /** Wall time of the call, ms (includes loading local weights on first use). */
  readonly latencyMs: number;
  /** Time to the first streamed text, ms (with `stream`). */
  readonly ttftMs?: number;
  /** The answer, truncated to 200 characters. */
  readonly text?: string;
  /** Why the model stopped (`stop` when the adapter does not say). */
  readonly finishReason?: FinishReason;
  /** Warnings the adapter returned. */
  readonly warnings: readonly string[];
  /** Why it failed. */
  readonly error?: {
    /** Error message (never contains the key). */
    readonly message: string;
    /** Registry code, for configuration problems. */
    readonly code?: string;
    /** HTTP status from the provider. */
    readonly statusCode?: number;
    /** Whether the runner would retry it. */
    readonly retryable?: boolean;
  };
}

/** One second of a 440 Hz tone at 16 kHz: audible input that any ASR or audio model accepts. */
function toneSamples(): Float32Array {
  return new Float32Array(16_000).map((_, i) => 0.2 * Math.sin((2 * Math.PI * 440 * i) / 16_000));
}

async function tinyImage(): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48"><rect width="100%" height="100%" fill="white"/><text x="12" y="34" font-family="DejaVu Sans, sans-serif" font-size="28" fill="black">OK 42</text></svg>';
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** The smallest request that exercises the adapter's main input, chosen from its capabilities. */
export async function probeRequest(model: ModelV1, opts: ProbeOptions): Promise<{ request: Omit<ModelRequest, 'signal'>; input: string }> {
  const caps = model.capabilities;
  if (model.adapter === 'predictions') {
    const ids = 'sampleIds' in model ? await (model as ModelV1 & { sampleIds(): Promise<string[]> }).sampleIds() : [];
    const sampleId = opts.sampleId ?? ids[0];
    return { request: { parts: [], providerOptions: sampleId === undefined ? {} : { sampleId } }, input: `replay of sample ${sampleId ?? '(none)'}` };
  }
  const audio: ModelInputPart = { type: 'audio', data: new Uint8Array(), mimeType: 'audio/pcm', samples: toneSamples(), sampleRateHz: 16_000, durationS: 1 };
  if (caps.realtime || (!caps.text && caps.audio)) {
    const parts: ModelInputPart[] = caps.text ? [{ type: 'text', text: 'Say OK.' }, audio] : [audio];
    return { request: { parts, temperature: caps.text ? undefined : 0 }, input: '1 s 440 Hz tone' };
  }
  if (!caps.text && caps.image) {
    return { request: { parts: [{ type: 'image', data: await tinyImage(), mimeType: 'image/png' }] }, input: 'image reading "OK 42"' };
  }
  return { request: { parts: [{ type: 'text', text: 'Reply with the single word OK.' }], temperature: 0, maxOutputTokens: 16 }, input: 'text prompt' };
}

/**
 * Sends one tiny request and reports success, latency and the answer, or the
 * error as the runner would classify it. Never throws for a failed call.
 */
export async function probeModel(model: ModelV1, opts: ProbeOptions): Promise<ProbeResult> {
  const { request, input } = await probeRequest(model, opts);
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const started = performance.now();
  let ttftMs: number | undefined;
  try {
    let text: string;
    let warnings: readonly string[];
    let finishReason: FinishReason | undefined;
    if (opts.stream && model.doStream) {
      text = '';
      warnings = [];
      for await (const ev of model.doStream({ ...request, signal })) {
        if (ev.type === 'text-delta') ttftMs ??= performance.now() - started;
        if (ev.type === 'finish') ({ text, warnings, finishReason } = ev.result);
      }
    } else {
      ({ text, warnings, finishReason } = await model.doGenerate({ ...request, signal }));
    }
    const latencyMs = Math.round(performance.now() - started);
    const ttft = ttftMs !== undefined ? { ttftMs: Math.round(ttftMs) } : {};
    // The runner fails such a call, so the probe does too.
    if (finishReason === 'error') {
      return {
        ok: false,
        input,
        latencyMs,
        ...ttft,
        text: text.slice(0, 200),
        finishReason,
        warnings,
        error: { message: 'the model stopped without a finished answer (finish reason "error")', retryable: false },
      };
    }
    return { ok: true, input, latencyMs, ...ttft, text: text.slice(0, 200), finishReason: finishReason ?? 'stop', warnings };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const error =
      err instanceof ModelCallError
        ? { message: err.message, statusCode: err.statusCode, retryable: err.retryable }
        : isEvalgateError(err)
          ? { message: err.message, code: err.code }
          : { message: err instanceof Error ? err.message : String(err) };
    return { ok: false, input, latencyMs, warnings: [], error };
  }
}
