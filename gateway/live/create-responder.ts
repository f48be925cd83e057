import { BatchResponder } from './batch-responder.js';
import type { LiveModel } from './live-model.js';
import { RealtimeResponder, type RealtimeResponderOptions } from './realtime-responder.js';
import type { Responder } from './responder.js';

// Apart from responder.ts so that the interface module imports none of its implementations
// (they import it; keeping the factory there made a type-level import cycle).

/** The responder for a session's model: a request per turn for a batch model, the upstream connection for a realtime one. */
export function createResponder(model: LiveModel, realtime: Omit<RealtimeResponderOptions, 'inputSampleRateHz'>): Responder {
  if (model.kind === 'batch') return new BatchResponder(model.model);
  return new RealtimeResponder({ ...realtime, inputSampleRateHz: model.model.inputSampleRateHz });
}
