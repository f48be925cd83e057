import { EvalgateError, isEvalgateError } from '../errors.js';

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
    } catch (thrown) {
      const err = toUserError(thrown);
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
  // An error relayed from the gateway reads `CODE: message`; the code is printed once, below.
  if (body.message.startsWith(`${body.code}: `)) body.message = body.message.slice(body.code.length + 2);
  if (json) process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  else process.stderr.write(`evalgate: ${body.message} [${body.code}]\n`);
  if (!isEvalgateError(err) && process.env.EVALGATE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
}

/** System errors (Node's errno errors, possibly wrapped as `cause`, e.g. by fetch). */
function errnoOf(err: unknown): NodeJS.ErrnoException | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).syscall !== undefined) return e as NodeJS.ErrnoException;
  }
  return undefined;
}

const unreachable = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/**
 * The one place where the CLI turns user errors that arrive as plain system
 * errors into registry codes with a hint: a missing file, an unreachable
 * gateway, a taken port. Anything else passes through unchanged.
 */
export function toUserError(err: unknown): unknown {
  if (isEvalgateError(err)) return err;
  const e = errnoOf(err);
  if (!e) return err;
  if (e.code === 'ENOENT' && typeof e.path === 'string')
    return new EvalgateError('EVALGATE_ERR_FILE_NOT_FOUND', { path: e.path, cwd: process.cwd() }, { cause: err });
  const at = e as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (unreachable.has(e.code ?? '')) {
    return new EvalgateError(
      'EVALGATE_ERR_GATEWAY_UNREACHABLE',
      { host: at.address ?? at.hostname ?? '?', port: at.port ?? '?', detail: e.code ?? 'connection failed' },
      { cause: err },
    );
  }
  if (e.code === 'EADDRINUSE') return new EvalgateError('EVALGATE_ERR_PORT_IN_USE', { host: at.address ?? '?', port: at.port ?? '?' }, { cause: err });
  return err;
}
