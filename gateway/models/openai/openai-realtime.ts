import type { ModelConfig } from '../../config/config-schema.js';
import { EvalgateError } from '../../errors.js';
import { AdapterOptions, baseUrlOf, joinVersioned, readApiKey, unknownProviderOptionWarnings, type AdapterDeps } from '../adapter-support.js';
import { audioAsPcm16 } from '../media/media-encoding.js';
import { ModelCallError } from '../spec/model-call-error.js';
import type { FinishReason, ModelCapabilities, ModelRequest, ModelResult, ModelV1 } from '../spec/model-v1.js';
import { isBenignRealtimeCode, type RealtimeModelV1, type RealtimeUpstreamEvent } from '../spec/realtime-model-v1.js';
import { SpokenAudioCollector } from '../spoken-audio-collector.js';
import { OpenAiRealtimeConnection, openRealtimeSocket } from './realtime-connection.js';
import { isRetryableRealtimeCode, sessionUpdateEvent, userTextItemEvent, type RealtimeDialect, type RealtimeSessionSettings } from './realtime-protocol.js';

const adapterName = 'openai-realtime';
const adapterVersion = '1.0.0';

/** What `doGenerate` returns as the answer. */
export type RealtimeResultSource = 'response' | 'input-transcription';

/** Per-connection overrides (the batch model sets the system prompt per request). */
export interface RealtimeConnectOptions {
  /** Closes the connection. */
  readonly signal?: AbortSignal;
  /** Overrides `options.instructions`. */
  readonly instructions?: string;
  /** Overrides the output token bound. */
  readonly maxOutputTokens?: number;
}

/**
 * An upstream OpenAI Realtime model over WebSocket, in the beta or GA
 * dialect (`options.api`). It opens the socket, configures the session and
 * translates events; the gateway decides when to append, commit and close.
 */
