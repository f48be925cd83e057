import { EvalgateError } from '../../errors.js';
import { ModelCallError } from '../spec/model-call-error.js';
import { WavFormatError } from '../../../experts/audio-features/wav-file.js';
import { FrameIndexError } from '../../../scorers/frames/frame-indices.js';
import { ImageDecodeError } from '../../../experts/ocr/decode-image.js';

/**
 * Maps what the scorers' local experts throw (plain Error subclasses: they may
 * not import gateway/) to registry errors. Failures to load weights are
 * configuration problems; failures on one input are failed calls.
 */
export function localLoadError(err: unknown, where: string): Error {
  if (err instanceof EvalgateError) return err;
  const e = err as Error & { path?: string };
  if (e?.name === 'DeviceUnavailableError') return deviceUnavailable(e);
  if (['ModelFileError', 'AsrModelError', 'PpocrModelsNotFoundError'].includes(e?.name)) {
    return new EvalgateError('EVALGATE_ERR_MODEL_FILE_INVALID', { path: e.path ?? where, detail: e.message }, { cause: err });
  }
  return new EvalgateError('EVALGATE_ERR_MODEL_FILE_INVALID', { path: where, detail: e instanceof Error ? e.message : String(err) }, { cause: err });
}

/** The registry error for a scorer's `DeviceUnavailableError`, keeping the device and reason. */
export function deviceUnavailable(err: Error & { device?: string; reason?: string }): EvalgateError {
  return new EvalgateError('EVALGATE_ERR_DEVICE_UNAVAILABLE', { device: err.device ?? 'the device', detail: err.reason ?? err.message }, { cause: err });
}

/**
 * An error while running one input: an abort is retryable; an input the
 * expert cannot read (undecodable or oversized image, bad WAV, impossible
 * frame indices) is typed `input` by its class, never by its name string; anything
 * else is a failed call.
 */
export function localCallError(err: unknown, signal: AbortSignal | undefined): Error {
  if (err instanceof EvalgateError || err instanceof ModelCallError) return err;
  if (signal?.aborted) return new ModelCallError(`Request aborted (${String(signal.reason)})`, { retryable: true, cause: err });
  if (err instanceof ImageDecodeError || err instanceof WavFormatError || err instanceof FrameIndexError) {
    return new ModelCallError(`Unusable input: ${err.message}`, { retryable: false, kind: 'input', cause: err });
  }
  return new ModelCallError(`Local model failed: ${err instanceof Error ? err.message : String(err)}`, { retryable: false, cause: err });
}
