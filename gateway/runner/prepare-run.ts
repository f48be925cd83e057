import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import { findModelConfig, requireModelConfig } from '../config/find-model-config.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import type { Database, Dataset, Run, SampleTask } from '../store/database.js';
import { evalgateVersion } from '../version.js';
import { defaultPromptTemplates } from '../models/prompt-templates.js';
import { scorerVersions, type ScorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { audioDecodeRateFor, defaultVideoOptions, type BuildRequestOptions, type VideoInputOptions } from './build-request.js';
import { stableJson } from './response-cache.js';
import { assertRunMediaReadable } from './check-run-media.js';
import { newExecutor, takeOverRun, type Executor } from './run-claims.js';
import { createRun, findRunByConfigHash, getRun, markRunRunning, resolveRunId, updateRunConfig } from '../store/run-repo.js';
import { upsertModel } from '../store/model-repo.js';
import { findAdapter } from '../models/adapters.js';
import { datasetScorerOptionsOf } from '../store/dataset-repo.js';
import { datasetTasks, findDatasetByManifest, getDatasetById, listPendingSamples, scopeSampleKeys } from '../store/run-scope-repo.js';
import { replaySpill, spillDirOf, type SpillReplay } from './run-spill.js';
import type { SpokenAnswerSettings } from './hear-spoken-answer.js';
import { answersInSpeech } from '../models/answers-in-speech.js';
import { assertDuplexReady, duplexPlayback, openDuplex, type DuplexSettings } from '../duplex/duplex-settings.js';

/** What the user asked for on `evalgate run`. */
export interface RunRequest {
  /** Dataset name/id, or a manifest path (imported on first use). */
  readonly dataset?: string;
  /** Configured model id. */
  readonly modelId?: string;
  /** Task; defaults to the dataset's only task. */
  readonly task?: SampleTask;
  /** Only the first K samples (by manifest id). */
  readonly limit?: number;
  /** Continue this run. */
  readonly resume?: string;
  /** Start a new run even if one with the same configuration exists. */
  readonly forceNew?: boolean;
  /** Prompt template override. */
  readonly promptTemplate?: string;
  /** System prompt override. */
  readonly system?: string;
  /** Sampling temperature (default 0). */
  readonly temperature?: number;
  /** Generated-token cap. */
  readonly maxOutputTokens?: number;
  /** Frame sampling for video. */
  readonly video?: Partial<Omit<VideoInputOptions, 'mode'>>;
  /** Scorer options as in `evalgate score` (normalizer, unit, extractor, excludeUnanswered). */
  readonly scorer?: Readonly<Record<string, unknown>>;
  /** Score failed samples as empty answers (explicit opt-in). */
  readonly failedAsWrong?: boolean;
  /** Local ASR expert that hears a model answering in speech (required for such models, refused for others). */
  readonly asrModel?: string;
  /** The task the caller runs (`evalgate duplex`): a resumed run of another task is refused before it is touched. */
  readonly expectTask?: string;
  /** Folder of run spill files (default `<cacheDir>/spill`); a continued run's spill file is written first. */
  readonly spillDir?: string;
  /** Reports what a spill replay wrote. */
  readonly onSpillReplay?: (r: SpillReplay) => void;
}

/** The resolved configuration stored in `runs.config`. */
export interface ResolvedRunConfig {
  /** Configured model id. */
  readonly modelId: string;
  /** The model's configuration, secrets-looking option values redacted. */
  readonly model: ModelConfig;
  /** Task. */
  readonly task: SampleTask;
  /** Dataset identity. */
  readonly dataset: { readonly id: string; readonly name: string; readonly manifestDigest: string; readonly merkleRoot: string };
  /** The exact prompt template. */
  readonly promptTemplate: string;
  /** System prompt. */
  readonly system?: string;
  /** Sampling temperature. */
  readonly temperature: number;
  /** Generated-token cap. */
  readonly maxOutputTokens?: number;
  /** Video handling. */
  readonly video: VideoInputOptions;
  /** Rate all audio is decoded at (PCM-consuming adapters, local ASR); see audioDecodeRateFor. */
  readonly decodeAudioSampleRateHz?: number;
  /** Scorer options (normalizer, unit, extractor…; not part of the hash: rescoring needs no new calls). */
  readonly scorer: Readonly<Record<string, unknown>>;
  /**
   * Versions of the normalizer, extractor and metric those options select (scorers/tasks/scorer-versions.ts);
   * absent in runs recorded before versions were stored. Not part of the hash either: predictions do not
   * depend on it, and a continued run rescores every prediction with, and records, the current versions.
   */
  readonly scorerVersions?: ScorerVersions;
  /**
   * The model answers in speech: this local ASR expert's transcript of each
   * answer is the answer (part of the hash: another expert hears other words).
   */
  readonly speech?: { readonly asrModelId: string; readonly asr: ModelConfig };
  /** Duplex runs: how scenarios are played and heard (duplex-settings.ts duplexPlayback), part of the run's identity. */
  readonly duplex?: string;
  /** Sample cap (not part of the hash: raising it extends the same run). */
  readonly limit?: number;
  /** Reporting choice (not part of the hash). */
  readonly failedAsWrong: boolean;
}

/** A run ready to execute. */
export interface PreparedRun {
  /** The run row. */
  readonly run: Run;
  /** Whether an existing run is continued. */
  readonly resumed: boolean;
  /** Its resolved configuration. */
  readonly config: ResolvedRunConfig;
  /** Model configuration to build the adapter from (with real option values). */
  readonly modelConfig: ModelConfig;
  /** Dataset root on this machine. */
  readonly rootDir: string;
  /** Who executes it (set by prepareRun, which took the run over for it). */
  readonly executor?: Executor;
  /** Where spoken answers are stored and the expert that hears them (runs whose config has `speech`). */
  readonly speech?: SpokenAnswerSettings;
  /** The upstream and listeners of a duplex run (task duplex): scenarios are played live, not asked. */
  readonly duplex?: DuplexSettings;
}

const SECRET_KEY = /(api[-_]?key|secret|password|authorization|bearer|access[-_]?token|credential)/i;

function redactOptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactOptions);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactOptions(v)]));
  }
  return value;
}

