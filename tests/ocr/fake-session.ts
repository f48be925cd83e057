import type { InferenceSessionLike, TensorFactory, TensorLike } from '../../experts/onnx/inference-session-like.js';

/** A scripted session: records every input and answers with `respond`. */
export class FakeSession implements InferenceSessionLike {
  readonly inputNames = ['x'];
  readonly outputNames = ['y'];
  readonly calls: TensorLike[] = [];
  constructor(private readonly respond: (input: TensorLike) => TensorLike) {}
  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>> {
    const x = feeds.x!;
    this.calls.push(x);
    return Promise.resolve({ y: this.respond(x) });
  }
}

export const fakeTensor: TensorFactory = (type, data, dims) => ({ type, data, dims: [...dims] });

/** Rec output [N, T, C] whose best class per step follows `script(batchIndex, step)`. */
export function recOutput(n: number, steps: number, classes: number, script: (b: number, t: number) => number): TensorLike {
  const data = new Float32Array(n * steps * classes);
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < steps; t++) {
      const c = script(b, t);
      for (let k = 0; k < classes; k++) data[(b * steps + t) * classes + k] = k === c ? 0.9 : 0.1 / (classes - 1);
    }
  }
  return { type: 'float32', data, dims: [n, steps, classes] };
}
