import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus instruments of the live gateway, registered on the app's registry. */
export interface LiveMetrics {
  /** Open sessions by protocol. */
  readonly activeSessions: Gauge<'protocol'>;
  /** Seconds of audio received from clients. */
  readonly audioSecondsReceived: Counter;
  /** Finished utterances by status. */
  readonly utterances: Counter<'status'>;
  /** End of speech → first output token. */
  readonly firstTokenSeconds: Histogram;
  /** End of speech → final output. */
  readonly finalSeconds: Histogram;
  /** End of speech → first audio of a spoken reply (sessions with an ASR expert). */
  readonly firstAudioSeconds: Histogram;
  /** Real-time factor of spoken replies. */
  readonly speechRealTimeFactor: Histogram;
  /** Errors sent to clients or that ended sockets, by code. */
  readonly errors: Counter<'code'>;
  /** Server events dropped for slow clients. */
  readonly droppedEvents: Counter;
  /** Rows journaled during a database outage and not yet written (0 when the database keeps up). */
  readonly journalBacklog: Gauge;
}

const latencyBuckets = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

/** Creates the instruments on `registry` (one set per app, so several apps can share a process). */
export function createLiveMetrics(registry: Registry): LiveMetrics {
  const registers = [registry];
  return {
    activeSessions: new Gauge({ name: 'evalgate_live_sessions_active', help: 'Open live sessions', labelNames: ['protocol'], registers }),
    audioSecondsReceived: new Counter({ name: 'evalgate_live_audio_seconds_received_total', help: 'Audio seconds received', registers }),
    utterances: new Counter({ name: 'evalgate_live_utterances_total', help: 'Finished utterances', labelNames: ['status'], registers }),
    firstTokenSeconds: new Histogram({
      name: 'evalgate_live_latency_first_token_seconds',
      help: 'End of speech to first output token',
      buckets: latencyBuckets,
      registers,
    }),
    finalSeconds: new Histogram({
      name: 'evalgate_live_latency_final_seconds',
      help: 'End of speech to final output',
      buckets: latencyBuckets,
      registers,
    }),
    firstAudioSeconds: new Histogram({
      name: 'evalgate_live_speech_first_audio_seconds',
      help: 'End of speech to the first audio of a spoken reply',
      buckets: latencyBuckets,
      registers,
    }),
    speechRealTimeFactor: new Histogram({
      name: 'evalgate_live_speech_real_time_factor',
      help: 'Spoken replies: end of speech to the last audio chunk, divided by the audio length',
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers,
    }),
    errors: new Counter({ name: 'evalgate_live_errors_total', help: 'Live errors by code', labelNames: ['code'], registers }),
    droppedEvents: new Counter({ name: 'evalgate_live_dropped_events_total', help: 'Server events dropped for slow clients', registers }),
    journalBacklog: new Gauge({
      name: 'evalgate_live_journal_backlog',
      help: 'Live result rows journaled while the database was unavailable, not yet written to it',
      registers,
    }),
  };
}
