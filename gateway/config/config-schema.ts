import { z } from 'zod';

/** A model declared in the configuration file. */
export const modelConfigSchema = z
  .object({
    /** Stable id used on the command line, in the database and in URLs. */
    id: z.string().regex(/^[A-Za-z0-9._:/-]+$/, 'use letters, digits and . _ : / -'),
    /** Adapter file under gateway/models/<provider>/, e.g. `openai-chat`, `ppocr`. */
    adapter: z.string().min(1),
    /** Whether this is a generalist (LLM-style) or a specialist (Whisper, PP-OCR…). */
    kind: z.enum(['generalist', 'specialist']),
    /** Base URL of the remote API, for remote adapters. */
    baseUrl: z.string().url().optional(),
    /** The provider's model name (e.g. `gpt-4o`, `Qwen/Qwen2-Audio-7B-Instruct`). */
    model: z.string().optional(),
    /** Name of the environment variable that holds the API key; read only when a call is made. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
      .optional(),
    /** Adapter-specific options (prompt templates, audio transport, model folders…). */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const positiveInt = z.number().int().positive();

export const configSchema = z
  .object({
    database: z
      .object({
        /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
        url: z.string().optional(),
        /** Folder of the embedded PGlite database. */
        pgliteDir: z.string().default('.evalgate/db'),
      })
      .strict()
      .default({ pgliteDir: '.evalgate/db' }),
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** `false` disables API-key auth; only sensible for local use. */
        auth: z.boolean().default(true),
        /**
         * Failed authentications allowed per client address per window before
         * 429 (docs/api.md "Rate limit"); valid keys are never throttled.
         */
        authFailures: z
          .object({
            /** Failures allowed in one window. */
            max: positiveInt.default(20),
            /** Window length in milliseconds. */
            windowMs: positiveInt.default(60_000),
          })
          .strict()
          .default({ max: 20, windowMs: 60_000 }),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, auth: true, authFailures: { max: 20, windowMs: 60_000 } }),
    /**
     * Live-gateway limits (see docs/realtime.md); each unset key keeps its
     * default, and `EVALGATE_LIVE_*` variables override the file.
     */
    live: z
      .object({
        maxFrameBytes: positiveInt.optional(),
        maxBufferedAudioS: z.number().positive().optional(),
        maxSessionsPerKey: positiveInt.optional(),
        maxSessionsTotal: positiveInt.optional(),
        maxPendingUtterances: positiveInt.optional(),
        outboundSoftBytes: positiveInt.optional(),
        outboundHardBytes: positiveInt.optional(),
        replayEvents: positiveInt.optional(),
        resumeGraceMs: positiveInt.optional(),
        shutdownDrainMs: positiveInt.optional(),
        modelTimeoutMs: positiveInt.optional(),
        maxVadQueue: positiveInt.optional(),
        maxPendingWrites: positiveInt.optional(),
        /** Folder of the live results journal (kept while the database is unavailable); default `.evalgate/journal`. */
        journalDir: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    /** Where cached frames and responses live (and, under `spill/`, answers a run keeps while the database is away). */
    cacheDir: z.string().default('.evalgate/cache'),
    /** Batch runner: `dbOutageMaxMs` bounds how long a run waits for an unreachable database (default 120 000). */
    runner: z.object({ dbOutageMaxMs: positiveInt.optional() }).strict().default({}),
    /** What a sealed dataset shows to non-admin keys (docs/security.md). */
    sealed: z
      .object({
        /** Aggregates over fewer samples than this (per-tag slices included) are admin-only on sealed datasets. */
        minSliceSize: positiveInt.default(10),
      })
      .strict()
      .default({ minSliceSize: 10 }),
    /** LLM judges (docs/judges.md): the default judge model, and rubrics by dataset name or task. */
    judge: z
      .object({
        /** Model id `evalgate judge` uses when `--judge` is not given. */
        model: z.string().min(1).optional(),
        /** Rubric used when neither `--rubric` nor `rubrics` names one. */
        rubric: z.string().min(1).optional(),
        /** Rubric per dataset name or task (`{ "my-open-qa": "voicebench-open", "vqa": "mm-vet" }`); a dataset name wins over a task. */
        rubrics: z.record(z.string(), z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    /** The blind arena's battles (docs/arena.md "Arena battles"); every key has a default. */
    arena: z
      .object({
        /** Opens battle creation and voting to callers without a key, under per-address rate limits. */
        public: z.boolean().default(false),
        /** Datasets (names or ids) a keyless caller of a public arena may draw preset prompts from; none by default (presets read datasets, which otherwise need a key). */
        publicPresetDatasets: z.array(z.string().min(1)).default([]),
        /** Model ids (from `models`) eligible per modality; two are drawn at random for each battle. */
        models: z
          .object({ text: z.array(z.string()), audio: z.array(z.string()), image: z.array(z.string()), video: z.array(z.string()) })
          .partial()
          .strict()
          .default({}),
        /** Votes a voter may cast per UTC day before further ones are stored as excluded (`voter-daily-cap`). */
        maxVotesPerDay: positiveInt.default(200),
        /** Words whose presence (case-insensitive substring) in a battle excludes its vote; default FastChat's list. */
        identityWords: z.array(z.string().min(1)).optional(),
        /** Largest uploaded media file, in bytes (decoded; the JSON body carries it as base64). */
        maxUploadBytes: positiveInt.default(25 * 1024 * 1024),
        /** Longest spoken prompt, in seconds. */
        maxAudioSeconds: z.number().positive().default(60),
        /** Token buckets per key (or per address when keyless): requests per minute, burst of the same size. */
        rateLimit: z
          .object({ battlesPerMinute: positiveInt.default(10), votesPerMinute: positiveInt.default(30) })
          .strict()
          .default({ battlesPerMinute: 10, votesPerMinute: 30 }),
        /** Human votes kept per prompt hash when rating (FastChat's prompt dedup, a fixed cap); default 1 (gateway/arena/arena-ratings.ts). */
        maxVotesPerPrompt: positiveInt.optional(),
        /** Ratings options (docs/arena.md "Ratings"); each has a default in gateway/arena/arena-ratings.ts. */
        ratings: z
          .object({
            weights: z
              .object({ strong: z.number().min(0), preference: z.number().min(0), tie: z.number().min(0) })
              .strict()
              .optional(),
            anchor: z
              .object({ model: z.string().min(1), rating: z.number() })
              .strict()
              .optional(),
            minVotes: positiveInt.optional(),
            rounds: z.number().int().min(0).optional(),
            seed: z.number().int().optional(),
            styleControl: z.union([z.boolean(), z.object({ reg: z.number().positive().optional() }).strict()]).optional(),
            outlierTest: z
              .union([
                z.boolean(),
                z.object({ alpha: z.number().positive().lt(1).optional(), minVotes: positiveInt.optional(), maxVotes: positiveInt.optional() }).strict(),
              ])
              .optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({
        public: false,
        publicPresetDatasets: [],
        models: {},
        maxVotesPerDay: 200,
        maxUploadBytes: 25 * 1024 * 1024,
        maxAudioSeconds: 60,
        rateLimit: { battlesPerMinute: 10, votesPerMinute: 30 },
      }),
    /** Log level for the server (pino levels). */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    models: z
      .array(modelConfigSchema)
      .default([])
      .superRefine((models, ctx) => {
        const seen = new Set<string>();
        models.forEach((m, i) => {
          if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate model id "${m.id}"` });
          seen.add(m.id);
        });
      }),
  })
  .strict();

export type ModelConfig = Readonly<z.infer<typeof modelConfigSchema>>;
export type EvalgateConfig = Readonly<z.infer<typeof configSchema>>;
