import { BatchResponder } from './batch-responder.js';
import type { LiveModel } from './live-model.js';
import { RealtimeResponder, type RealtimeResponderOptions } from './realtime-responder.js';
import type { Responder } from './responder.js';

// Apart from responder.ts so that the interface module imports none of its implementations
// (they import it; keeping the factory there made a type-level import cycle).

/** PCM16 output rate of OpenAI's Realtime API, for adapters that do not say theirs. */
const defaultOutputRateHz = 24_000;

/**
 * The responder for a session's model: a request per turn for a batch model,
 * the upstream connection for a realtime one. `hearsSpeech`: the session scores
 * spoken replies, so a realtime responder collects their audio.
 */
export function createResponder(
  model: LiveModel,
  opts: Omit<RealtimeResponderOptions, 'inputSampleRateHz' | 'outputSampleRateHz'> & { readonly hearsSpeech?: boolean },
): Responder {
  if (model.kind === 'batch') return new BatchResponder(model.model);
  const { hearsSpeech, ...realtime } = opts;
  const outputRate = (model.model as { readonly outputSampleRateHz?: number }).outputSampleRateHz ?? defaultOutputRateHz;
  return new RealtimeResponder({
    ...realtime,
    inputSampleRateHz: model.model.inputSampleRateHz,
    ...(hearsSpeech ? { outputSampleRateHz: outputRate } : {}),
  });
}