export class OpenAiRealtimeModel implements RealtimeModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly adapter = adapterName;
  readonly adapterVersion = adapterVersion;
  readonly inputSampleRateHz = 24_000;
  /** Output audio rate: the API sends PCM16 at 24 kHz. */
  readonly outputSampleRateHz = 24_000;
  /** Provider model name. */
  readonly modelName: string;
  /** Option keys nobody read, as warnings. */
  readonly configWarnings: readonly string[];
  /** `response` (the model's answer) or `input-transcription` (the upstream's transcript of the input). */
  readonly resultSource: RealtimeResultSource;
  /** Whether the session asks for spoken answers (`options.outputModality: "audio"`). */
  readonly answersInSpeech: boolean;

  readonly #config: ModelConfig;
  readonly #env: NodeJS.ProcessEnv;
  readonly #url: string;
  readonly #dialect: RealtimeDialect;
  readonly #settings: Omit<RealtimeSessionSettings, 'instructions' | 'maxOutputTokens'>;
  readonly #instructions?: string;

  constructor(config: ModelConfig, deps: AdapterDeps = {}) {
    if (!config.model) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', { source: `model ${config.id}`, detail: 'openai-realtime needs "model"' });
    }
    this.#config = config;
    this.modelName = config.model;
    this.#env = deps.env ?? process.env;
    const opts = new AdapterOptions(config);
    this.#dialect = opts.enumOf('api', ['ga', 'beta'], 'ga');
    const http = joinVersioned(baseUrlOf(config, 'https://api.openai.com'), opts.string('path') ?? '/v1/realtime');
    this.#url = `${http.replace(/^http/, 'ws')}?model=${encodeURIComponent(config.model)}`;
    this.#instructions = opts.string('instructions');
    const output = opts.enumOf('outputModality', ['text', 'audio'], 'text');
    this.answersInSpeech = output === 'audio';
    this.resultSource = opts.enumOf('resultSource', ['response', 'input-transcription'], 'response');
    const transcriptionModel = opts.string('transcriptionModel');
    if (this.resultSource === 'input-transcription' && !transcriptionModel) {
      throw new EvalgateError('EVALGATE_ERR_CONFIG_INVALID', {
        source: `model ${config.id}`,
        detail: 'options.resultSource "input-transcription" needs options.transcriptionModel (e.g. "whisper-1")',
      });
    }
    this.#settings = {
      dialect: this.#dialect,
      outputModalities: [output],
      transcriptionModel,
      transcriptionLanguage: opts.string('transcriptionLanguage'),
      turnDetection: opts.enumOf('turnDetection', ['none', 'server_vad', 'semantic_vad'], 'none'),
      inputSampleRateHz: this.inputSampleRateHz,
    };
    this.configWarnings = opts.unknownKeyWarnings(adapterName);
  }

  /** The `session.update` event a connection starts with (exposed for audits and the conformance suite). */
  sessionUpdate(o: Omit<RealtimeConnectOptions, 'signal'> = {}): Record<string, unknown> {
    return sessionUpdateEvent({ ...this.#settings, instructions: o.instructions ?? this.#instructions, maxOutputTokens: o.maxOutputTokens });
  }

  async connect(opts: RealtimeConnectOptions = {}): Promise<OpenAiRealtimeConnection> {
    const headers: Record<string, string> = {};
    const key = readApiKey(this.#config, this.#env);
    if (key) headers.authorization = `Bearer ${key}`;
    if (this.#dialect === 'beta') headers['openai-beta'] = 'realtime=v1';
    const ws = await openRealtimeSocket({ url: this.#url, headers, signal: opts.signal });
    const conn = new OpenAiRealtimeConnection(ws, opts.signal);
    conn.send(this.sessionUpdate(opts));
    return conn;
  }
}

/**
 * The same upstream as a batch model: one connection per request, the whole
 * audio appended at once, one commit, and the answer collected from the
 * events (for ASR-style evaluation of realtime models without pacing).
 */
export class OpenAiRealtimeBatchModel implements ModelV1 {
  readonly specificationVersion = 'v1' as const;
  readonly adapter = adapterName;
  readonly adapterVersion = adapterVersion;
  readonly modelName: string;
  readonly capabilities: ModelCapabilities = {
    text: true,
    audio: true,
    image: false,
    multipleImages: false,
    video: false,
    streaming: false,
    realtime: true,
  };
  /** The realtime model underneath, for the live gateway. */
  readonly realtime: OpenAiRealtimeModel;

  constructor(config: ModelConfig, deps: AdapterDeps = {}) {
    this.realtime = new OpenAiRealtimeModel(config, deps);
    this.modelName = this.realtime.modelName;
  }

  async doGenerate(request: ModelRequest): Promise<ModelResult> {
    const warnings = [...this.realtime.configWarnings, ...unknownProviderOptionWarnings(request.providerOptions, [], adapterName)];
    if (request.temperature !== undefined) warnings.push('temperature is not supported by the realtime API and was not sent');
    const audio = request.parts.filter((p) => p.type === 'audio');
    if (audio.length === 0) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'openai-realtime needs an audio part' });
    if (request.parts.some((p) => p.type === 'image' || p.type === 'video')) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'openai-realtime takes audio and text only' });
    }
    const pcm = audio.map((p) => audioAsPcm16(p, this.realtime.inputSampleRateHz));
    const spoken = this.realtime.answersInSpeech ? new SpokenAudioCollector('audio/pcm', this.realtime.outputSampleRateHz) : undefined;
    const conn = await this.realtime.connect({ signal: request.signal, instructions: request.system, maxOutputTokens: request.maxOutputTokens });
    try {
      for (const p of request.parts) if (p.type === 'text') conn.send(userTextItemEvent(p.text));
      for (const chunk of pcm) conn.appendAudio(chunk);
      conn.commit();
      // Spoken answers are timed from the commit: the user's turn has ended then.
      const committedMs = performance.now();
      const wantInput = this.realtime.resultSource === 'input-transcription';
      let inputTranscript: string | undefined;
      let answer: { text: string; raw: unknown; finishReason: FinishReason } | undefined;
      for await (const ev of conn.events()) {
        if (ev.type === 'error') {
          // A late cancel is harmless; a failed side transcription matters only when it is the result.
          if (isBenignRealtimeCode(ev.code) && !(wantInput && ev.code === 'input_transcription_failed')) continue;
          throw new ModelCallError(`Realtime upstream error: ${ev.message}`, { retryable: isRetryableRealtimeCode(ev.code), responseBody: ev.code });
        }
        if (ev.type === 'input-transcript') inputTranscript = ev.text;
        if (ev.type === 'audio-delta') spoken?.add(ev.data, performance.now() - committedMs);
        if (ev.type === 'response-done') answer = { text: ev.text, raw: ev.raw, finishReason: realtimeFinishReason(ev) };
        if (answer && (!wantInput || inputTranscript !== undefined)) break;
      }
      request.signal?.throwIfAborted();
      if (!answer || (wantInput && inputTranscript === undefined)) {
        throw new ModelCallError('Realtime upstream closed before the response was done', { retryable: true });
      }
      const usage = (answer.raw as { response?: { usage?: { input_tokens?: number; output_tokens?: number } } }).response?.usage;
      // In audio mode the response text is the model's own transcript of its speech: kept beside the audio, never the answer.
      if (spoken && answer.text) spoken.addTranscript(answer.text);
      const said = spoken?.result();
      return {
        text: wantInput ? inputTranscript! : answer.text,
        // The input transcript is complete whatever stopped the response after it.
        finishReason: wantInput ? 'stop' : answer.finishReason,
        raw: { response: answer.raw, inputTranscript },
        warnings,
        usage: usage ? { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } : undefined,
        ...(said ? { audio: said } : {}),
      };
    } catch (err) {
      if (request.signal?.aborted && !(err instanceof ModelCallError)) {
        throw new ModelCallError(`Request aborted (${String(request.signal.reason)})`, { retryable: true, cause: err });
      }
      throw err;
    } finally {
      await conn.close();
    }
  }
}

/**
 * `response.done` in evalgate's terms: `completed` (no status here) is a stop;
 * `incomplete` for `max_output_tokens` is cut off and for `content_filter` is
 * filtered; any other incomplete reason (`turn_detected`, `client_cancelled`…)
 * and `cancelled` leave no finished answer. `failed` arrives as an error event
 * before this one and fails the call.
 */
export function realtimeFinishReason(ev: Extract<RealtimeUpstreamEvent, { type: 'response-done' }>): FinishReason {
  if (ev.status === undefined) return 'stop';
  if (ev.status === 'incomplete' && ev.statusReason === 'max_output_tokens') return 'length';
  if (ev.status === 'incomplete' && ev.statusReason === 'content_filter') return 'filter';
  return 'error';
}

/** Factory for the live gateway (createRealtimeModel). */
export function createOpenAiRealtimeModel(config: ModelConfig, deps?: AdapterDeps): OpenAiRealtimeModel {
  return new OpenAiRealtimeModel(config, deps);
}

/** Factory for batch runs (createModel). */
export function createOpenAiRealtimeBatchModel(config: ModelConfig, deps?: AdapterDeps): ModelV1 {
  return new OpenAiRealtimeBatchModel(config, deps);
}
