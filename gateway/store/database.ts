import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { TaskName } from '../../scorers/tasks/index.js';

// Row types for the kysely query builder. They mirror migrations/ and must be
// updated in the same commit as a new migration.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: pass JSON text or a value on insert, get the parsed value back. */
type Json<T> = ColumnType<T, string | T, string | T>;
type JsonDefault<T> = ColumnType<T, string | T | undefined, string | T>;

export interface ModelsTable {
  id: string;
  adapter: string;
  kind: 'generalist' | 'specialist';
  model: string | null;
  base_url: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DatasetsTable {
  id: Generated<string>;
  name: string;
  root_dir: string | null;
  manifest_path: string | null;
  manifest_digest: string;
  merkle_root: string;
  sample_count: ColumnType<number, number | undefined, number>;
  sealed: ColumnType<boolean, boolean | undefined, boolean>;
  meta: JsonDefault<Record<string, unknown>>;
  created_at: Timestamp;
  /** Digest definition of sample_digest and merkle_root (datasets/dataset-digest.ts): 1 for datasets imported before versions. */
  digest_version: ColumnType<number, number | undefined, number>;
}

/** A sample's task: a name in the task registry (scorers/tasks/); the column is text, the application validates it. */
export type SampleTask = TaskName;

/** One media file of a sample, with its digest at import time. */
export interface SampleMedia {
  /** `audio`, `image`, `images` or `video`. */
  kind: string;
  /** Path relative to the dataset root. */
  path: string;
  /** sha256 of the file bytes, hex. */
  sha256: string;
}

/** The file behind one media entry, as recorded at import. */
export interface SampleMediaFile {
  /** Absolute path with links resolved. */
  realPath: string;
  /** Size in bytes. */
  sizeBytes: number;
}

export interface SamplesTable {
  id: Generated<string>;
  dataset_id: string;
  sample_key: string;
  task: SampleTask;
  reference: Json<string | string[] | null> | null;
  question: string | null;
  choices: Json<string[] | null> | null;
  answer: string | null;
  /** vqa: the human answers (VQAv2/VizWiz/TextVQA `answers`), scored with VQA accuracy; null otherwise. A reference: withheld wherever `reference` is. */
  human_answers: Json<string[] | null> | null;
  lang: string | null;
  tags: JsonDefault<string[]>;
  media: JsonDefault<SampleMedia[]>;
  /** Real file (links resolved) and size of each media entry at import, same order; `[]` for samples imported before it was recorded. */
  media_files: JsonDefault<SampleMediaFile[]>;
  duration_s: number | null;
  sample_digest: string;
  created_at: Timestamp;
}

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunsTable {
  id: Generated<string>;
  model_id: string;
  dataset_id: string | null;
  task: string;
  status: ColumnType<RunStatus, RunStatus | undefined, RunStatus>;
  config: Json<Record<string, unknown>>;
  config_hash: string;
  dataset_digest: string | null;
  merkle_root: string | null;
  prompt_template: string | null;
  normalizer: string | null;
  adapter_version: string | null;
  evalgate_version: string;
  warnings: JsonDefault<string[]>;
  summary: Json<Record<string, unknown> | null> | null;
  created_at: Timestamp;
  started_at: Date | null;
  finished_at: Date | null;
  /** Last sign of life from whoever executes the run (see gateway/runner/run-heartbeat.ts). */
  heartbeat_at: Date | null;
}

export type PredictionStatus = 'ok' | 'failed' | 'skipped';

export interface PredictionsTable {
  id: Generated<string>;
  run_id: string;
  sample_id: string;
  status: PredictionStatus;
  output_text: string | null;
  raw_response: Json<unknown> | null;
  error: Json<{ code?: string; message: string; statusCode?: number; retryable?: boolean } | null> | null;
  attempts: ColumnType<number, number | undefined, number>;
  latency_request_ms: number | null;
  latency_first_token_ms: number | null;
  latency_total_ms: number | null;
  audio_seconds: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ScoresTable {
  id: Generated<string>;
  prediction_id: string;
  metric: string;
  value: number;
  details: Json<Record<string, unknown> | null> | null;
  created_at: Timestamp;
}

export type ApiKeyScope = 'admin' | 'evaluator' | 'submitter' | 'viewer';

export interface ApiKeysTable {
  id: Generated<string>;
  name: string | null;
  prefix: string;
  key_hash: string;
  scopes: Json<ApiKeyScope[]>;
  created_at: Timestamp;
  revoked_at: Date | null;
}

export interface StreamSessionsTable {
  id: Generated<string>;
  model_id: string;
  api_key_id: string | null;
  protocol: 'realtime' | 'native';
  dataset_id: string | null;
  status: ColumnType<'open' | 'disconnected' | 'closed' | 'failed', string | undefined, string>;
  config: JsonDefault<Record<string, unknown>>;
  audio_seconds: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  ended_at: Date | null;
  /** Last stamp from the gateway process holding it (see gateway/live/session-heartbeat.ts). */
  heartbeat_at: Timestamp;
}

export interface UtterancesTable {
  id: Generated<string>;
  session_id: string;
  seq: number;
  sample_id: string | null;
  status: ColumnType<'open' | 'ok' | 'failed' | 'cancelled', string | undefined, string>;
  transcript: string | null;
  error: Json<{ code?: string; message: string } | null> | null;
  audio_seconds: number | null;
  speech_start_s: number | null;
  speech_end_s: number | null;
  latency_first_token_ms: number | null;
  latency_final_ms: number | null;
  real_time_factor: number | null;
  scores: Json<Record<string, number> | null> | null;
  /** A turn answered in speech: where its audio is stored and the model's own transcript (migration 20261207000000). */
  speech: Json<UtteranceSpeech | null> | null;
  created_at: Timestamp;
  finished_at: Date | null;
}

/** What an utterance keeps of a reply answered in speech, beside its measures in `scores`. */
export interface UtteranceSpeech {
  /** The reply's audio, FLAC, on the gateway's disk (a server path: never sent to clients). */
  readonly mediaPath: string;
  /** The model's own transcript of its speech, when it sent one (never the answer). */
  readonly selfTranscript: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string | null;
  action: string;
  subject: string | null;
  details: JsonDefault<Record<string, unknown>>;
}

/** Arena modalities: what the prompt carries. */
export type ArenaModality = 'text' | 'audio' | 'image' | 'video';

/** One media file of an arena prompt or answer, kept like dataset media. */
export interface ArenaMedia {
  /** `audio`, `image` or `video`. */
  kind: string;
  /** Path relative to the arena media folder. */
  path: string;
  /** sha256 of the file bytes, hex. */
  sha256: string;
  /** MIME type as served. */
  mime: string;
}

export interface ArenaBattlesTable {
  id: Generated<string>;
  modality: ArenaModality;
  /** Shown as side A (left); the draw randomises which model that is. */
  model_a: string;
  /** Shown as side B (right). */
  model_b: string;
  prompt_text: string | null;
  prompt_media: JsonDefault<ArenaMedia[]>;
  /** sha256 over the normalised prompt text and media digests: duplicate prompts are downsampled when rating. */
  prompt_hash: string;
  /** A preset prompt drawn from a dataset: its dataset and sample key (never shown to voters). */
  preset_dataset_id: string | null;
  preset_sample_key: string | null;
  /** Hidden capability tags of a preset prompt, as FlagEval's. */
  capability_tags: JsonDefault<string[]>;
  /** Key id of the submitter, or `public:<address hash>` when the arena is public. */
  creator_key: string;
  created_at: Timestamp;
}

export interface ArenaAnswersTable {
  battle_id: string;
  side: 'A' | 'B';
  status: 'ok' | 'failed';
  output_text: string | null;
  output_media: JsonDefault<ArenaMedia[]>;
  /** A spoken answer's own transcript (the model's words about its audio): read by the identity-word check only, never shown. */
  spoken_transcript: ColumnType<string | null, string | null | undefined, string | null>;
  error: Json<{ code?: string; message: string } | null> | null;
  latency_first_token_ms: number | null;
  latency_total_ms: number | null;
  /** Length and markdown counts of the answer (scorers/arena AnswerStyle), for style control. */
  style: Json<ArenaAnswerStyle | null> | null;
  created_at: Timestamp;
}

export interface ArenaVotesTable {
  id: Generated<string>;
  source: 'human' | 'judge';
  /** The battle voted on (human votes). */
  battle_id: string | null;
  /** The judge run that cast it (judge votes). */
  judge_run_id: string | null;
  /** The dataset sample judged (judge votes). */
  sample_id: string | null;
  modality: string;
  model_a: string;
  model_b: string;
  vote: 'A>>B' | 'A>B' | 'A=B' | 'B>A' | 'B>>A';
  both_bad: ColumnType<boolean, boolean | undefined, boolean>;
  /** Key id, `public:<address hash>`, or the judge model id. */
  voter_key: string;
  /** Set when the vote is stored but left out of every rating, decided at write time (`identity-leak`, `voter-daily-cap`). */
  excluded_reason: string | null;
  style: Json<{ a: ArenaAnswerStyle; b: ArenaAnswerStyle } | null> | null;
  details: JsonDefault<Record<string, unknown>>;
  /** Makes a retried write idempotent: `battle:<id>` or `judge:<run>:<sample>:<order>`. */
  dedupe_key: string;
  created_at: Timestamp;
}

/** An answer's style as stored (scorers/arena AnswerStyle). */
export interface ArenaAnswerStyle {
  length: number;
  headers: number;
  lists: number;
  bold: number;
}

/** The whole schema, as kysely sees it. */
export interface Database {
  models: ModelsTable;
  datasets: DatasetsTable;
  samples: SamplesTable;
  runs: RunsTable;
  predictions: PredictionsTable;
  scores: ScoresTable;
  api_keys: ApiKeysTable;
  stream_sessions: StreamSessionsTable;
  utterances: UtterancesTable;
  audit_log: AuditLogTable;
  arena_battles: ArenaBattlesTable;
  arena_answers: ArenaAnswersTable;
  arena_votes: ArenaVotesTable;
}

export type Run = Selectable<RunsTable>;
export type NewRun = Insertable<RunsTable>;
export type RunUpdate = Updateable<RunsTable>;
export type Prediction = Selectable<PredictionsTable>;
export type NewPrediction = Insertable<PredictionsTable>;
export type Sample = Selectable<SamplesTable>;
export type NewSample = Insertable<SamplesTable>;
export type Dataset = Selectable<DatasetsTable>;
