/**
 * The value, or a thrown Error naming what was missing. For test setup that
 * reads an element it expects to be there (a captured request, a query's
 * row, a regex group): a missing one fails the test at that line, with that
 * name, instead of passing `undefined` on to a later, vaguer failure.
 */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}, got undefined`);
  return value;
}
