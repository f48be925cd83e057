import type { ModelRequest, ModelV1 } from '../models/spec/model-v1.js';

/**
 * One request per utterance to a non-streaming-input model (the batch + VAD →
 * streaming composition). Streams tokens when the adapter can, so the first
 * token is timed; otherwise the whole answer is one delta.
 */
export async function runBatchResponse(
  model: ModelV1,
  request: Omit<ModelRequest, 'signal'>,
  signal: AbortSignal,
  onDelta: (delta: string) => void,
): Promise<string> {
  const req: ModelRequest = { temperature: 0, ...request, signal };
  if (model.capabilities.streaming && model.doStream) {
    let final: string | undefined;
    let text = '';
    for await (const ev of model.doStream(req)) {
      signal.throwIfAborted();
      if (ev.type === 'text-delta') {
        text += ev.delta;
        onDelta(ev.delta);
      } else if (ev.type === 'finish') final = ev.result.text;
    }
    return final ?? text;
  }
  const result = await model.doGenerate(req);
  signal.throwIfAborted();
  onDelta(result.text);
  return result.text;
}
