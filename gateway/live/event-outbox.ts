import type { LiveEvent } from './live-event.js';
import type { LiveMetrics } from './live-metrics.js';

/**
 * Where a session's events go: to the attached client, or, while none is
 * attached, into a bounded replay list (oldest dropped, counted) that the
 * next attach receives first, so a resumed client misses nothing it can get.
 */
export class EventOutbox {
  readonly #limit: number;
  readonly #metrics: Pick<LiveMetrics, 'errors'>;
  #sink: ((ev: LiveEvent) => void) | undefined;
  readonly #replay: LiveEvent[] = [];
  #dropped = 0;

  constructor(limit: number, metrics: Pick<LiveMetrics, 'errors'>) {
    this.#limit = limit;
    this.#metrics = metrics;
  }

  /** Connects a client; events held while detached are replayed first. Returns how many were dropped. */
  attach(sink: (ev: LiveEvent) => void): number {
    const dropped = this.#dropped;
    for (const ev of this.#replay.splice(0)) sink(ev);
    this.#dropped = 0;
    this.#sink = sink;
    return dropped;
  }

  /** Disconnects the client; events are kept (bounded) for a resume. */
  detach(): void {
    this.#sink = undefined;
  }

  emit(ev: LiveEvent): void {
    if (ev.type === 'error') this.#metrics.errors.inc({ code: ev.code });
    if (this.#sink) return this.#sink(ev);
    this.#replay.push(ev);
    if (this.#replay.length > this.#limit) {
      this.#replay.shift();
      this.#dropped++;
    }
  }
}
