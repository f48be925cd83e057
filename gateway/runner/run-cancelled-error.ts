/** Thrown when the run's own signal aborts: the sample is left pending, not failed. */
export class RunCancelledError extends Error {
  constructor() {
    super('run cancelled');
    this.name = 'RunCancelledError';
  }
}
