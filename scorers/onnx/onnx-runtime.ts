import { access, readFile } from 'node:fs/promises';
import type * as Onnxruntime from 'onnxruntime-node';
import type { InferenceSessionLike, TensorFactory, TensorLike } from './inference-session-like.js';

/** Where to run a model. */
export type OnnxDevice = 'cpu' | 'cuda';

/** Options for opening a model. */
export interface OpenSessionOptions {
  /** Execution provider; `cuda` only works with a CUDA build of onnxruntime-node. */
  readonly device?: OnnxDevice;
  /** Intra-op threads per session (0 = onnxruntime's default). */
  readonly intraOpThreads?: number;
}

/** Raised for a missing or unreadable model file; names the file. */
export class ModelFileError extends Error {
  constructor(
    /** The model path that failed. */
    readonly path: string,
    detail: string,
  ) {
    super(`Model file ${path} is missing or invalid: ${detail}`);
    this.name = 'ModelFileError';
  }
}

/** Raised when CUDA is asked for but the installed runtime lacks it. */
export class CudaUnavailableError extends Error {
  constructor() {
    super(
      'The installed onnxruntime-node has no CUDA execution provider. On a GPU machine with internet, run ' +
        '`npm install onnxruntime-node` without ONNXRUNTIME_NODE_INSTALL=skip (the CUDA files are fetched by its install script), or use --device cpu.',
    );
    this.name = 'CudaUnavailableError';
  }
}

type Ort = typeof Onnxruntime;
let ortPromise: Promise<Ort> | undefined;

/** onnxruntime-node, loaded once and only when a model is first needed. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node');
  return ortPromise;
}

/** Backends the installed onnxruntime-node reports (e.g. ['cpu'] or ['cpu','cuda']). */
export async function availableDevices(): Promise<OnnxDevice[]> {
  const ort = await loadOrt();
  const names = ort.listSupportedBackends().map((b) => b.name);
  return (['cpu', 'cuda'] as const).filter((d) => names.includes(d));
}

// One session per (file, device) per process: sessions are expensive to
// create (graph optimisation) and safe to share across concurrent runs.
const sessions = new Map<string, Promise<InferenceSessionLike>>();

/**
 * Opens (once) and returns the session for a model file. Errors name the file:
 * a missing file, or bytes that are not a valid ONNX model.
 */
export function getSession(modelPath: string, opts: OpenSessionOptions = {}): Promise<InferenceSessionLike> {
  const device = opts.device ?? 'cpu';
  const key = `${device}:${opts.intraOpThreads ?? 0}:${modelPath}`;
  let p = sessions.get(key);
  if (!p) {
    p = openSession(modelPath, device, opts.intraOpThreads ?? 0);
    sessions.set(key, p);
    // A failed open must not poison the cache: the user may fix the file.
    p.catch(() => sessions.delete(key));
  }
  return p;
}

async function openSession(modelPath: string, device: OnnxDevice, threads: number): Promise<InferenceSessionLike> {
  try {
    await access(modelPath);
  } catch {
    throw new ModelFileError(modelPath, 'file not found');
  }
  const ort = await loadOrt();
  if (device === 'cuda' && !(await availableDevices()).includes('cuda')) throw new CudaUnavailableError();
  const bytes = await readFile(modelPath);
  try {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [device],
      ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    });
    // ort's Tensor carries GPU-location fields the pipelines never touch; the
    // structural cast keeps pipelines independent of onnxruntime's types.
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: async (feeds) =>
        (await session.run(feeds as unknown as Parameters<typeof session.run>[0])) as unknown as Record<string, TensorLike>,
    };
  } catch (err) {
    throw new ModelFileError(modelPath, (err as Error).message);
  }
}

/** A TensorFactory backed by the real onnxruntime Tensor class. */
export async function ortTensorFactory(): Promise<TensorFactory> {
  const ort = await loadOrt();
  return (type, data, dims): TensorLike => new ort.Tensor(type, data as never, [...dims]) as unknown as TensorLike;
}
