import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { isContainmentProblem, openContainedMedia } from '../../datasets/contain-media-path.js';
import type { Database } from '../store/database.js';
import { findSampleMediaRecord } from '../store/dataset-repo.js';

// Media links that work wherever the report goes: the report's media are
// copied into a folder beside it (`report.html` → `report-media/`) and linked
// by relative paths, so the file and its folder can be moved, zipped or
// served together. (Embedding as data: URIs would keep one file, but would
// put a second scheme into links, and a video can be hundreds of MB inside an
// HTML file.) Only a dataset's recorded media are copied, by the rules the
// media route serves them with (datasets/contain-media-path.ts): the file
// recorded at import, real path inside the dataset root, size unchanged. A
// path from anywhere else is never read.

/** One media entry of a sample as the report shows it. */
export interface ReportMediaLink {
  /** The path recorded in the manifest (shown as text). */
  readonly label: string;
  /** Relative URL of the copy beside the report; absent when none was made. */
  readonly href?: string;
  /** Why there is no copy (the file is missing, outside the dataset, changed since import). */
  readonly note?: string;
}

/** The samples whose media a report links. */
export interface ReportMediaRequest {
  /** Dataset id. */
  readonly datasetId: string;
  /** Sample id in the manifest. */
  readonly sampleKey: string;
}

/** What was copied. */
export interface CopiedReportMedia {
  /** Links per dataset id and sample key (`datasetId/sampleKey`). */
  readonly links: ReadonlyMap<string, readonly ReportMediaLink[]>;
  /** The folder the copies are in (absolute; absent when nothing was copied). */
  readonly dir?: string;
  /** Files copied. */
  readonly files: number;
  /** Bytes copied. */
  readonly bytes: number;
}

/** The key of {@link CopiedReportMedia.links}. */
export const reportMediaKey = (datasetId: string, sampleKey: string): string => `${datasetId}/${sampleKey}`;

/** The media folder beside a report file: `report.html` → `report-media`. */
export function reportMediaDirName(reportPath: string): string {
  const name = basename(reportPath);
  return `${name.slice(0, name.length - extname(name).length) || name}-media`;
}

/** A file name that is inert on every filesystem and in a URL: letters, digits, `.`, `_`, `-`; never hidden. */
function safeFileName(manifestPath: string): string {
  const base = basename(manifestPath.replace(/\\/g, '/'));
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '_');
  return cleaned.slice(-80) || 'media';
}

/**
 * Copies the media of `requests` next to `reportPath` and returns the links
 * the report shows. Each distinct file is copied once (`<n>-<name>`); a file
 * that cannot be served is listed with the reason instead of a link.
 */
export async function copyReportMedia(db: Kysely<Database>, reportPath: string, requests: readonly ReportMediaRequest[]): Promise<CopiedReportMedia> {
  const dirName = reportMediaDirName(reportPath);
  const dir = join(dirname(reportPath), dirName);
  const links = new Map<string, ReportMediaLink[]>();
  const copies = new Map<string, string>();
  let bytes = 0;
  for (const req of requests) {
    const key = reportMediaKey(req.datasetId, req.sampleKey);
    if (links.has(key)) continue;
    const record = await findSampleMediaRecord(db, req.datasetId, req.sampleKey);
    const out: ReportMediaLink[] = [];
    for (const [i, media] of (record?.media ?? []).entries()) {
      if (!record?.root_dir) {
        out.push({ label: media.path, note: 'the dataset has no recorded folder' });
        continue;
      }
      // Samples imported before real paths were recorded are checked by real path alone, as by the media route.
      const opened = await openContainedMedia(record.root_dir, media.path, record.media_files[i]);
      if (isContainmentProblem(opened)) {
        out.push({ label: media.path, note: opened.problem === 'changed' ? 'changed since import, not copied' : `${opened.problem}, not copied` });
        continue;
      }
      // Samples can share a file (the same image asked twice): one copy, keyed by the file's identity.
      const st = await opened.handle.stat();
      const real = `${st.dev}:${st.ino}`;
      let name = copies.get(real);
      if (name) {
        await opened.handle.close();
      } else {
        name = `${copies.size + 1}-${safeFileName(media.path)}`;
        await mkdir(dir, { recursive: true });
        // The read stream closes the handle when it ends or fails.
        await pipeline(opened.handle.createReadStream(), createWriteStream(join(dir, name)));
        copies.set(real, name);
        bytes += opened.sizeBytes;
      }
      out.push({ label: media.path, href: `${dirName}/${name}` });
    }
    links.set(key, out);
  }
  return { links, ...(copies.size ? { dir } : {}), files: copies.size, bytes };
}
