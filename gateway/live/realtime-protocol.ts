import { randomUUID } from 'node:crypto';
import { EvalgateError } from '../errors.js';
import type { ModelInputPart } from '../models/spec/model-v1.js';
import { checkAudioFormat, concatPcm16, decodeBase64Pcm16 } from './audio-format.js';
import { decodeImageData } from './decode-image-data.js';
import type { LiveEvent, SpokenReplyMeasures, TurnDetection } from './live-event.js';
import type { LiveSession } from './live-session.js';
import type { WireProtocol } from './live-socket.js';
import { findBoundSample, parseSampleRef } from './sample-binding.js';

/** Which generation of the Realtime API the client speaks; server event names differ. */
export type RealtimeFlavor = 'beta' | 'ga';

/** Event names that differ between the beta and GA APIs. */
const names = {
  beta: {
    textDelta: 'response.text.delta',
    textDone: 'response.text.done',
    audioDelta: 'response.audio.delta',
    itemAdded: 'conversation.item.created',
    textPart: 'text',
  },
  ga: {
    textDelta: 'response.output_text.delta',
    textDone: 'response.output_text.done',
    audioDelta: 'response.output_audio.delta',
    itemAdded: 'conversation.item.added',
    textPart: 'output_text',
  },
} as const;

/** Client events of the Realtime API the gateway knows but does not implement. */
const unsupported = new Set([
  'conversation.item.delete',
  'conversation.item.truncate',
  'conversation.item.retrieve',
  'output_audio_buffer.clear',
  'transcription_session.update',
]);

