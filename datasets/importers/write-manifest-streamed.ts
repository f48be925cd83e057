import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { realpath, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { manifestSampleSchema } from '../manifest-schema.js';
import { ManifestError } from '../parse-manifest.js';
import { readLineBatches } from '../read-line-batches.js';
import type { ImportedSample } from './imported-set.js';
import { RowProblems } from './row-problems.js';

/** Where a streamed manifest went. */
export interface StreamedManifest {
  /** Absolute manifest path. */
  readonly manifestPath: string;
  /** Samples written. */
  readonly sampleCount: number;
}

/**
 * Writes a manifest from a line-oriented source in one streamed pass: each
 * non-blank source line becomes a sample through `toSample` (which throws a
 * ManifestError for a bad line), written at once, so memory does not grow with
 * the source. Media paths are written as writeImportedManifest writes them in
 * place (relative inside `outDir`, absolute elsewhere) and each line passes the
 * schema again after that, so the bytes are the same as the in-memory pair's.
 * Bad lines are all reported together (RowProblems); nothing more is written
 * after the first. The manifest is written under a temporary name and renamed
 * into place only when every line passed: a failed import never leaves a
 * partial manifest, nor destroys one already there, and a source that is
 * itself the output path is refused rather than truncated before it is read.
 */
export async function writeManifestStreamed(
  sourceFile: string,
  outDir: string,
  fileName: string | undefined,
  limit: number | undefined,
  toSample: (line: number, text: string) => ImportedSample,
): Promise<StreamedManifest> {
  const manifestPath = join(outDir, fileName ?? 'evalgate-manifest.jsonl');
  const rel = (p: string): string => {
    const r = relative(outDir, p);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r.split(sep).join('/') : p;
  };
  const same = await realpath(sourceFile).then(
    async (src) => src === (await realpath(manifestPath).catch(() => manifestPath)),
    () => false,
  );
  if (same) {
    throw new ManifestError(
      sourceFile,
      0,
      'file',
      `the source is the manifest this import would write (${manifestPath}); import it as a manifest, or copy it first`,
    );
  }
  const problems = new RowProblems('line');
  const partial = `${manifestPath}.${process.pid}.partial`;
  const sink = createWriteStream(partial);
  let count = 0;
  const full = (): boolean => limit !== undefined && count >= limit;
  try {
    for await (const batch of readLineBatches(sourceFile)) {
      const lines: string[] = [];
      for (const { line, text } of batch) {
        if (full()) break;
        try {
          const s = toSample(line, text);
          const written = manifestSampleSchema.parse({
            ...s,
            ...(s.audio ? { audio: rel(s.audio) } : {}),
            ...(s.image ? { image: rel(s.image) } : {}),
            ...(s.images ? { images: s.images.map(rel) } : {}),
            ...(s.video ? { video: rel(s.video) } : {}),
          });
          lines.push(JSON.stringify(written));
          count++;
        } catch (err) {
          if (!(err instanceof ManifestError)) throw err;
          problems.add(err);
        }
      }
      // Backpressure: wait for the file to take a batch before reading the next.
      if (lines.length > 0 && problems.count === 0 && !sink.write(`${lines.join('\n')}\n`)) await once(sink, 'drain');
      if (full()) break;
    }
    sink.end();
    await once(sink, 'close');
    problems.throwIfAny();
    // An empty result is refused by the caller: nothing replaces what is there.
    if (count > 0) await rename(partial, manifestPath);
    else await rm(partial, { force: true });
  } catch (err) {
    sink.destroy();
    await rm(partial, { force: true });
    throw err;
  }
  return { manifestPath, sampleCount: count };
}