/** The model config as stored with a run: option values under secret-looking keys are replaced. */
export function redactModelConfig(model: ModelConfig): ModelConfig {
  return { ...model, options: redactOptions(model.options) as Record<string, unknown> };
}

/** The hash that identifies a run: everything that can change an answer or its score, nothing operational. */
export function runConfigHash(cfg: ResolvedRunConfig): string {
  const { limit: _limit, failedAsWrong: _failedAsWrong, scorer: _scorer, scorerVersions: _scorerVersions, dataset, ...identity } = cfg;
  void _scorerVersions;
  void _limit;
  void _failedAsWrong;
  void _scorer;
  const ident = { ...identity, dataset: { manifestDigest: dataset.manifestDigest, merkleRoot: dataset.merkleRoot } };
  return createHash('sha256').update(stableJson(ident)).digest('hex');
}

/** Request-building options of a resolved run. */
export function buildOptionsOf(cfg: ResolvedRunConfig, rootDir: string, modelConfig: ModelConfig): BuildRequestOptions {
  const providerOptions = modelConfig.options.providerOptions;
  return {
    rootDir,
    promptTemplate: cfg.promptTemplate,
    system: cfg.system,
    temperature: cfg.temperature,
    maxOutputTokens: cfg.maxOutputTokens,
    video: cfg.video,
    // Runs stored before the adapter-based rule carry no rate: derive it, so resuming them works too.
    decodeAudioSampleRateHz: cfg.decodeAudioSampleRateHz ?? audioDecodeRateFor(modelConfig, cfg.task),
    ...(providerOptions && typeof providerOptions === 'object' ? { providerOptions: providerOptions as Record<string, unknown> } : {}),
  };
}

/** The configured model with this id, else the bundled preset (gateway/config/find-model-config.ts), or the error that says neither exists. */
export function modelConfigFor(config: EvalgateConfig, modelId: string): ModelConfig {
  return requireModelConfig(config, modelId);
}

/**
 * Finds the dataset by name or id, or imports a manifest file. A manifest
 * already imported with the same bytes from the same path is reused, so
 * `evalgate run --dataset ./x.jsonl` twice resolves to one dataset and
 * therefore to one run.
 */
