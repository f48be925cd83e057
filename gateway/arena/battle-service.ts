import { createHash, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { markdownStyleCounts } from '../../scorers/arena/markdown-style-counts.js';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import { createModel as createModelDefault } from '../models/create-model.js';
import { finishedWithError, streamCutOff } from '../models/spec/finish-error.js';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { decodeAudioBuffer } from '../media/decode-audio.js';
import { pcm16AsWav } from '../models/media/pcm16-wav.js';
import type { ModelResult, ModelV1, SpokenAudio } from '../models/spec/model-v1.js';
import { AdaptiveConcurrency } from '../runner/adaptive-concurrency.js';
import { audioDecodeRateFor, buildRequest, defaultVideoOptions, scrubPaths, type RunnerSample } from '../runner/build-request.js';
import { callWithRetries } from '../runner/call-with-retries.js';
import { defaultDbOutageMaxMs } from '../runner/db-outage-guard.js';
import { defaultRetryPolicy, sleep, type RetryPolicy } from '../runner/retry-policy.js';
import { appendArenaAnswer, insertArenaBattle, type NewArenaAnswer, type StoredArenaBattle } from '../store/arena-battle-repo.js';
import type { ArenaModality, Database } from '../store/database.js';
import { isDatabaseUnavailable } from '../store/is-database-unavailable.js';
import type { BattleEvents, BattleSide } from './battle-events.js';
import type { BattleMedia, BattleMediaStore } from './battle-media-store.js';
import { drawBattlePreset } from './battle-preset.js';
import { acceptUpload, type BattleUpload } from './battle-upload.js';

/** The body of `POST /v1/arena/battles`, after schema validation. */
export interface CreateBattleInput {
  /** What the prompt carries. */
  readonly modality: ArenaModality;
  /** Typed prompt. */
  readonly prompt?: string;
  /** One uploaded file. */
  readonly media?: BattleUpload;
  /** Draw the prompt from a dataset instead. */
  readonly preset?: { readonly dataset?: string };
}

/** Who creates a battle. */
export interface BattleCaller {
  /** `creator_key`/`voter_key`: the key id, `public:<address hash>` (keyless), or `local` (auth off). */
  readonly identity: string;
  /** Whether the caller may draw presets from sealed datasets. */
  readonly isAdmin: boolean;
}

/** Options of the service. */
export interface BattleServiceOptions {
  readonly config: EvalgateConfig;
  readonly db: Kysely<Database>;
  readonly media: BattleMediaStore;
  readonly events: BattleEvents;
  /** Where failures that reach no client are logged. */
  readonly log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Model factory (tests may count calls); default createModel. */
  readonly createModel?: (config: ModelConfig) => Promise<ModelV1>;
  /** Retries of a model call (default: the runner's, docs/runner.md). */
  readonly retry?: RetryPolicy;
  /** Per-attempt timeout of a model call, ms (default 120 000). */
  readonly timeoutMs?: number;
  /** How long an answer write waits out a database outage, ms (default `runner.dbOutageMaxMs`). */
  readonly dbOutageMaxMs?: number;
  /** Picks an integer in [0, n) (default crypto's randomInt: left/right must not be predictable). */
  readonly randomIndex?: (n: number) => number;
}

/** Sampling settings of arena answers: chat-like, as FastChat's arena (temperature 0.7, 1024 new tokens). */
export const arenaSampling = Object.freeze({ temperature: 0.7, maxOutputTokens: 1024 });

/** Model calls in flight per model, across battles (the adaptive limiter halves on 429). */
const perModelConcurrency = 4;

/** Whether a model can take a modality's prompt (video as a file or as sampled frames). */
function accepts(model: ModelV1, modality: ArenaModality): boolean {
  const c = model.capabilities;
  if (modality === 'video') return c.video || c.image;
  return c[modality];
}

/** `sha256` over the normalised prompt text and the media digests (duplicate prompts are downsampled when rating). */
export function promptHash(text: string | null, media: readonly { sha256: string }[]): string {
  const normalised = (text ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
  return createHash('sha256')
    .update(JSON.stringify([normalised, media.map((m) => m.sha256)]))
    .digest('hex');
}

/**
 * Creates battles and answers them: draws two models, stores the battle,
 * then calls both models concurrently through their adapters with the
 * runner's retry loop, streaming text to subscribers and appending each
 * side's answer (or failure) when it is final. Answering outlives the POST;
 * `close()` cancels what is in flight.
 */
export class BattleService {
  readonly #o: BattleServiceOptions;
  readonly #models = new Map<string, Promise<ModelV1>>();
  readonly #limiters = new Map<string, AdaptiveConcurrency>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stop = new AbortController();

  constructor(opts: BattleServiceOptions) {
    this.#o = opts;
  }

  /** Model ids eligible for a modality: listed in `arena.models`, configured, and able to take its input. */
  async eligibleModels(modality: ArenaModality): Promise<string[]> {
    const listed = [...new Set(this.#o.config.arena.models[modality] ?? [])];
    const out: string[] = [];
    for (const id of listed) {
      if (!this.#o.config.models.some((m) => m.id === id)) continue;
      if (accepts(await this.#model(id), modality)) out.push(id);
    }
    return out;
  }

  /** Validates and stores a battle, starts both answers, and returns the stored row. */
  async create(input: CreateBattleInput, caller: BattleCaller): Promise<{ battle: StoredArenaBattle; presetDataset?: string }> {
    const { modality } = input;
    const prompt = input.prompt?.trim() === '' ? undefined : input.prompt;
    if (input.preset && (input.media || prompt !== undefined))
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'preset draws the prompt from a dataset: send neither prompt nor media with it' });
    if (input.preset && !input.preset.dataset) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'preset.dataset is required' });
    if (!input.preset) {
      if (modality === 'text' && input.media) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'a text battle takes no media' });
      if (modality !== 'text' && !input.media)
        throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `a ${modality} battle needs media (an upload) or a preset` });
      if (prompt === undefined && modality !== 'audio')
        throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `a ${modality} battle needs a prompt (only a spoken prompt may come alone)` });
    }
    const eligible = await this.eligibleModels(modality);
    if (eligible.length < 2) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `no ${modality} battles here: arena.models.${modality} names ${eligible.length} configured model(s) that take ${modality} input; two are needed`,
      });
    }

    // Everything the models will see is checked and stored before any row is.
    let text: string | null = prompt ?? null;
    let media: BattleMedia[] = [];
    let preset: Awaited<ReturnType<typeof drawBattlePreset>> | undefined;
    if (input.preset?.dataset) {
      // Presets read datasets, which need a key: a keyless caller of a public arena draws only from the datasets
      // the operator opened for it, and any other name is answered as an unknown dataset.
      const keyless = caller.identity.startsWith('public:');
      if (keyless && !this.#o.config.arena.publicPresetDatasets.includes(input.preset.dataset)) {
        throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: input.preset.dataset });
      }
      preset = await drawBattlePreset(this.#o.db, input.preset.dataset, modality, this.#o.media, { isAdmin: caller.isAdmin });
      text = preset.text;
      media = [...preset.media];
    } else if (input.media) {
      const { maxUploadBytes, maxAudioSeconds } = this.#o.config.arena;
      media = [await acceptUpload(modality, input.media, this.#o.media, { maxUploadBytes, maxAudioSeconds }, this.#stop.signal)];
    }

    // Two distinct models; the first drawn is shown on the left, so the order is as random as the draw.
    const pick = this.#o.randomIndex ?? randomInt;
    const first = eligible.splice(pick(eligible.length), 1)[0]!;
    const second = eligible[pick(eligible.length)]!;
    const battle = await insertArenaBattle(this.#o.db, {
      modality,
      model_a: first,
      model_b: second,
      prompt_text: text,
      prompt_media: media,
      prompt_hash: promptHash(text, media),
      preset_dataset_id: preset?.datasetId ?? null,
      preset_sample_key: preset?.sampleKey ?? null,
      capability_tags: [...(preset?.tags ?? [])],
      creator_key: caller.identity,
    });
    this.#o.events.open(battle.id);
    const both = Promise.all([this.#answer(battle, 'A'), this.#answer(battle, 'B')]).then(() => {
      this.#o.events.emit(battle.id, { type: 'battle.ready', votable: this.#bothOk(battle.id) });
    });
    this.#inFlight.add(both);
    void both.finally(() => this.#inFlight.delete(both));
    return { battle, ...(preset ? { presetDataset: preset.datasetName } : {}) };
  }

  /** Cancels every answer in flight and waits for them to settle; closes the adapters. */
  async close(): Promise<void> {
    this.#stop.abort(new Error('the server is closing'));
    await Promise.allSettled([...this.#inFlight]);
    const models = await Promise.allSettled([...this.#models.values()]);
    await Promise.allSettled(models.map(async (m) => (m.status === 'fulfilled' ? m.value.close?.() : undefined)));
    this.#o.events.clear();
  }

  #bothOk(battleId: string): boolean {
    const s = this.#o.events.sides(battleId);
    return s?.A.status === 'ok' && s.B.status === 'ok';
  }

  #model(id: string): Promise<ModelV1> {
    let m = this.#models.get(id);
    if (!m) {
      const config = this.#o.config.models.find((c) => c.id === id);
      if (!config) return Promise.reject(new EvalgateError('EVALGATE_ERR_MODEL_NOT_CONFIGURED', { id }));
      m = (this.#o.createModel ?? ((c: ModelConfig) => createModelDefault(c)))(config);
      // A factory that failed is tried again next time (a missing file may be fixed).
      m.catch(() => this.#models.delete(id));
      this.#models.set(id, m);
    }
    return m;
  }

  #limiter(id: string): AdaptiveConcurrency {
    let l = this.#limiters.get(id);
    if (!l) this.#limiters.set(id, (l = new AdaptiveConcurrency({ max: perModelConcurrency })));
    return l;
  }

  /** Generates, stores and announces one side's answer; never rejects. */
  async #answer(battle: StoredArenaBattle, side: BattleSide): Promise<void> {
    const modelId = side === 'A' ? battle.model_a : battle.model_b;
    const events = this.#o.events;
    const signal = this.#stop.signal;
    const startedMs = performance.now();
    let row: NewArenaAnswer;
    try {
      const model = await this.#model(modelId);
      const config = this.#o.config.models.find((c) => c.id === modelId)!;
      const sample: RunnerSample = {
        id: battle.id,
        key: battle.id,
        task: 'vqa',
        reference: null,
        question: battle.prompt_text,
        choices: null,
        answer: null,
        lang: null,
        media: battle.prompt_media.map((m) => ({ kind: m.kind, path: m.path, sha256: m.sha256 })),
        durationS: null,
      };
      const rate = audioDecodeRateFor({ adapter: config.adapter, kind: config.kind }, 'asr');
      const built = await buildRequest(
        sample,
        {
          rootDir: this.#o.media.root,
          promptTemplate: '{question}',
          ...arenaSampling,
          video: defaultVideoOptions,
          ...(rate !== undefined ? { decodeAudioSampleRateHz: rate } : {}),
        },
        signal,
      );
      // A spoken prompt may come alone: no empty text part then.
      const request = { ...built.request, parts: built.request.parts.filter((p) => p.type !== 'text' || p.text !== '') };
      let attempt = 0;
      const call = await callWithRetries(
        { retry: this.#o.retry ?? defaultRetryPolicy, limiter: this.#limiter(modelId), timeoutMs: this.#o.timeoutMs ?? 120_000 },
        signal,
        async (attemptSignal, attemptStartMs) => {
          if (attempt++ > 0) events.emit(battle.id, { type: 'answer.reset', side });
          const answer = await this.#call(model, { ...request, signal: attemptSignal }, attemptStartMs, (delta) =>
            events.emit(battle.id, { type: 'answer.delta', side, delta }),
          );
          if (answer.result.finishReason === 'error') throw finishedWithError(answer.result);
          return answer;
        },
      );
      if (call.ok) {
        // A spoken answer is played to the voter, re-encoded to one WAV format whatever the provider sent (its
        // container would hint at the provider), and shown without text: some adapters send their own transcript
        // as text, others none, which would tell the sides apart. That transcript is kept for the identity check.
        const audio = call.value.result.audio;
        const spoken = audio ? await this.#o.media.putBytes(await canonicalSpokenWav(audio, signal), '.wav', 'audio', 'audio/wav') : undefined;
        const text = audio ? '' : call.value.result.text;
        row = {
          battle_id: battle.id,
          side,
          status: 'ok',
          output_text: text,
          ...(spoken ? { output_media: JSON.stringify([spoken]), spoken_transcript: audio?.selfTranscript ?? call.value.result.text } : {}),
          latency_first_token_ms: call.value.firstTokenMs ?? null,
          latency_total_ms: performance.now() - startedMs,
          style: { length: text.length, ...markdownStyleCounts(text) },
        };
      } else {
        const last = call.last;
        const code = last?.code === 'timeout' ? 'EVALGATE_ERR_MODEL_TIMEOUT' : 'EVALGATE_ERR_MODEL_CALL_FAILED';
        // Stored errors are shown after the vote: no server paths in them.
        const message = scrubPaths(last?.message ?? 'no attempt made', this.#o.media.root);
        row = failedRow(battle.id, side, code, `Model ${modelId} call failed after ${call.attempts} attempt(s): ${message}`, startedMs);
      }
    } catch (err) {
      if (signal.aborted) return;
      // The prompt could not be turned into a request (media gone, a model that cannot be built).
      const code = err instanceof EvalgateError ? err.code : 'EVALGATE_ERR_MODEL_CALL_FAILED';
      row = failedRow(battle.id, side, code, `Model ${modelId}: ${scrubPaths((err as Error).message, this.#o.media.root)}`, startedMs);
    }
    await this.#store(row);
  }

  async #call(
    model: ModelV1,
    request: Parameters<ModelV1['doGenerate']>[0],
    attemptStartMs: number,
    onDelta: (delta: string) => void,
  ): Promise<{ result: ModelResult; firstTokenMs?: number }> {
    if (!(model.capabilities.streaming && model.doStream)) {
      const result = await model.doGenerate(request);
      return { result };
    }
    let firstTokenMs: number | undefined;
    let seen = 0;
    for await (const ev of model.doStream(request)) {
      if (ev.type === 'text-delta' && ev.delta !== '') {
        firstTokenMs ??= performance.now() - attemptStartMs;
        seen += ev.delta.length;
        onDelta(ev.delta);
      } else if (ev.type === 'finish') return { result: ev.result, firstTokenMs };
    }
    // Cut off before `finish`: partial text is no answer (the retry loop retries it).
    throw streamCutOff(seen);
  }

  /**
   * Appends the answer, waiting out a database outage (backoff 250 ms
   * doubling to 5 s) for up to `dbOutageMaxMs`, then announces it. An answer
   * that could not be stored in that time is announced as failed with
   * EVALGATE_ERR_DB_UNAVAILABLE (and logged): unstored, it can never be voted
   * on, and the battle stays `pending` for later readers.
   */
  async #store(row: NewArenaAnswer): Promise<void> {
    const signal = this.#stop.signal;
    const maxMs = this.#o.dbOutageMaxMs ?? this.#o.config.runner.dbOutageMaxMs ?? defaultDbOutageMaxMs;
    const since = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await appendArenaAnswer(this.#o.db, row);
        break;
      } catch (err) {
        if (!isDatabaseUnavailable(err) || Date.now() - since >= maxMs || signal.aborted) {
          this.#o.log.error({ err, battleId: row.battle_id, side: row.side }, 'arena answer not stored');
          if (!signal.aborted) {
            this.#o.events.emit(row.battle_id, { type: 'answer.failed', side: row.side, status: 'failed', error: { code: 'EVALGATE_ERR_DB_UNAVAILABLE' } });
          }
          return;
        }
        if (attempt === 0) this.#o.log.warn({ battleId: row.battle_id, side: row.side }, 'database unavailable; arena answer write waits');
        await sleep(Math.min(5000, 250 * 2 ** attempt), signal).catch(() => undefined);
      }
    }
    const media = (typeof row.output_media === 'string' ? JSON.parse(row.output_media) : (row.output_media ?? [])) as BattleMedia[];
    if (row.status === 'ok') {
      this.#o.events.emit(row.battle_id, {
        type: 'answer.done',
        side: row.side,
        status: 'ok',
        text: row.output_text ?? '',
        // Links are signed per subscriber by the route (they expire).
        media: media.map((m) => ({ kind: m.kind, mime: m.mime, url: '', urlExpiresAt: '' })),
        latencyFirstTokenMs: row.latency_first_token_ms ?? null,
        latencyTotalMs: row.latency_total_ms ?? null,
      });
    } else {
      const error = row.error as { code: string };
      this.#o.events.emit(row.battle_id, { type: 'answer.failed', side: row.side, status: 'failed', error: { code: error.code } });
    }
  }
}

function failedRow(battleId: string, side: BattleSide, code: string, message: string, startedMs: number): NewArenaAnswer {
  return { battle_id: battleId, side, status: 'failed', output_text: null, error: { code, message }, latency_total_ms: performance.now() - startedMs };
}

/** A spoken answer as 24 kHz mono 16-bit WAV, decoded by ffmpeg from whatever the provider sent (raw PCM gets a header first). */
async function canonicalSpokenWav(audio: SpokenAudio, signal: AbortSignal): Promise<Uint8Array> {
  const bytes = audio.mimeType === 'audio/pcm' ? pcm16AsWav(audio.data, audio.sampleRateHz ?? 24_000) : audio.data;
  const decoded = await decodeAudioBuffer(bytes, { sampleRateHz: 24_000, signal, label: 'spoken answer' });
  return encodeWav16(decoded.samples, decoded.sampleRateHz);
}
