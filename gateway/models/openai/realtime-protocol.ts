/**
 * The OpenAI Realtime wire protocol, both dialects: the beta one
 * (`OpenAI-Beta: realtime=v1`, `session.modalities`, `response.text.delta`)
 * and the GA one (`session.type: "realtime"`, `output_modalities`,
 * `response.output_text.delta`). Client events are built for the dialect in
 * use; server events of either dialect are accepted, because compatible
 * servers mix them.
 */
import type { RealtimeUpstreamEvent } from '../spec/realtime-model-v1.js';

/** Which dialect to speak. */
export type RealtimeDialect = 'beta' | 'ga';

/** Session settings the adapter controls. */
export interface RealtimeSessionSettings {
  /** Dialect of the client events. */
  readonly dialect: RealtimeDialect;
  /** Output modalities; evaluation wants `text` (cheaper, and the answer is text anyway). */
  readonly outputModalities: readonly ('text' | 'audio')[];
  /** System instructions. */
  readonly instructions?: string;
  /** Input transcription model (e.g. `whisper-1`, `gpt-4o-transcribe`); off when undefined. */
  readonly transcriptionModel?: string;
  /** Language hint for input transcription. */
  readonly transcriptionLanguage?: string;
  /** `server_vad` lets the upstream segment turns; `none` means the gateway commits. */
  readonly turnDetection: 'none' | 'server_vad' | 'semantic_vad';
  /** Upper bound on output tokens per response. */
  readonly maxOutputTokens?: number;
  /** PCM16 input rate. */
  readonly inputSampleRateHz: number;
}

/** The `session.update` client event for the dialect. */
export function sessionUpdateEvent(s: RealtimeSessionSettings): Record<string, unknown> {
  const transcription = s.transcriptionModel
    ? { model: s.transcriptionModel, ...(s.transcriptionLanguage ? { language: s.transcriptionLanguage } : {}) }
    : undefined;
  const turnDetection = s.turnDetection === 'none' ? null : { type: s.turnDetection };
  if (s.dialect === 'beta') {
    const session: Record<string, unknown> = { modalities: [...s.outputModalities] };
    if (s.instructions !== undefined) session.instructions = s.instructions;
    session.input_audio_format = 'pcm16';
    if (transcription) session.input_audio_transcription = transcription;
    session.turn_detection = turnDetection;
    if (s.maxOutputTokens !== undefined) session.max_response_output_tokens = s.maxOutputTokens;
    return { type: 'session.update', session };
  }
  const input: Record<string, unknown> = { format: { type: 'audio/pcm', rate: s.inputSampleRateHz } };
  if (transcription) input.transcription = transcription;
  input.turn_detection = turnDetection;
  const session: Record<string, unknown> = { type: 'realtime', output_modalities: [...s.outputModalities] };
  if (s.instructions !== undefined) session.instructions = s.instructions;
  session.audio = { input };
  if (s.maxOutputTokens !== undefined) session.max_output_tokens = s.maxOutputTokens;
  return { type: 'session.update', session };
}

/** A user text item (a prompt that goes with the audio). */
export function userTextItemEvent(text: string): Record<string, unknown> {
  return { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } };
}

interface ServerEvent {
  type?: string;
  response_id?: string;
  delta?: string;
  transcript?: string;
  item_id?: string;
  audio_start_ms?: number;
  audio_end_ms?: number;
  error?: { message?: string; code?: string | null; type?: string; event_id?: string | null };
  response?: {
    id?: string;
    status?: string;
    status_details?: { type?: string; reason?: string; error?: { message?: string; code?: string; type?: string } } | null;
    output?: Array<{ content?: Array<{ type?: string; text?: string; transcript?: string }> }>;
  };
}

/**
 * Turns raw server events into normalised ones. Stateful: it accumulates the
 * deltas of the response in progress so that `response-done` carries the full
 * answer even when the upstream's `response.done` omits it.
 */
export class RealtimeEventTranslator {
  /** Text and transcript so far, per response id ('' for servers that send none). */
  readonly #acc = new Map<string, { text: string; transcript: string }>();

