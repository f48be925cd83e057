/** Turns a ManifestError into the registry error, so the CLI prints file:line: field: detail with a stable code. */
export async function asManifestError(err: unknown): Promise<unknown> {
  const { ManifestError } = await import('../../datasets/parse-manifest.js');
  const { EvalgateError } = await import('../errors.js');
  if (err instanceof ManifestError) {
    return new EvalgateError('EVALGATE_ERR_MANIFEST_INVALID', { file: err.file, line: err.line, field: err.field, detail: err.detail }, { cause: err });
  }
  return err;
}
