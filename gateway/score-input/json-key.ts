/**
 * The value a key names in a JSON object: the top-level field of that exact name when there is one,
 * else a dotted path (`doc.question_id` → value.doc.question_id). Undefined when absent.
 */
export function valueAtKey(value: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(value, key)) return value[key];
  let at: unknown = value;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}
