/**
 * The small slice of onnxruntime's InferenceSession that pre- and
 * post-processing code depends on. Coding against it lets most tests run with
 * a scripted fake instead of a model file.
 */

/** A tensor as pipelines see it (structurally compatible with ort.Tensor). */
export interface TensorLike {
  /** Element type, e.g. `float32`, `int64`. */
  readonly type: string;
  /** Flat row-major data. */
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Float64Array;
  /** Shape, outermost first. */
  readonly dims: readonly number[];
}

/** The part of ort.InferenceSession the experts use. */
export interface InferenceSessionLike {
  /** Names of the model inputs, in model order. */
  readonly inputNames: readonly string[];
  /** Names of the model outputs, in model order. */
  readonly outputNames: readonly string[];
  /** Runs the model on named inputs. */
  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
}

/** Builds a tensor; injected so pipelines never import onnxruntime directly. */
export type TensorFactory = (
  type: 'float32' | 'int64' | 'int32' | 'bool',
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array,
  dims: readonly number[],
) => TensorLike;