export async function resolveDataset(db: Kysely<Database>, nameOrPath: string): Promise<Dataset> {
  const { findDataset, importDataset } = await import('../store/dataset-repo.js');
  const named = await findDataset(db, nameOrPath);
  if (named) return named;
  const abs = resolve(nameOrPath);
  if (!existsSync(abs)) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset (name or manifest file)', id: nameOrPath });
  const digest = createHash('sha256')
    .update(await readFile(abs))
    .digest('hex');
  const same = await findDatasetByManifest(db, abs, digest);
  if (same) return same;
  const { parseManifest, ManifestError } = await import('../../datasets/parse-manifest.js');
  let manifest;
  try {
    manifest = await parseManifest(abs);
  } catch (err) {
    if (err instanceof ManifestError) {
      throw new EvalgateError('EVALGATE_ERR_MANIFEST_INVALID', { file: err.file, line: err.line, field: err.field, detail: err.detail });
    }
    throw err;
  }
  const base = basename(abs, extname(abs));
  const name = (await findDataset(db, base)) ? `${base}-${digest.slice(0, 8)}` : base;
  return importDataset(db, manifest, { name, meta: { importedBy: 'evalgate run' } });
}

/** Manifest ids of the samples a run covers (its task, capped by its limit). */
async function scopeKeys(db: Kysely<Database>, cfg: ResolvedRunConfig): Promise<string[]> {
  return scopeSampleKeys(db, { datasetId: cfg.dataset.id, task: cfg.task, limit: cfg.limit });
}

/** Manifest ids of the run's samples without an `ok` prediction. */
async function pendingKeys(db: Kysely<Database>, runId: string, cfg: ResolvedRunConfig): Promise<string[]> {
  const pending = await listPendingSamples(db, { id: runId, datasetId: cfg.dataset.id, task: cfg.task, limit: cfg.limit });
  return pending.map((s) => s.key);
}

/**
 * Resolves what to run and finds or creates the run row: `--resume` names it;
 * otherwise the newest run with the same configuration hash (same model
 * config, task, prompt, generation settings, dataset digest and Merkle root) is continued unless
 * `forceNew`. Before the run is created, continued or marked, the media of
 * the samples it will send are checked: a missing or unreadable file refuses
 * the run with a per-sample report ({@link RunMediaError}). The run is marked
 * `running`.
 */
