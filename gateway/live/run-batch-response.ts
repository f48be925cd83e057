import { finishedWithError, incompleteReason, streamCutOff } from '../models/spec/finish-error.js';
import type { ModelRequest, ModelResult, ModelV1 } from '../models/spec/model-v1.js';
import type { ResponderAnswer } from './responder.js';

/**
 * One request per utterance to a non-streaming-input model (the batch + VAD →
 * streaming composition). Streams tokens when the adapter can, so the first
 * token is timed; otherwise the whole answer is one delta. As in batch runs,
 * a call that did not finish (finish reason `error`, or a stream without its
 * `finish` event) throws instead of passing its partial text off as the answer;
 * an answer cut at the token limit or by a filter is `incomplete`. A model
 * answering in speech returns its audio with the answer (`result.audio`); its
 * audio deltas are not forwarded, since their container is the adapter's.
 */
export async function runBatchResponse(
  model: ModelV1,
  request: Omit<ModelRequest, 'signal'>,
  signal: AbortSignal,
  onDelta: (delta: string) => void,
): Promise<ResponderAnswer> {
  const req: ModelRequest = { temperature: 0, ...request, signal };
  if (model.capabilities.streaming && model.doStream) {
    let text = '';
    for await (const ev of model.doStream(req)) {
      signal.throwIfAborted();
      if (ev.type === 'text-delta') {
        text += ev.delta;
        onDelta(ev.delta);
      } else if (ev.type === 'finish') {
        return answerOf(ev.result);
      }
    }
    signal.throwIfAborted();
    throw streamCutOff(text.length);
  }
  const result = await model.doGenerate(req);
  signal.throwIfAborted();
  const answer = answerOf(result);
  onDelta(answer.text);
  return answer;
}

function answerOf(result: ModelResult): ResponderAnswer {
  if (result.finishReason === 'error') throw finishedWithError(result);
  const incomplete = incompleteReason(result);
  // A spoken answer's chunks are timed by the adapter from the request, sent right after respond() was called.
  return { text: result.text, ...(incomplete ? { incomplete } : {}), ...(result.audio ? { audio: result.audio } : {}) };
}
