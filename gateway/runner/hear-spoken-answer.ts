import { join } from 'node:path';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { getNormalizer } from '../../scorers/normalizers/normalizer-registry.js';
import { wer } from '../../scorers/wer/word-error-rate.js';
import { decodeAudioBuffer } from '../media/decode-audio.js';
import { pcm16AsWav } from '../models/media/pcm16-wav.js';
import type { ModelV1, SpokenAudio } from '../models/spec/model-v1.js';
import { storeFlac } from './store-flac.js';

// A spoken answer (issue 17) is scored from its audio: stored as FLAC beside
// the run, transcribed by a local ASR expert, and that transcript is the
// answer. The transcript the model sent about its own speech is never the
// answer; it is compared with what the expert heard (text–speech consistency,
// as URO-Bench reports it).

/** Where spoken answers go and who listens to them. */
export interface SpokenAnswerSettings {
  /** The local ASR expert (pocketsphinx, ONNX CTC, Whisper ONNX). */
  readonly asr: ModelV1;
  /** Folder of stored answers; each run gets a subfolder. */
  readonly mediaDir: string;
}

/** What was heard in one spoken answer. */
export interface HeardAnswer {
  /** The expert's transcript: the answer that is scored. */
  readonly transcript: string;
  /** The model's own transcript, when it sent one. */
  readonly selfTranscript: string | null;
  /** WER of the expert's transcript against the model's own text (both through Whisper's basic normalizer); null without a self transcript. */
  readonly textSpeechWer: number | null;
  /** The stored FLAC. */
  readonly mediaPath: string;
  /** Length of the spoken answer, s. */
  readonly audioSeconds: number;
  /** First audio chunk, ms after the request was sent (after the commit, for realtime upstreams). */
  readonly firstAudioMs: number;
  /** Last audio chunk, ms after the same origin. */
  readonly lastAudioMs: number;
  /** Every chunk as it arrived: [byte offset in the reply's audio, ms after the same origin]. */
  readonly chunks: ReadonlyArray<readonly [number, number]>;
}

const basic = getNormalizer('whisper-basic');

/** WER of `heard` against `said`, both normalised; null when the model sent no text of its own. */
export function textSpeechWer(said: string | null | undefined, heard: string): number | null {
  if (said === null || said === undefined) return null;
  const ref = basic.normalize(said);
  if (ref.trim() === '') return null;
  return wer(ref, basic.normalize(heard));
}

/**
 * Stores the answer's audio as FLAC (16 kHz mono, what the expert hears) in
 * `<mediaDir>/<runId>/`, then transcribes it. Throws when the audio cannot
 * be decoded or the expert fails; the caller records the sample as failed.
 */
export async function hearSpokenAnswer(
  audio: SpokenAudio,
  settings: SpokenAnswerSettings,
  at: { readonly runId: string; readonly sampleKey: string; readonly signal?: AbortSignal },
): Promise<HeardAnswer> {
  if (audio.mimeType === 'audio/pcm' && !audio.sampleRateHz) throw new Error('a raw PCM spoken answer came without its sample rate');
  const bytes = audio.mimeType === 'audio/pcm' ? pcm16AsWav(audio.data, audio.sampleRateHz!) : audio.data;
  const decoded = await decodeAudioBuffer(bytes, { sampleRateHz: 16_000, signal: at.signal, label: `spoken answer of ${at.sampleKey}` });
  const wav = encodeWav16(decoded.samples, decoded.sampleRateHz);

  const mediaPath = await storeFlac(wav, join(settings.mediaDir, at.runId), at.sampleKey, at.signal);

  const heard = await settings.asr.doGenerate({
    parts: [
      {
        type: 'audio',
        data: wav,
        mimeType: 'audio/wav',
        samples: decoded.samples,
        sampleRateHz: decoded.sampleRateHz,
        durationS: decoded.durationS,
        path: mediaPath,
      },
    ],
    signal: at.signal,
  });
  const selfTranscript = audio.selfTranscript ?? null;
  const first = audio.chunks[0]?.arrivedMs ?? 0;
  const last = audio.chunks[audio.chunks.length - 1]?.arrivedMs ?? first;
  return {
    transcript: heard.text,
    selfTranscript,
    textSpeechWer: textSpeechWer(selfTranscript, heard.text),
    mediaPath,
    audioSeconds: decoded.durationS,
    firstAudioMs: first,
    lastAudioMs: last,
    chunks: audio.chunks.map((c) => [c.byteOffset, Math.round(c.arrivedMs * 10) / 10] as const),
  };
}
