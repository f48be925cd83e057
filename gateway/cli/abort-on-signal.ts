/** An abort signal tied to the process's SIGINT/SIGTERM until detached. */
export interface SignalAbort {
  /** Aborted on the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Removes the signal handlers (call in `finally`, so a later Ctrl-C is not swallowed). */
  readonly detach: () => void;
}

/**
 * The stop wiring `run`, `judge` and `worker` share: the first SIGINT or
 * SIGTERM aborts, so work in flight can finish and the rest be left for a
 * later resume, instead of the process dying mid-write. `stopping`, when given,
 * goes to stderr as it happens (commands pass none under --json, whose stdout
 * and stderr stay quiet apart from the one document).
 */
export function abortOnSignal(stopping: string | undefined): SignalAbort {
  const abort = new AbortController();
  const onSignal = (): void => {
    if (stopping !== undefined) process.stderr.write(stopping);
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    detach: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
