import { existsSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Onnxruntime from 'onnxruntime-node';
import type { InferenceSessionLike, TensorFactory, TensorLike } from './inference-session-like.js';

/**
 * Where to run a model. `cuda` needs onnxruntime-node's CUDA provider files
 * (fetched by its install script, so absent from an offline install);
 * `webgpu` is built into the binding and runs on any GPU Dawn can drive
 * (Vulkan on Linux), with no extra files.
 */
export type OnnxDevice = 'cpu' | 'cuda' | 'webgpu';

/** Every device name, in the order `--device` lists them. */
export const onnxDevices: readonly OnnxDevice[] = ['cpu', 'cuda', 'webgpu'];

/** Whether a string names an {@link OnnxDevice}. */
export function isOnnxDevice(name: string): name is OnnxDevice {
  return (onnxDevices as readonly string[]).includes(name);
}

/** Options for opening a model. */
export interface OpenSessionOptions {
  /** Execution provider (default `cpu`); see {@link OnnxDevice}. */
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

/** Raised when a GPU device is asked for but the runtime cannot use it here. */
export class DeviceUnavailableError extends Error {
  constructor(
    /** The device asked for. */
    readonly device: OnnxDevice,
    /** Why it cannot be used: the provider files are missing, or onnxruntime's own load error. */
    readonly reason: string,
  ) {
    super(`ONNX Runtime cannot run on ${device} here: ${reason}. ${deviceHint[device]}`);
    this.name = 'DeviceUnavailableError';
  }
}

const deviceHint: Record<OnnxDevice, string> = {
  cpu: '',
  cuda:
    'On a GPU machine with internet, run `npm install onnxruntime-node` without ONNXRUNTIME_NODE_INSTALL=skip ' +
    '(its install script fetches the CUDA 12 provider files), or use --device cpu.',
  webgpu: 'It needs a GPU with a Vulkan driver (Linux) that Dawn accepts; or use --device cpu.',
};

type Ort = typeof Onnxruntime;
let ortPromise: Promise<Ort> | undefined;

/** onnxruntime-node, loaded once and only when a model is first needed. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node');
  return ortPromise;
}

/**
 * The folder holding onnxruntime-node's native binding for this platform; its
 * install script puts the CUDA provider libraries there when it fetches them.
 */
export function ortBindingDir(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** The provider libraries the CUDA backend loads at session creation. */
function cudaProviderFiles(): string[] {
  const [prefix, ext] = process.platform === 'win32' ? ['', '.dll'] : ['lib', '.so'];
  return ['providers_shared', 'providers_cuda'].map((n) => join(ortBindingDir(), `${prefix}onnxruntime_${n}${ext}`));
}

/**
 * Devices the installed onnxruntime-node offers. The Linux x64 binding always
 * lists `cuda` (compiled in, `bundled: false`), but it only works once the
 * provider libraries are installed beside it, so an unbundled backend counts
 * only when those files are there. `webgpu` is listed when built in; whether
 * this machine has a GPU for it shows only when a session opens (see
 * `evalgate doctor --probe-devices`).
 */
export async function availableDevices(): Promise<OnnxDevice[]> {
  const ort = await loadOrt();
  const listed = ort.listSupportedBackends();
  const usable = (name: string): boolean =>
    listed.some((b) => b.name === name && (b.bundled || (name === 'cuda' && cudaProviderFiles().every((f) => existsSync(f)))));
  return onnxDevices.filter(usable);
}

/**
 * A session-creation failure that comes from the device (loading the CUDA
 * provider or CUDA itself, or finding no WebGPU adapter), not from the model.
 */
export function isProviderLoadFailure(message: string): boolean {
  return /providers_(shared|cuda)|AppendExecutionProvider_Cuda|libcu(dart|blas|dnn|fft)|CUDA failure|cudaError|WebGPU adapter|WebGpuContext|dawn[/_]native/i.test(
    message,
  );
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
  if (!(await availableDevices()).includes(device)) {
    throw new DeviceUnavailableError(device, device === 'cuda' ? 'its CUDA provider files are not installed' : 'this onnxruntime-node build lacks it');
  }
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
      run: async (feeds) => (await session.run(feeds as unknown as Parameters<typeof session.run>[0])) as unknown as Record<string, TensorLike>,
    };
  } catch (err) {
    const message = (err as Error).message;
    // With the provider files present, CUDA can still fail to load (no driver,
    // a missing libcudart/cuDNN), and WebGPU can find no adapter: say so
    // instead of blaming the model file.
    if (device !== 'cpu' && isProviderLoadFailure(message)) throw new DeviceUnavailableError(device, firstLine(message));
    throw new ModelFileError(modelPath, message);
  }
}

/** onnxruntime's messages carry colour codes and multi-line logs; keep the gist. */
function firstLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  const failed = /Failed to [^\n]*/.exec(plain)?.[0];
  return (failed ?? plain.split('\n').find((l) => /error/i.test(l)) ?? plain.split('\n')[0] ?? '').trim().slice(0, 300);
}

/** A TensorFactory backed by the real onnxruntime Tensor class. */
export async function ortTensorFactory(): Promise<TensorFactory> {
  const ort = await loadOrt();
  return (type, data, dims): TensorLike => new ort.Tensor(type, data as never, [...dims]) as unknown as TensorLike;
}
