import { PassThrough, Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { EvalgateError } from '../errors.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import { assertReadableFile } from './probe-media.js';

/** Sample encodings {@link decodeAudioStream} can produce. */
export type PcmFormat = 'f32' | 's16';

/** Options of the audio decoders. */
export interface DecodeAudioOptions {
  /** Output sample rate (default 16000, what ASR models and Silero VAD expect). */
  readonly sampleRateHz?: number;
  /** `f32` (default): Float32 in [-1, 1]; `s16`: 16-bit PCM. */
  readonly format?: PcmFormat;
  /** Samples per yielded chunk (default: one second); the last chunk may be shorter. */
  readonly chunkSamples?: number;
  /** Stops ffmpeg and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A whole decoded clip. */
export interface DecodedAudio {
  /** Mono samples in [-1, 1]. */
  readonly samples: Float32Array;
  /** Their sample rate. */
  readonly sampleRateHz: number;
  /** samples.length / sampleRateHz. */
  readonly durationS: number;
}

// Bounded: ffmpeg blocks on its stdout pipe when the consumer is slower than decoding.
const pipeHighWaterMarkBytes = 256 * 1024;

function checkOptions(opts: DecodeAudioOptions): { sampleRateHz: number; format: PcmFormat; chunkSamples: number } {
  const sampleRateHz = opts.sampleRateHz ?? 16_000;
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1000 || sampleRateHz > 384_000) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `sampleRateHz must be an integer in [1000, 384000], got ${sampleRateHz}` });
  }
  const format = opts.format ?? 'f32';
  if (format !== 'f32' && format !== 's16') {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `format must be f32 or s16, got ${String(format)}` });
  }
  const chunkSamples = opts.chunkSamples ?? sampleRateHz;
  if (!Number.isInteger(chunkSamples) || chunkSamples < 1) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `chunkSamples must be a positive integer, got ${chunkSamples}` });
  }
  return { sampleRateHz, format, chunkSamples };
}

function toSamples(bytes: Buffer, format: PcmFormat): Float32Array | Int16Array {
  // Copy into a fresh, aligned buffer: a Buffer slice may start at any byte offset.
  const out = format === 'f32' ? new Float32Array(bytes.length / 4) : new Int16Array(bytes.length / 2);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * The shared decoder: ffmpeg (through fluent-ffmpeg) downmixes the first audio
 * stream to mono with `-ac 1` and resamples with `-ar`, exactly like Whisper's
 * `load_audio`, writing raw PCM to a bounded pipe.
 */
async function* decodePcm(source: string | Readable, label: string, opts: DecodeAudioOptions): AsyncGenerator<Float32Array | Int16Array, void, undefined> {
  const { sampleRateHz, format, chunkSamples } = checkOptions(opts);
  const { signal } = opts;
  signal?.throwIfAborted();
  await resolveFfmpeg();
  const bytesPerSample = format === 'f32' ? 4 : 2;
  const chunkBytes = chunkSamples * bytesPerSample;

  // emitClose/autoDestroy off: fluent-ffmpeg reports "Output stream closed" as an error when the
  // pipe closes before it has seen the process exit (a race under load). We want the exit status.
  const sink = new PassThrough({ emitClose: false, autoDestroy: false, highWaterMark: pipeHighWaterMarkBytes });
  const command = ffmpeg(source)
    .inputOptions(typeof source === 'string' ? ['-nostdin'] : [])
    .outputOptions([
      '-map',
      '0:a:0',
      '-vn',
      '-sn',
      '-dn',
      '-ac',
      '1',
      '-ar',
      String(sampleRateHz),
      '-c:a',
      format === 'f32' ? 'pcm_f32le' : 'pcm_s16le',
      '-f',
      format === 'f32' ? 'f32le' : 's16le',
    ]);
  let finished = false;
  const done = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (err: Error) => reject(err));
  });
  done.catch(() => {}); // observed below; this only stops an early `return()` from leaving it unhandled
  const onAbort = (): void => {
    command.kill('SIGKILL');
    sink.destroy(signal?.reason as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  command.pipe(sink, { end: true });

  try {
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of sink as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= chunkBytes) {
        yield toSamples(pending.subarray(0, chunkBytes), format);
        pending = pending.subarray(chunkBytes);
      }
    }
    try {
      await done;
    } catch (err) {
      signal?.throwIfAborted();
      const detail = (err as Error).message.replace(/^ffmpeg exited with code \d+:\s*/, '').trim();
      throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: label, detail: detail || 'ffmpeg failed' }, { cause: err });
    }
    finished = true;
    const tailBytes = pending.length - (pending.length % bytesPerSample);
    if (tailBytes > 0) yield toSamples(pending.subarray(0, tailBytes), format);
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) command.kill('SIGKILL');
    sink.destroy();
  }
}

/**
 * Streams the first audio stream of any file ffmpeg reads as mono PCM at
 * `sampleRateHz`, in chunks of `chunkSamples`. Memory stays bounded whatever
 * the file's length: ffmpeg waits while the consumer is busy. A missing file
 * fails with EVALGATE_ERR_MEDIA_NOT_FOUND, a corrupt or audio-less one with
 * EVALGATE_ERR_MEDIA_DECODE_FAILED naming it.
 */
export async function* decodeAudioStream(path: string, opts: DecodeAudioOptions = {}): AsyncGenerator<Float32Array | Int16Array, void, undefined> {
  checkOptions(opts);
  await assertReadableFile(path);
  yield* decodePcm(path, path, opts);
}

async function collect(chunks: AsyncIterable<Float32Array | Int16Array>, sampleRateHz: number): Promise<DecodedAudio> {
  const parts: Float32Array[] = [];
  let total = 0;
  for await (const c of chunks) {
    parts.push(c as Float32Array);
    total += c.length;
  }
  const samples = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    at += p.length;
  }
  return { samples, sampleRateHz, durationS: total / sampleRateHz };
}

/** Decodes a whole (short) file to mono Float32; use {@link decodeAudioStream} for long ones. */
export async function decodeAudioFile(path: string, opts: Omit<DecodeAudioOptions, 'format'> = {}): Promise<DecodedAudio> {
  const sampleRateHz = opts.sampleRateHz ?? 16_000;
  return collect(decodeAudioStream(path, { ...opts, format: 'f32', chunkSamples: opts.chunkSamples ?? 1 << 16 }), sampleRateHz);
}

/**
 * Decodes in-memory audio (e.g. base64 audio sent by a client) through
 * ffmpeg's stdin. Containers that need seeking (MP4 with its index at the end)
 * cannot be read from a pipe; WAV, FLAC, MP3, Ogg/Opus and WebM can.
 */
export async function decodeAudioBuffer(bytes: Uint8Array, opts: Omit<DecodeAudioOptions, 'format'> & { readonly label?: string } = {}): Promise<DecodedAudio> {
  const sampleRateHz = opts.sampleRateHz ?? 16_000;
  if (bytes.byteLength === 0) {
    throw new EvalgateError('EVALGATE_ERR_MEDIA_DECODE_FAILED', { path: opts.label ?? '(in-memory audio)', detail: 'no bytes' });
  }
  const source = Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  return collect(decodePcm(source, opts.label ?? '(in-memory audio)', { ...opts, format: 'f32', chunkSamples: opts.chunkSamples ?? 1 << 16 }), sampleRateHz);
}
