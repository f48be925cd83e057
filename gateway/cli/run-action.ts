import { isEvalgateError } from '../errors.js';

/** Options every command accepts. */
export interface CommonOptions {
  /** Print one JSON document on stdout and nothing decorative. */
  readonly json?: boolean;
}

/**
 * Wraps a command action: prints its result (JSON with --json, text otherwise)
 * and turns errors into a one-line message and a non-zero exit code, never a
 * stack trace for expected errors.
 */
export function runAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find((a): a is CommonOptions => typeof a === 'object' && a !== null && 'json' in a);
    try {
      const result = await action(...args);
      if (result !== undefined) printResult(result, Boolean(opts?.json));
    } catch (err) {
      reportError(err, Boolean(opts?.json));
      process.exitCode = isEvalgateError(err) && err.code === 'EVALGATE_ERR_INTERNAL' ? 70 : 1;
    }
  };
}

export function printResult(result: unknown, json: boolean): void {
  if (json || typeof result !== 'string') process.stdout.write(`${JSON.stringify(result, null, json ? 2 : 2)}\n`);
  else process.stdout.write(result.endsWith('\n') ? result : `${result}\n`);
}

export function reportError(err: unknown, json: boolean): void {
  const body = isEvalgateError(err) ? err.toJSON() : { code: 'EVALGATE_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
  if (json) process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  else process.stderr.write(`evalgate: ${body.message} [${body.code}]\n`);
  if (!isEvalgateError(err) && process.env.EVALGATE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
}