export async function prepareRun(
  db: Kysely<Database>,
  config: EvalgateConfig,
  req: RunRequest,
  loadModel: (m: ModelConfig) => Promise<ModelV1>,
): Promise<PreparedRun & { model: ModelV1 }> {
  const executor = newExecutor();
  const spillDir = req.spillDir ?? spillDirOf(config.cacheDir);
  // A continued run: refused while another live process holds it (issue 13 #11), then the answers a
  // previous execution kept in its spill file during a database outage are written (issue 13 #10).
  const takeOver = async (runId: string): Promise<void> => {
    await takeOverRun(db, runId, executor);
    const replay = await replaySpill(db, spillDir, runId);
    if (replay.path) req.onSpillReplay?.(replay);
  };
  if (req.resume) {
    const ctx = await loadRunContext(db, config, req.resume);
    const asrNow = ctx.config.speech ? (findModelConfig(config, ctx.config.speech.asrModelId)?.model ?? ctx.config.speech.asr) : undefined;
    // One run, one expert: a continued run whose expert's settings changed would mix two experts' transcripts.
    if (ctx.config.speech && asrNow && stableJson(redactModelConfig(asrNow)) !== stableJson(ctx.config.speech.asr)) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `run ${ctx.run.id} heard its spoken answers with ${ctx.config.speech.asrModelId} as configured then; its settings have changed since, so continuing would mix two experts' transcripts: start a new run`,
      });
    }
    if (req.expectTask !== undefined && ctx.config.task !== req.expectTask) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
        detail: `run ${ctx.run.id} is a ${ctx.config.task} run, not ${req.expectTask}; continue it with evalgate run --resume`,
      });
    }
    // Everything that can refuse the run is decided before the run is taken over and marked running.
    if (ctx.config.task === 'duplex') assertDuplexReady(ctx.modelConfig, asrNow ?? null);
    const model = await loadModel(ctx.modelConfig);
    const speech = ctx.config.speech && asrNow ? await speechSettings(config, asrNow, loadModel) : undefined;
    const duplex = ctx.config.task === 'duplex' && speech ? await openDuplex(model, speech.asr, config.cacheDir, ctx.config.system) : undefined;
    await takeOver(ctx.run.id);
    const dataset = await getDatasetById(db, ctx.config.dataset.id);
    if (!dataset) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: ctx.config.dataset.id });
    const scorer = req.scorer ? { ...datasetScorerOptionsOf(dataset.meta, ctx.config.task), ...req.scorer } : ctx.config.scorer;
    const versions = scorerVersions(ctx.config.task, scorer);
    const cfg: ResolvedRunConfig =
      req.limit !== undefined || req.failedAsWrong || req.scorer || stableJson(versions) !== stableJson(ctx.config.scorerVersions ?? null)
        ? {
            ...ctx.config,
            limit: req.limit ?? ctx.config.limit,
            failedAsWrong: req.failedAsWrong ?? ctx.config.failedAsWrong,
            scorer,
            scorerVersions: versions,
          }
        : ctx.config;
    await assertRunMediaReadable(db, dataset, await pendingKeys(db, ctx.run.id, cfg));
    if (cfg !== ctx.config) await updateRunConfig(db, ctx.run.id, cfg);
    await markRunRunning(db, ctx.run.id, ctx.run.warnings);
    return { ...ctx, config: cfg, resumed: true, model, executor, ...(speech ? { speech } : {}), ...(duplex ? { duplex } : {}) };
  }
  if (!req.modelId) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--model is required (or --resume RUN_ID)' });
  if (!req.dataset) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--dataset is required (or --resume RUN_ID)' });
  const modelConfig = modelConfigFor(config, req.modelId);
  const dataset = await resolveDataset(db, req.dataset);
  const tasks = await datasetTasks(db, dataset.id);
  const task = req.task ?? (tasks.length === 1 ? (tasks[0] as SampleTask) : undefined);
  if (!task) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `dataset ${dataset.name} has tasks ${tasks.join(', ') || '(none)'}; choose one with --task` });
  }
  if (!tasks.includes(task)) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `dataset ${dataset.name} has no ${task} samples` });
  // A specialist answers only its own tasks: refused before the model loads or any call is made.
  const answers = findAdapter(modelConfig.adapter)?.tasks;
  if (answers && !answers.includes(task)) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `${modelConfig.id} (adapter ${modelConfig.adapter}) cannot answer ${task}: it answers ${answers.join(', ')}`,
    });
  }
  if (task === 'duplex') assertDuplexReady(modelConfig, req.asrModel === undefined ? null : requireModelConfig(config, req.asrModel));
  const asrConfig = speechExpertFor(config, modelConfig, req.asrModel);
  const model = await loadModel(modelConfig);

  const prompts = (modelConfig.options.prompts ?? {}) as Partial<Record<SampleTask, string>>;
  const system = req.system ?? (typeof modelConfig.options.system === 'string' ? modelConfig.options.system : undefined);
  const videoMode = modelConfig.options.videoTransport === 'video_url' ? 'video' : 'frames';
  const decodeRateHz = audioDecodeRateFor(modelConfig, task);
  // The dataset's own scorer options (cls's label set and synonyms from its manifest), under the run's.
  const scorer = { ...datasetScorerOptionsOf(dataset.meta, task), ...(req.scorer ?? {}) };
  const cfg: ResolvedRunConfig = {
    modelId: modelConfig.id,
    model: redactModelConfig(modelConfig),
    task,
    dataset: { id: dataset.id, name: dataset.name, manifestDigest: dataset.manifest_digest, merkleRoot: dataset.merkle_root },
    promptTemplate: req.promptTemplate ?? prompts[task] ?? defaultPromptTemplates[task],
    ...(system ? { system } : {}),
    temperature: req.temperature ?? 0,
    ...(req.maxOutputTokens !== undefined ? { maxOutputTokens: req.maxOutputTokens } : {}),
    video: { ...defaultVideoOptions, ...req.video, mode: videoMode },
    ...(decodeRateHz !== undefined ? { decodeAudioSampleRateHz: decodeRateHz } : {}),
    scorer,
    scorerVersions: scorerVersions(task, scorer),
    ...(asrConfig ? { speech: { asrModelId: asrConfig.id, asr: redactModelConfig(asrConfig) } } : {}),
    ...(task === 'duplex' ? { duplex: duplexPlayback } : {}),
    ...(req.limit !== undefined ? { limit: req.limit } : {}),
    failedAsWrong: req.failedAsWrong ?? false,
  };
  // The expert (and, for duplex, the VAD) open now: a missing binary or model folder refuses the run before it exists.
  const speech = asrConfig ? await speechSettings(config, asrConfig, loadModel) : undefined;
  const duplex = task === 'duplex' && speech ? await openDuplex(model, speech.asr, config.cacheDir, system) : undefined;
  const hash = runConfigHash(cfg);
  await upsertModel(db, modelConfig);
  const existing = req.forceNew ? undefined : await findRunByConfigHash(db, hash);
  if (existing) await takeOver(existing.id);
  // Refuse before anything is created or sent: a continued run checks only the samples it still has to do.
  await assertRunMediaReadable(db, dataset, existing ? await pendingKeys(db, existing.id, cfg) : await scopeKeys(db, cfg));
  let run: Run;
  if (existing) {
    // Same identity: continue it, with this invocation's scope, scoring and reporting choices.
    await updateRunConfig(db, existing.id, cfg, { normalizer: typeof cfg.scorer.normalizer === 'string' ? cfg.scorer.normalizer : null });
    run = { ...existing, config: cfg as unknown as Record<string, unknown> };
  } else {
    run = await createRun(db, {
      model_id: modelConfig.id,
      dataset_id: dataset.id,
      task,
      config: JSON.stringify(cfg),
      config_hash: hash,
      dataset_digest: dataset.manifest_digest,
      merkle_root: dataset.merkle_root,
      prompt_template: cfg.promptTemplate,
      normalizer: typeof cfg.scorer.normalizer === 'string' ? cfg.scorer.normalizer : null,
      adapter_version: `${model.adapter}@${model.adapterVersion}`,
      evalgate_version: evalgateVersion,
    });
  }
  if (!existing) await takeOverRun(db, run.id, executor);
  await markRunRunning(db, run.id, run.warnings);
  return {
    run,
    resumed: existing !== undefined,
    config: cfg,
    modelConfig,
    rootDir: dataset.root_dir ?? '.',
    model,
    executor,
    ...(speech ? { speech } : {}),
    ...(duplex ? { duplex } : {}),
  };
}

