import type { z } from 'zod';

/**
 * The first problem of a failed schema check, as the field path and message a
 * ManifestError reports. Zod always lists at least one issue on failure; the
 * fallback (the whole line, zod's own message) keeps that an assumption
 * rather than an unchecked index.
 */
export function firstIssue(error: z.ZodError): { readonly field: string; readonly message: string } {
  const [issue] = error.issues;
  return issue ? { field: issue.path.join('.'), message: issue.message } : { field: '', message: error.message };
}