  #of(id: string | undefined): { text: string; transcript: string } {
    const key = id ?? '';
    let a = this.#acc.get(key);
    if (!a) this.#acc.set(key, (a = { text: '', transcript: '' }));
    return a;
  }

  /** Normalised events for one raw server event (zero, one or two). */
  translate(raw: unknown): RealtimeUpstreamEvent[] {
    const ev = raw as ServerEvent;
    const rid = ev.response_id ? { responseId: ev.response_id } : {};
    switch (ev.type) {
      case 'input_audio_buffer.speech_started':
        return [{ type: 'speech-started', audioStartMs: ev.audio_start_ms }];
      case 'input_audio_buffer.speech_stopped':
        return [{ type: 'speech-stopped', audioEndMs: ev.audio_end_ms }];
      case 'response.created':
        return ev.response?.id ? [{ type: 'response-created', responseId: ev.response.id }] : [];
      case 'response.audio_transcript.delta':
      case 'response.output_audio_transcript.delta':
        if (!ev.delta) return [];
        this.#of(ev.response_id).transcript += ev.delta;
        return [{ type: 'transcript-delta', delta: ev.delta, ...rid }];
      // Output audio: beta `response.audio.delta`, GA `response.output_audio.delta`; base64 PCM16.
      case 'response.audio.delta':
      case 'response.output_audio.delta':
        if (!ev.delta) return [];
        return [{ type: 'audio-delta', data: Buffer.from(ev.delta, 'base64'), ...rid }];
      case 'response.text.delta':
      case 'response.output_text.delta':
        if (!ev.delta) return [];
        this.#of(ev.response_id).text += ev.delta;
        return [{ type: 'text-delta', delta: ev.delta, ...rid }];
      case 'conversation.item.input_audio_transcription.completed':
        return [{ type: 'input-transcript', text: ev.transcript ?? '', itemId: ev.item_id }];
      case 'conversation.item.input_audio_transcription.failed':
        return [{ type: 'error', message: `input transcription failed: ${ev.error?.message ?? 'unknown'}`, code: 'input_transcription_failed' }];
      case 'error':
        return [
          {
            type: 'error',
            message: ev.error?.message ?? 'unknown upstream error',
            code: ev.error?.code ?? ev.error?.type ?? undefined,
            ...(ev.error?.event_id ? { clientEventId: ev.error.event_id } : {}),
          },
        ];
      case 'response.done':
        return this.#done(ev, raw);
      default:
        return [];
    }
  }

  #done(ev: ServerEvent, raw: unknown): RealtimeUpstreamEvent[] {
    const id = ev.response?.id;
    const acc = this.#acc.get(id ?? '');
    // A server that sends ids on response.done but not on deltas kept them under ''.
    const fallback = id ? this.#acc.get('') : undefined;
    let text = acc?.text || acc?.transcript || fallback?.text || fallback?.transcript || '';
    if (!text) {
      // Some servers send only the final response object, without deltas.
      for (const item of ev.response?.output ?? []) {
        for (const c of item.content ?? []) text += c.text ?? c.transcript ?? '';
      }
    }
    this.#acc.delete(id ?? '');
    if (fallback) this.#acc.delete('');
    const out: RealtimeUpstreamEvent[] = [];
    const status = ev.response?.status;
    if (status === 'failed') {
      const e = ev.response?.status_details?.error;
      out.push({
        type: 'error',
        message: `response failed: ${e?.message ?? 'no detail'}`,
        code: e?.code ?? e?.type ?? 'response_failed',
        ...(id ? { responseId: id } : {}),
      });
    }
    out.push({
      type: 'response-done',
      text,
      raw,
      ...(id ? { responseId: id } : {}),
      ...(status === 'cancelled' || status === 'incomplete' ? { status } : {}),
      ...((status === 'cancelled' || status === 'incomplete') && ev.response?.status_details?.reason
        ? { statusReason: ev.response.status_details.reason }
        : {}),
    });
    return out;
  }
}

/** Whether an upstream error code is worth retrying (rate limits and server-side failures). */
export function isRetryableRealtimeCode(code: string | undefined): boolean {
  if (!code) return true;
  return /rate_limit|server_error|overloaded|timeout|upstream_closed|internal/i.test(code);
}
