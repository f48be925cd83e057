import { EvalgateError } from '../errors.js';

// Option values typed on the command line. A bad one is the user's to fix, so it is EVALGATE_ERR_BAD_INPUT
// with the option's name and the value given (issue 19: "--concurrency 0" used to print EVALGATE_ERR_INTERNAL).

/** A bad option value as the CLI reports it. */
export function badOption(detail: string): EvalgateError {
  return new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
}

/** `value` as an integer ≥ 1, or a bad-option error naming `name`. */
export function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw badOption(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/** `value` as an integer ≥ 0, or a bad-option error naming `name`. */
export function nonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw badOption(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

/** `value` as a finite number > 0, or a bad-option error naming `name`. */
export function positiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw badOption(`${name} must be a positive number, got "${value}"`);
  return n;
}
