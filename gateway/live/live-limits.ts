/** Bounds on live sessions. Every queue here has a limit and a policy when full (see docs/realtime.md). */
export interface LiveLimits {
  /** Largest WebSocket frame accepted; larger frames close the socket with 1009. */
  readonly maxFrameBytes: number;
  /** Uncommitted audio a session may hold; appends beyond it get an `error` event (EVALGATE_ERR_BUFFER_FULL) and are dropped. */
  readonly maxBufferedAudioS: number;
  /** Open (or resumable) sessions per API key; more are refused with 1013. */
  readonly maxSessionsPerKey: number;
  /** Open (or resumable) sessions in the process; more are refused with 1013. */
  readonly maxSessionsTotal: number;
  /** Committed utterances waiting for the model per session; more are failed with EVALGATE_ERR_BUFFER_FULL. */
  readonly maxPendingUtterances: number;
  /** Bytes the socket may hold unsent before transcript deltas are dropped (the final event still carries the whole text). */
  readonly outboundSoftBytes: number;
  /** Bytes the socket may hold unsent before the session is disconnected with 1013 (resumable). */
  readonly outboundHardBytes: number;
  /** Server events kept for a disconnected session and replayed on resume; the oldest are dropped beyond it. */
  readonly replayEvents: number;
  /** How long a dropped session waits for its client to resume it. */
  readonly resumeGraceMs: number;
  /** How long graceful shutdown lets open utterances finish. */
  readonly shutdownDrainMs: number;
  /** Upper bound on one model call for one utterance. */
  readonly modelTimeoutMs: number;
  /** VAD pushes queued before the socket stops reading (backpressure toward the client). */
  readonly maxVadQueue: number;
  /** Database rows queued in the process's write-behind queue before every socket stops reading (wait) until half have been written. */
  readonly maxPendingWrites: number;
}

export const defaultLiveLimits: LiveLimits = Object.freeze({
  maxFrameBytes: 1024 * 1024,
  maxBufferedAudioS: 120,
  maxSessionsPerKey: 32,
  maxSessionsTotal: 512,
  maxPendingUtterances: 8,
  outboundSoftBytes: 512 * 1024,
  outboundHardBytes: 8 * 1024 * 1024,
  replayEvents: 256,
  resumeGraceMs: 30_000,
  shutdownDrainMs: 10_000,
  modelTimeoutMs: 120_000,
  maxVadQueue: 32,
  maxPendingWrites: 20_000,
});

const envNames: Record<keyof LiveLimits, string> = {
  maxFrameBytes: 'EVALGATE_LIVE_MAX_FRAME_BYTES',
  maxBufferedAudioS: 'EVALGATE_LIVE_MAX_BUFFERED_AUDIO_S',
  maxSessionsPerKey: 'EVALGATE_LIVE_MAX_SESSIONS_PER_KEY',
  maxSessionsTotal: 'EVALGATE_LIVE_MAX_SESSIONS',
  maxPendingUtterances: 'EVALGATE_LIVE_MAX_PENDING_UTTERANCES',
  outboundSoftBytes: 'EVALGATE_LIVE_OUTBOUND_SOFT_BYTES',
  outboundHardBytes: 'EVALGATE_LIVE_OUTBOUND_HARD_BYTES',
  replayEvents: 'EVALGATE_LIVE_REPLAY_EVENTS',
  resumeGraceMs: 'EVALGATE_LIVE_RESUME_GRACE_MS',
  shutdownDrainMs: 'EVALGATE_LIVE_SHUTDOWN_DRAIN_MS',
  modelTimeoutMs: 'EVALGATE_LIVE_MODEL_TIMEOUT_MS',
  maxVadQueue: 'EVALGATE_LIVE_MAX_VAD_QUEUE',
  maxPendingWrites: 'EVALGATE_LIVE_MAX_PENDING_WRITES',
};

/**
 * The limits in force: defaults, then the config file's `live` section, then
 * `EVALGATE_LIVE_*` environment variables, then `overrides` (tests, embedding
 * code). Validated once and frozen.
 */
export function liveLimitsFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<LiveLimits> = {}, fromConfig: Partial<LiveLimits> = {}): LiveLimits {
  const out: Record<string, number> = { ...defaultLiveLimits, ...definedOnly(fromConfig) };
  for (const [key, name] of Object.entries(envNames)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number (got "${raw}")`);
    out[key] = n;
  }
  const limits = { ...(out as unknown as LiveLimits), ...definedOnly(overrides) };
  if (limits.outboundSoftBytes > limits.outboundHardBytes) {
    throw new RangeError(`live.outboundSoftBytes (${limits.outboundSoftBytes}) must not exceed live.outboundHardBytes (${limits.outboundHardBytes})`);
  }
  return Object.freeze(limits);
}

/** A partial with its undefined keys removed, so they do not mask a value from an earlier layer. */
function definedOnly(p: Partial<LiveLimits>): Partial<LiveLimits> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial<LiveLimits>;
}
