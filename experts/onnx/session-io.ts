import type { InferenceSessionLike, TensorLike } from './inference-session-like.js';

/**
 * Positional access to a model's inputs and outputs. The names come from the
 * model file, so a model with fewer inputs or outputs than the pipeline
 * expects is a wrong model, not a programming error: say so instead of
 * feeding or reading `undefined`.
 */

/** The name of the model's input at `index` (model order); throws when the model has fewer inputs. */
export function inputNameAt(session: InferenceSessionLike, index: number): string {
  const name = session.inputNames[index];
  if (name === undefined) {
    throw new Error(`ONNX model has ${session.inputNames.length} input(s) [${session.inputNames.join(', ')}]; the pipeline needs input #${index}`);
  }
  return name;
}

/** The run's output at `index` (model order), or undefined when the model has no such output or the run left it out. */
export function outputAt(session: InferenceSessionLike, outputs: Readonly<Record<string, TensorLike>>, index: number): TensorLike | undefined {
  const name = session.outputNames[index];
  return name === undefined ? undefined : outputs[name];
}