/**
 * The ASR expert for a model that answers in speech, checked before anything
 * is created or sent: such a model needs one, a model answering in text must
 * not be given one, and the expert must be a local ASR model.
 */
function speechExpertFor(config: EvalgateConfig, model: ModelConfig, asrModel: string | undefined): ModelConfig | undefined {
  const speaks = answersInSpeech(model);
  if (!speaks && asrModel === undefined) return undefined;
  if (!speaks) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `--asr-model is for models that answer in speech; ${model.id} answers in text (set options.outputAudio for openai-chat, options.outputModality "audio" for openai-realtime)`,
    });
  }
  if (asrModel === undefined) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `${model.id} answers in speech: pass --asr-model ID (pocketsphinx, an ONNX CTC or Whisper ONNX model) to transcribe its answers locally; its own transcript is never scored`,
    });
  }
  const asr = requireModelConfig(config, asrModel);
  if (!findAdapter(asr.adapter)?.tasks?.includes('asr')) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--asr-model ${asr.id} (adapter ${asr.adapter}) is not a local ASR expert` });
  }
  return asr;
}

async function speechSettings(config: EvalgateConfig, asr: ModelConfig, loadModel: (m: ModelConfig) => Promise<ModelV1>): Promise<SpokenAnswerSettings> {
  return { asr: await loadModel(asr), mediaDir: join(config.cacheDir, 'spoken-answers') };
}

/**
 * Everything needed to (re)execute a stored run: its resolved configuration,
 * the model config (the configured one, or the bundled preset, when this machine
 * knows the id, since it holds the real option values; otherwise the stored snapshot),
 * and the dataset root.
 */
export async function loadRunContext(db: Kysely<Database>, config: EvalgateConfig, runId: string): Promise<PreparedRun> {
  // A prefix resolves as everywhere else: too short or ambiguous is an error that says so.
  const run = await getRun(db, await resolveRunId(db, runId));
  if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id: runId });
  const cfg = run.config as unknown as ResolvedRunConfig;
  if (!cfg.model || !cfg.dataset)
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `run ${run.id} was not created by evalgate run and cannot be resumed` });
  const modelConfig = findModelConfig(config, cfg.modelId)?.model ?? cfg.model;
  const ds = await getDatasetById(db, cfg.dataset.id);
  if (!ds) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: cfg.dataset.id });
  return { run, resumed: true, config: cfg, modelConfig, rootDir: ds.root_dir ?? '.' };
}