const eventId = (): string => `event_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

/** An error that remembers the client event it answers. */
function withEvent(err: unknown, clientEventId: string | undefined): unknown {
  if (clientEventId && err && typeof err === 'object') (err as { clientEventId?: string }).clientEventId = clientEventId;
  return err;
}

interface ParsedTurnDetection {
  type?: unknown;
  threshold?: unknown;
  silence_duration_ms?: unknown;
  prefix_padding_ms?: unknown;
  eagerness?: unknown;
  create_response?: unknown;
  interrupt_response?: unknown;
  idle_timeout_ms?: unknown;
}

/** semantic_vad's eagerness → the silence that ends a turn (there is no semantic model here). */
const eagernessSilenceMs = { low: 1200, medium: 600, auto: 600, high: 300 } as const;

function parseTurnDetection(td: unknown, param: string): TurnDetection {
  if (td === null) return null;
  const t = td as ParsedTurnDetection;
  if (typeof t !== 'object' || (t.type !== 'server_vad' && t.type !== 'semantic_vad')) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param}: only {"type":"server_vad"}, {"type":"semantic_vad"} or null is supported`, param });
  }
  const num = (v: unknown, d: number, min: number, max: number, name: string): number => {
    if (v === undefined || v === null) return d;
    if (typeof v !== 'number' || v < min || v > max)
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param}.${name} must be a number in [${min}, ${max}]`, param });
    return v;
  };
  const flag = (v: unknown, d: boolean, name: string): boolean => {
    if (v === undefined || v === null) return d;
    if (typeof v !== 'boolean') throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param}.${name} must be true or false`, param });
    return v;
  };
  // Accepted for compatibility; the gateway never ends a turn on idle time.
  num(t.idle_timeout_ms, 0, 0, 86_400_000, 'idle_timeout_ms');
  const common = {
    createResponse: flag(t.create_response, true, 'create_response'),
    // OpenAI's default is true; an evaluation gateway keeps every answer unless the client asks for barge-in.
    interruptResponse: flag(t.interrupt_response, false, 'interrupt_response'),
  };
  if (t.type === 'semantic_vad') {
    const eagerness = t.eagerness ?? 'auto';
    if (typeof eagerness !== 'string' || !Object.hasOwn(eagernessSilenceMs, eagerness)) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${param}.eagerness must be low, medium, high or auto`, param });
    }
    const e = eagerness as keyof typeof eagernessSilenceMs;
    return { type: 'semantic_vad', eagerness: e, threshold: 0.5, silenceDurationMs: eagernessSilenceMs[e], prefixPaddingMs: 300, ...common };
  }
  return {
    type: 'server_vad',
    threshold: num(t.threshold, 0.5, 0, 1, 'threshold'),
    silenceDurationMs: num(t.silence_duration_ms, 500, 0, 10_000, 'silence_duration_ms'),
    prefixPaddingMs: num(t.prefix_padding_ms, 300, 0, 5_000, 'prefix_padding_ms'),
    ...common,
  };
}

/** The Realtime API's error type for a registry code: the server's fault, or the request's. */
function errorType(code: string): 'server_error' | 'invalid_request_error' {
  const server = code === 'EVALGATE_ERR_INTERNAL' || code.startsWith('EVALGATE_ERR_MODEL') || code === 'EVALGATE_ERR_DB_UNAVAILABLE';
  return server ? 'server_error' : 'invalid_request_error';
}

/** The turn_detection object echoed in session events. */
function turnDetectionJson(td: TurnDetection): Record<string, unknown> | null {
  if (!td) return null;
  const common = { create_response: td.createResponse, interrupt_response: td.interruptResponse };
  return td.type === 'semantic_vad'
    ? { type: 'semantic_vad', eagerness: td.eagerness ?? 'auto', ...common }
    : { type: 'server_vad', threshold: td.threshold, silence_duration_ms: td.silenceDurationMs, prefix_padding_ms: td.prefixPaddingMs, ...common };
}

function parseImage(url: unknown): ModelInputPart {
  // MIME types are case-insensitive; base64 may be line-wrapped (Python's encodebytes).
  const m = typeof url === 'string' ? /^data:(image\/[a-z0-9+.-]+);base64,([A-Za-z0-9+/\r\n]*={0,2})\s*$/i.exec(url) : null;
  if (!m)
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'input_image.image_url must be a data: URL with base64 image bytes', param: 'item.content' });
  // As in the native protocol: empty or non-image bytes never reach the model; typed by their bytes.
  const image = decodeImageData(m[2]!.replace(/\r/g, ''), 'input_image.image_url');
  return { type: 'image', mimeType: image.mimeType, data: image.data };
}

/**
 * The OpenAI Realtime protocol (beta and GA event names), translated to a
 * LiveSession. Text output only: the model's transcript or answer arrives as
 * text deltas; `response.done` carries the whole text plus an `evalgate`
 * object with latency (and scores for evaluator keys).
 */
export class RealtimeProtocol implements WireProtocol {
  readonly name = 'realtime';
  readonly sessionConfig: Record<string, unknown>;
  readonly #flavor: RealtimeFlavor;
  readonly #model: string;

  constructor(opts: { flavor: RealtimeFlavor; model: string }) {
    this.#flavor = opts.flavor;
    this.#model = opts.model;
    this.sessionConfig = { flavor: opts.flavor };
  }

  #session(s: LiveSession): Record<string, unknown> {
    const td = turnDetectionJson(s.turnDetection);
    const rate = s.format.sampleRateHz;
    return this.#flavor === 'beta'
      ? {
          id: s.id,
          object: 'realtime.session',
          model: this.#model,
          modalities: ['text'],
          instructions: s.instructions ?? '',
          input_audio_format: 'pcm16',
          turn_detection: td,
          evalgate: { sample_rate_hz: rate },
        }
      : {
          type: 'realtime',
          object: 'realtime.session',
          id: s.id,
          model: this.#model,
          output_modalities: ['text'],
          instructions: s.instructions ?? '',
          audio: { input: { format: { type: 'audio/pcm', rate }, turn_detection: td } },
        };
  }

  greeting(s: LiveSession, info: { resumed: boolean; dropped: number }): object[] {
    return [
      {
        type: info.resumed ? 'session.updated' : 'session.created',
        event_id: eventId(),
        session: this.#session(s),
        ...(info.resumed ? { evalgate: { resumed: true, dropped_events: info.dropped } } : {}),
      },
    ];
  }

  handleBinary(): Promise<void> {
    return Promise.reject(
      new EvalgateError('EVALGATE_ERR_WS_UNSUPPORTED_DATA', {
        detail: 'the realtime protocol takes JSON text frames; send audio base64 in input_audio_buffer.append',
      }),
    );
  }

  closesOn(err: EvalgateError): boolean {
    return err.code === 'EVALGATE_ERR_WS_UNSUPPORTED_DATA';
  }

  async handleText(s: LiveSession, data: string): Promise<object[] | void> {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(data) as Record<string, unknown>;
    } catch (err) {
      throw new EvalgateError('EVALGATE_ERR_WS_MALFORMED_JSON', { detail: (err as Error).message });
    }
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev) || typeof ev.type !== 'string') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'each event must be a JSON object with a string `type`', param: 'type' });
    }
    const id = typeof ev.event_id === 'string' ? ev.event_id : undefined;
    try {
      return await this.#dispatch(s, ev.type as string, ev);
    } catch (err) {
      throw withEvent(err, id);
    }
  }

  async #dispatch(s: LiveSession, type: string, ev: Record<string, unknown>): Promise<object[] | void> {
    switch (type) {
      case 'session.update':
        return this.#sessionUpdate(s, ev.session);
      case 'input_audio_buffer.append':
        return s.appendAudio(decodeBase64Pcm16(ev.audio));
      case 'input_audio_buffer.commit':
        return s.commit();
      case 'input_audio_buffer.clear':
        return s.clear();
      case 'conversation.item.create':
        return this.#itemCreate(s, ev.item);
      case 'response.create': {
        const response = (ev.response ?? {}) as { evalgate?: unknown; instructions?: unknown };
        const ext = response.evalgate as { dataset?: unknown; sample?: unknown } | undefined;
        const ref = parseSampleRef(ext, 'response.evalgate');
        if (response.instructions !== undefined && typeof response.instructions !== 'string') {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'response.instructions must be a string', param: 'response.instructions' });
        }
        const sample = ref ? await findBoundSample(s.opts.db, ref) : undefined;
        s.createResponse({ sample, ...(typeof response.instructions === 'string' ? { instructions: response.instructions } : {}) });
        return;
      }
      case 'response.cancel':
        return s.cancel(typeof ev.response_id === 'string' ? ev.response_id : undefined);
      default:
        if (unsupported.has(type))
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${type} is not supported by the evalgate gateway`, param: 'type' });
        throw new EvalgateError('EVALGATE_ERR_WS_UNKNOWN_EVENT', { type: type.slice(0, 80) });
    }
  }

  async #sessionUpdate(s: LiveSession, raw: unknown): Promise<object[]> {
    if (typeof raw !== 'object' || raw === null)
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'session.update needs a `session` object', param: 'session' });
    const sess = raw as Record<string, unknown>;
    const ext = (sess.evalgate ?? {}) as { sample_rate_hz?: unknown; dataset?: unknown; sample?: unknown };
    let format;
    let turnDetection: TurnDetection | undefined;
    // GA shape: audio.input.format {type, rate} and audio.input.turn_detection.
    const input = (sess.audio as { input?: Record<string, unknown> } | undefined)?.input;
    if (input?.format !== undefined) {
      const f = input.format as { type?: unknown; rate?: unknown };
      format = checkAudioFormat(f?.type, f?.rate, 'session.audio.input.format');
    }
    if (input && 'turn_detection' in input) turnDetection = parseTurnDetection(input.turn_detection, 'session.audio.input.turn_detection');
    // Beta shape: input_audio_format and turn_detection at the top; the rate extension under `evalgate`.
    if (sess.input_audio_format !== undefined || ext.sample_rate_hz !== undefined) {
      // Without the rate extension the current rate stays (a beta client re-sending "pcm16" keeps its 16 kHz).
      format = checkAudioFormat(
        sess.input_audio_format ?? 'pcm16',
        ext.sample_rate_hz ?? format?.sampleRateHz ?? s.format.sampleRateHz,
        'session.input_audio_format',
      );
    }
    if ('turn_detection' in sess) turnDetection = parseTurnDetection(sess.turn_detection, 'session.turn_detection');
    const sample = ext.dataset === undefined && ext.sample === undefined ? undefined : parseSampleRef(ext, 'session.evalgate');
    if (sess.instructions !== undefined && sess.instructions !== null && typeof sess.instructions !== 'string') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'session.instructions must be a string', param: 'session.instructions' });
    }
    const instructions = sess.instructions === undefined ? {} : { instructions: (sess.instructions as string | null) ?? null };
    await s.configure({ format, turnDetection, ...instructions, ...(sample ? { sample } : {}) });
    s.opts.writer.updateSession({ config: { ...this.sessionConfig, session: this.#session(s) } });
    return [{ type: 'session.updated', event_id: eventId(), session: this.#session(s) }];
  }

  #itemCreate(s: LiveSession, raw: unknown): object[] {
    const item = raw as { id?: unknown; type?: unknown; role?: unknown; content?: unknown } | undefined;
    if (!item || item.type !== 'message' || !Array.isArray(item.content)) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'conversation.item.create supports {type:"message", content:[…]} items', param: 'item' });
    }
    const role = item.role ?? 'user';
    if (role !== 'user' && role !== 'system') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: 'item.role must be "user" or "system" (the gateway answers as the assistant itself)',
        param: 'item.role',
      });
    }
    if (item.id !== undefined && (typeof item.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(item.id))) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'item.id must be 1–64 letters, digits, "_" or "-"', param: 'item.id' });
    }
    const parts: ModelInputPart[] = [];
    const audio: Int16Array[] = [];
    for (const c of item.content as { type?: unknown; text?: unknown; image_url?: unknown; audio?: unknown }[]) {
      if (c?.type === 'input_text' && typeof c.text === 'string') parts.push({ type: 'text', text: c.text });
      else if (role === 'user' && c?.type === 'input_image') parts.push(parseImage(c.image_url));
      // PCM16 at the session's input rate, as input_audio_buffer.append takes it.
      else if (role === 'user' && c?.type === 'input_audio') audio.push(decodeBase64Pcm16(c.audio));
      else {
        const allowed = role === 'user' ? 'input_text, input_image or input_audio' : 'input_text';
        throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `content parts of a ${role} item must be ${allowed}`, param: 'item.content' });
      }
    }
    const joined =
      audio.length > 0
        ? concatPcm16(
            audio,
            audio.reduce((n, a) => n + a.length, 0),
          )
        : undefined;
    const { itemId, previousItemId } = s.addParts(parts, {
      role,
      ...(typeof item.id === 'string' ? { itemId: item.id } : {}),
      ...(joined ? { audio: joined } : {}),
    });
    const echoed = { id: itemId, object: 'realtime.item', type: 'message', role, status: 'completed', content: item.content };
    const events: object[] = [{ type: names[this.#flavor].itemAdded, event_id: eventId(), previous_item_id: previousItemId, item: echoed }];
    if (this.#flavor === 'ga') events.push({ type: 'conversation.item.done', event_id: eventId(), previous_item_id: previousItemId, item: echoed });
    return events;
  }

  render(ev: LiveEvent): object[] {
    const n = names[this.#flavor];
    const ga = this.#flavor === 'ga';
    const base = { event_id: eventId() };
    switch (ev.type) {
      case 'speech_started':
        return [{ type: 'input_audio_buffer.speech_started', ...base, audio_start_ms: ev.audioStartMs, item_id: ev.itemId }];
      case 'speech_stopped':
        return [{ type: 'input_audio_buffer.speech_stopped', ...base, audio_end_ms: ev.audioEndMs, item_id: ev.itemId }];
      case 'committed': {
        const item = {
          id: ev.itemId,
          object: 'realtime.item',
          type: 'message',
          role: 'user',
          status: 'completed',
          content: [{ type: 'input_audio', transcript: null }],
        };
        return [
          { type: 'input_audio_buffer.committed', ...base, item_id: ev.itemId, previous_item_id: ev.previousItemId },
          { type: n.itemAdded, event_id: eventId(), previous_item_id: ev.previousItemId, item },
          ...(ga ? [{ type: 'conversation.item.done', event_id: eventId(), previous_item_id: ev.previousItemId, item }] : []),
        ];
      }
      case 'cleared':
        return [{ type: 'input_audio_buffer.cleared', ...base }];
      case 'response_created': {
        // The order the Realtime API uses: the response, its output item (also added to the
        // conversation), then the empty content part the text deltas fill.
        const item = { id: ev.outputItemId, object: 'realtime.item', type: 'message', role: 'assistant', status: 'in_progress', content: [] };
        const at = { response_id: ev.responseId, output_index: 0 };
        return [
          {
            type: 'response.created',
            ...base,
            response: {
              id: ev.responseId,
              object: 'realtime.response',
              status: 'in_progress',
              status_details: null,
              output: [],
              usage: null,
              evalgate: { seq: ev.seq, item_id: ev.itemId },
            },
          },
          { type: 'response.output_item.added', event_id: eventId(), ...at, item },
          { type: n.itemAdded, event_id: eventId(), previous_item_id: ev.previousItemId, item },
          { type: 'response.content_part.added', event_id: eventId(), ...at, item_id: ev.outputItemId, content_index: 0, part: { type: n.textPart, text: '' } },
        ];
      }
      case 'delta':
        return [{ type: n.textDelta, ...base, response_id: ev.responseId, item_id: ev.outputItemId, output_index: 0, content_index: 0, delta: ev.delta }];
      case 'audio_delta':
        // The reply's audio as the Realtime API streams it (PCM16 at the session's output rate, 24 kHz for OpenAI).
        return [{ type: n.audioDelta, ...base, response_id: ev.responseId, item_id: ev.outputItemId, output_index: 0, content_index: 0, delta: ev.delta }];
      case 'response_done': {
        // A completed answer the model cut short is the Realtime API's `incomplete`.
        const status = ev.status === 'completed' && ev.incompleteReason ? 'incomplete' : ev.status;
        const part = { type: n.textPart, text: ev.text };
        const item = {
          id: ev.outputItemId,
          object: 'realtime.item',
          type: 'message',
          role: 'assistant',
          status: status === 'completed' ? 'completed' : 'incomplete',
          content: [part],
        };
        const at = { response_id: ev.responseId, output_index: 0 };
        const statusDetails =
          status === 'cancelled'
            ? { type: 'cancelled', reason: ev.cancelReason ?? 'client_cancelled' }
            : status === 'incomplete'
              ? { type: 'incomplete', reason: ev.incompleteReason }
              : ev.error
                ? { type: 'failed', error: { type: errorType(ev.error.code), code: ev.error.code, message: ev.error.message } }
                : null;
        return [
          { type: n.textDone, ...base, ...at, item_id: ev.outputItemId, content_index: 0, text: ev.text },
          { type: 'response.content_part.done', event_id: eventId(), ...at, item_id: ev.outputItemId, content_index: 0, part },
          { type: 'response.output_item.done', event_id: eventId(), ...at, item },
          ...(ga ? [{ type: 'conversation.item.done', event_id: eventId(), previous_item_id: ev.previousItemId, item }] : []),
          {
            type: 'response.done',
            event_id: eventId(),
            response: {
              id: ev.responseId,
              object: 'realtime.response',
              status,
              status_details: statusDetails,
              output: [item],
              usage: null,
              evalgate: {
                seq: ev.seq,
                item_id: ev.itemId,
                latency: {
                  first_token_ms: ev.latency.firstTokenMs,
                  final_ms: ev.latency.finalMs,
                  audio_seconds: ev.latency.audioSeconds,
                  real_time_factor: ev.latency.realTimeFactor,
                },
                ...(ev.scores ? { scores: ev.scores } : {}),
                ...(ev.speech ? { speech: speechOf(ev.speech) } : {}),
              },
            },
          },
        ];
      }
      case 'error': {
        // A response's failure is reported in its response.done status_details, as the Realtime API does;
        // a separate error event would reach SDK clients as an unhandled error.
        if (ev.responseId) return [];
        return [
          {
            type: 'error',
            ...base,
            error: { type: errorType(ev.code), code: ev.code, message: ev.message, param: ev.param ?? null, event_id: ev.clientEventId ?? null },
          },
        ];
      }
    }
  }
}

/** A spoken reply's measures under `response.evalgate.speech`, in the API's snake case. */
function speechOf(m: SpokenReplyMeasures): Record<string, unknown> {
  return {
    first_audio_ms: m.firstAudioMs,
    audio_seconds: m.audioSeconds,
    real_time_factor: m.realTimeFactor,
    text_speech_wer: m.textSpeechWer,
    self_transcript: m.selfTranscript,
  };
}
