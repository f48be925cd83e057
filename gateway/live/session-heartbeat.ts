import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { beatSessions, reapStaleSessions } from '../store/heartbeat-repo.js';

// Each gateway process stamps the stream sessions it holds; a session left
// `open` or `disconnected` by a process that was killed (kill -9, a lost
// machine) stops being stamped, and any gateway sharing the database marks it
// failed. Several gateways can share one database: each stamps only its own
// sessions, and a session is reaped only once nobody has stamped it for a minute.

type Db = Kysely<Database>;

/** How often a gateway stamps its sessions, ms. */
export const sessionHeartbeatMs = 10_000;

// The stamp, the staleness condition and the reap statement are shared with
// batch runs in gateway/store/heartbeat-repo.ts.

/**
 * Starts stamping the sessions `held()` names every {@link sessionHeartbeatMs},
 * and reaping abandoned ones at once and then every few beats. Failures go to
 * `onError` (a missed beat only makes a session look stale sooner). The timer
 * is unref'd. Returns the stop function.
 */
export function startSessionHeartbeat(
  db: Db,
  held: () => readonly string[],
  opts: { everyMs?: number; onError?: (err: unknown) => void; onReaped?: (ids: string[]) => void } = {},
): () => Promise<void> {
  let tick = 0;
  let running: Promise<void> = Promise.resolve();
  const once = async (): Promise<void> => {
    try {
      await beatSessions(db, held());
      if (tick++ % 6 === 0) {
        const reaped = await reapStaleSessions(db);
        if (reaped.length > 0) opts.onReaped?.(reaped);
      }
    } catch (err) {
      opts.onError?.(err);
    }
  };
  const run = (): void => {
    running = running.then(once);
  };
  run();
  const timer = setInterval(run, opts.everyMs ?? sessionHeartbeatMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
