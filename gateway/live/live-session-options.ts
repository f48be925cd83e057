import type { Kysely } from 'kysely';
import type { SileroVadSegmenter } from '../../experts/vad/silero-vad-segmenter.js';
import type { ModelConfig } from '../config/config-schema.js';
import type { RealtimeConnection } from '../models/spec/realtime-model-v1.js';
import type { Database } from '../store/database.js';
import type { LiveHearing } from './live-hearing.js';
import type { LiveLimits } from './live-limits.js';
import type { LiveMetrics } from './live-metrics.js';
import type { LiveModel } from './live-model.js';
import type { SessionWriter } from './session-writer.js';

/** Everything a session needs, handed in by the registry. */
export interface LiveSessionOptions {
  /** stream_sessions.id */
  readonly id: string;
  /** Wire protocol, stored and used for metrics. */
  readonly protocol: 'realtime' | 'native';
  /** The configured model. */
  readonly modelConfig: ModelConfig;
  /** The model behind the session. */
  readonly model: LiveModel;
  /** The ASR expert that hears the replies of a model answering in speech (absent: the model answers in text). */
  readonly hearing?: LiveHearing;
  /** Open upstream connection when the model is realtime. */
  readonly upstream?: RealtimeConnection;
  /** Who opened it (resume must come from the same key). */
  readonly apiKeyId: string | null;
  /** Whether this key may see the per-utterance scores of a sample of an open (false) or sealed (true) dataset. */
  readonly canSeeScores: (sealed: boolean) => boolean;
  /** Database (sample lookups). */
  readonly db: Kysely<Database>;
  /** Ordered persistence. */
  readonly writer: SessionWriter;
  /** Prometheus instruments. */
  readonly metrics: LiveMetrics;
  /** Bounds. */
  readonly limits: LiveLimits;
  /** Opens a Silero segmenter (injected so sessions without server_vad never load ONNX). */
  readonly createVad: (opts: { threshold: number; minSilenceMs: number; speechPadMs: number }) => Promise<SileroVadSegmenter>;
  /** Called when reading from the client should pause (true) or resume (false). */
  readonly onBackpressure?: (paused: boolean) => void;
}
