import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { copyReportMedia, reportMediaKey, type ReportMediaLink } from './copy-report-media.js';
import { renderReport, type ReportInput } from './render-report.js';

/** Where a report went. */
export interface WrittenReport {
  /** Absolute path of the HTML file. */
  readonly path: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The media copied beside it (the folder moves with the file). */
  readonly media: { readonly dir?: string; readonly files: number; readonly bytes: number };
}

/**
 * Writes a report file with its media: the disagreement samples' media are
 * copied into the folder beside it (copy-report-media.ts) and linked
 * relatively, so the links work wherever the file and folder are moved. The
 * parent folder is created (the default is under the cache folder).
 */
export async function writeReportFile(db: Kysely<Database>, out: string, input: ReportInput): Promise<WrittenReport> {
  const path = resolve(out);
  await mkdir(dirname(path), { recursive: true });
  const datasetOf = (s: ReportInput['sections'][number]) => s.runs[0]?.run.datasetId ?? null;
  const requests = input.sections.flatMap((s) => {
    const datasetId = datasetOf(s);
    return datasetId === null ? [] : s.comparison.disagreements.map((d) => ({ datasetId, sampleKey: d.sampleKey }));
  });
  const copied = await copyReportMedia(db, path, requests);
  const sections = input.sections.map((s) => {
    const datasetId = datasetOf(s);
    if (datasetId === null) return s;
    const media = new Map<string, readonly ReportMediaLink[]>();
    for (const d of s.comparison.disagreements) media.set(d.sampleKey, copied.links.get(reportMediaKey(datasetId, d.sampleKey)) ?? []);
    return { ...s, media };
  });
  const html = await renderReport({ ...input, sections });
  await writeFile(path, html);
  return { path, bytes: Buffer.byteLength(html), media: { ...(copied.dir ? { dir: copied.dir } : {}), files: copied.files, bytes: copied.bytes } };
}
