import { resolve } from 'node:path';
import { EvalgateError } from '../errors.js';
import type { SpokenAudio } from '../models/spec/model-v1.js';
import { scrubPaths } from '../runner/build-request.js';
import { hearSpokenAnswer } from '../runner/hear-spoken-answer.js';
import type { SpokenReplyMeasures } from './live-event.js';
import type { LiveHearing } from './live-hearing.js';
import type { ResponseOutcome } from './live-response.js';

/** A spoken reply as heard: the expert's transcript (the turn's answer) and its measures. */
export interface HeardReply {
  readonly transcript: string;
  readonly measures: SpokenReplyMeasures;
  /** The stored FLAC (a server path). */
  readonly mediaPath: string;
}

/** A spoken reply that cannot be scored, with the code batch runs store for it. */
export class UnheardReply extends Error {
  readonly code: 'no-speech' | 'transcribe';
  readonly error: EvalgateError;
  constructor(code: 'no-speech' | 'transcribe', modelId: string, detail: string) {
    super(detail);
    this.code = code;
    this.error = new EvalgateError('EVALGATE_ERR_MODEL_CALL_FAILED', { model: modelId, detail: `${code}: ${detail}` });
  }
}

/**
 * Hears one spoken reply of a live session: stores its audio as FLAC under
 * `<mediaDir>/<session id>/` (named by a hash of the assistant item id), has
 * the session's ASR expert transcribe it (ffmpeg and the expert run off the
 * event loop), and times it from the turn's end of speech. `offsetMs` is the
 * time from the end of speech to the call whose clock the chunks' arrival
 * times use. Throws an UnheardReply for a reply without audio (`no-speech`)
 * or one that cannot be decoded or transcribed (`transcribe`, its message
 * free of server paths); rethrows when `signal` aborted.
 */
export async function hearLiveReply(
  audio: SpokenAudio | undefined,
  hearing: LiveHearing,
  at: { readonly sessionId: string; readonly outputItemId: string; readonly modelId: string; readonly offsetMs: number; readonly signal: AbortSignal },
): Promise<HeardReply> {
  if (!audio) throw new UnheardReply('no-speech', at.modelId, 'asked to answer in speech, the model answered without audio');
  let heard;
  try {
    heard = await hearSpokenAnswer(
      audio,
      { asr: hearing.asr, mediaDir: hearing.mediaDir },
      { runId: at.sessionId, sampleKey: at.outputItemId, signal: at.signal },
    );
  } catch (err) {
    if (at.signal.aborted) throw err;
    // Sent to the client and stored: no server path of the media folder.
    const detail = scrubPaths(`the spoken reply could not be transcribed: ${(err as Error).message}`, resolve(hearing.mediaDir));
    throw new UnheardReply('transcribe', at.modelId, detail);
  }
  const lastMs = heard.lastAudioMs + at.offsetMs;
  return {
    transcript: heard.transcript,
    mediaPath: heard.mediaPath,
    measures: {
      firstAudioMs: round2(heard.firstAudioMs + at.offsetMs),
      audioSeconds: round4(heard.audioSeconds),
      realTimeFactor: heard.audioSeconds > 0 ? round4(lastMs / 1000 / heard.audioSeconds) : null,
      textSpeechWer: heard.textSpeechWer,
      selfTranscript: heard.selfTranscript,
    },
  };
}

/**
 * The outcome of a completed spoken reply: `done` with the expert's transcript
 * as its text and the reply's measures, or a failure (`no-speech`,
 * `transcribe`) that is never scored. Rethrows when `at.signal` aborted.
 */
export async function hearOutcome(
  done: ResponseOutcome,
  audio: SpokenAudio | undefined,
  hearing: LiveHearing,
  at: Parameters<typeof hearLiveReply>[2],
): Promise<ResponseOutcome> {
  try {
    const heard = await hearLiveReply(audio, hearing, at);
    return { ...done, text: heard.transcript, speech: heard.measures, spokenMediaPath: heard.mediaPath };
  } catch (err) {
    if (!(err instanceof UnheardReply)) throw err;
    // The model's own transcript is never the answer, not even a failed turn's.
    return { status: 'failed', text: '', firstMs: done.firstMs, error: err.error, failureCode: err.code };
  }
}

/** The measures as an utterance's score row keys, named as batch runs name their per-sample rows. */
export function spokenReplyScores(m: SpokenReplyMeasures): Record<string, number> {
  return {
    speech_first_audio_ms: m.firstAudioMs,
    speech_audio_s: m.audioSeconds,
    ...(m.realTimeFactor !== null ? { speech_rtf: m.realTimeFactor } : {}),
    ...(m.textSpeechWer !== null ? { text_speech_wer: m.textSpeechWer } : {}),
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
