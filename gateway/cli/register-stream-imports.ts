import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isTaskName, orList, taskNames } from '../../scorers/tasks/index.js';
import { asManifestError } from './manifest-error.js';
import { badOption, nonNegativeInt } from './option-values.js';
import { runAction } from './run-action.js';

// `evalgate datasets import hf-parquet PATH…` and `… import lhotse RECORDINGS
// SUPERVISIONS`: subcommands of `datasets import` (registered by
// commands/datasets.ts; this file sits outside commands/, whose every file is
// one top-level command), because their sources are
// several files where the other formats take one path. They share the parent's
// options (--name, --out, --limit, --map, --task, --lang, --tag, --media-dir,
// --sealed, --no-db, --json): commander parses a parent's known options before
// dispatching, so they are read with optsWithGlobals().

interface SharedImportOpts {
  name: string;
  limit?: string;
  out?: string;
  /** `--copy-to`, where the parent command has it (media in place): the same as --out here. */
  copyTo?: string;
  sealed?: boolean;
  map: string[];
  task?: string;
  lang?: string;
  tag: string[];
  mediaDir?: string;
  /** `--media-root`: folders media may come from besides the source folder (lhotse recordings in place). */
  mediaRoot?: string[];
  db?: boolean;
  json?: boolean;
}

/** What the written manifest came from, for the summary and the dataset's meta. */
interface Written {
  readonly manifestPath: string;
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  readonly skippedCount: number;
  readonly extra: Readonly<Record<string, unknown>>;
}

/**
 * Records a written manifest in the store, as `datasets import` does for the
 * other formats: stream it in, hashing every file, with a progress bar; print
 * the digests (or only the manifest with --no-db).
 */
async function record(cmd: Command, format: string, source: string, w: Written, opts: SharedImportOpts, limit: number | undefined): Promise<unknown> {
  const [firstSkipped] = w.skipped;
  const skippedText = firstSkipped ? `, ${w.skippedCount} skipped (e.g. ${firstSkipped.id}: ${firstSkipped.reason})` : '';
  const base = { format, skipped: w.skippedCount, skippedExamples: w.skipped.slice(0, 5), ...w.extra };
  if (opts.db === false) {
    const { parseManifest } = await import('../../datasets/parse-manifest.js');
    const manifest = await parseManifest(w.manifestPath);
    const summary = { ...base, manifestPath: manifest.path, samples: manifest.samples.length };
    return opts.json ? summary : `wrote ${manifest.path} (${manifest.samples.length} samples${skippedText})`;
  }
  const { withStore } = await import('./cli-context.js');
  const { datasetTaskCounts } = await import('../store/dataset-repo.js');
  const { importManifestStream } = await import('../store/import-manifest-stream.js');
  const { createProgress } = await import('./progress.js');
  const { startHeapReport } = await import('./heap-report.js');
  return withStore(cmd, async (store) => {
    // The written manifest is read back as a stream and stored in batches, as `datasets import manifest` does.
    const heap = startHeapReport();
    const progress = createProgress('importing lines', 0, { json: opts.json });
    let last = 0;
    let dataset;
    try {
      dataset = await importManifestStream(store.db, w.manifestPath, {
        name: opts.name,
        sealed: opts.sealed,
        mediaRoots: (opts.mediaRoot ?? []).map((d) => resolve(d)),
        meta: { format, source, limit: limit ?? null, ...(opts.mediaRoot?.length ? { mediaRoots: opts.mediaRoot.map((d) => resolve(d)) } : {}) },
        onProgress: (done, total) => {
          if (last === 0) progress.setTotal(total);
          progress.increment(done - last);
          last = done;
          heap.sample();
        },
      });
    } finally {
      progress.stop();
      heap.stop();
    }
    const tasks = await datasetTaskCounts(store.db, dataset.id);
    if (opts.json) {
      return {
        ...base,
        manifestPath: dataset.manifest_path,
        samples: dataset.sample_count,
        id: dataset.id,
        name: dataset.name,
        sealed: dataset.sealed,
        manifestDigest: dataset.manifest_digest,
        merkleRoot: dataset.merkle_root,
        tasks,
      };
    }
    return [
      `imported ${dataset.name}: ${dataset.sample_count} samples (${Object.entries(tasks)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')})${skippedText}`,
      `  manifest: ${dataset.manifest_path}`,
      `  manifest digest: ${dataset.manifest_digest}`,
      `  merkle root:     ${dataset.merkle_root}`,
      ...(dataset.sealed ? ['  sealed: references are withheld from non-admin keys'] : []),
    ].join('\n');
  });
}

/** Adds the `hf-parquet` and `lhotse` subcommands to `datasets import`. */
export function registerStreamImports(importCmd: Command): void {
  importCmd
    .command('hf-parquet')
    .description('import parquet shards written by Hugging Face datasets: embedded images, audio and video go to media/sha256/ in the dataset folder')
    .argument('<paths...>', 'parquet shards, or folders holding them')
    .option('--preset <name>', 'a known layout: ocrbench | ocrbench-v2 | mmau | voicebench-sd-qa | audiobench | video-mme')
    .option('--videos <dir>', 'video-mme: the folder of <videoID>.mp4 files')
    .addHelpText(
      'after',
      '\nAlso takes the options of `datasets import`: --name (required), --out, --limit, --map field=column, --task, --lang, --tag, --media-dir, --sealed, --no-db, --json.',
    )
    .action((paths: string[], own: { preset?: string; videos?: string }, cmd: Command) =>
      // runAction finds --json on the options argument; here it is the parent's option.
      runAction(async (paths: string[], own: { preset?: string; videos?: string; json?: boolean }, cmd: Command) => {
        const opts = cmd.optsWithGlobals<SharedImportOpts>();
        const { importHfParquet, hfMappableFields } = await import('../../datasets/importers/import-hf-parquet.js');
        const { hfPresets } = await import('../../datasets/importers/hf-parquet-presets.js');
        const { createProgress } = await import('./progress.js');
        const limit = opts.limit === undefined ? undefined : nonNegativeInt('--limit', opts.limit);
        if (own.preset !== undefined && !hfPresets[own.preset]) throw badOption(`--preset ${own.preset}: use ${orList(Object.keys(hfPresets))}`);
        if (opts.task !== undefined && !isTaskName(opts.task)) throw badOption(`--task ${opts.task}: use ${orList(taskNames)}`);
        const map: Record<string, string> = {};
        for (const pair of opts.map ?? []) {
          const eq = pair.indexOf('=');
          const field = pair.slice(0, eq).trim();
          if (eq < 1 || !pair.slice(eq + 1).trim()) throw badOption(`--map ${pair}: expected field=column, e.g. reference=answer`);
          if (!(hfMappableFields as readonly string[]).includes(field))
            throw badOption(`--map ${pair}: unknown manifest field ${field} (one of ${hfMappableFields.join(', ')})`);
          map[field] = pair.slice(eq + 1).trim();
        }
        let progress: ReturnType<typeof createProgress> | undefined;
        let shown = 0;
        try {
          const r = await importHfParquet(paths, {
            outDir: opts.out ?? opts.copyTo,
            preset: own.preset,
            map,
            task: opts.task as never,
            lang: opts.lang,
            tags: opts.tag,
            limit,
            videosDir: own.videos,
            mediaDir: opts.mediaDir,
            onProgress: (done, total) => {
              progress ??= createProgress('reading parquet', total, { json: opts.json });
              progress.increment(done - shown);
              shown = done;
            },
          });
          progress?.stop();
          if (r.sampleCount === 0) {
            // An empty shard (or every row skipped) is a mistake, not a 0-sample dataset.
            const { ManifestError } = await import('../../datasets/parse-manifest.js');
            throw new ManifestError(
              resolve(paths[0] ?? '.'),
              0,
              '(file)',
              `no samples: ${r.skippedCount > 0 ? `all ${r.skippedCount} rows were skipped` : 'the parquet input has no rows'}`,
            );
          }
          return await record(
            cmd,
            'hf-parquet',
            paths.join(' '),
            {
              manifestPath: r.manifestPath,
              skipped: r.skipped,
              skippedCount: r.skippedCount,
              extra: { preset: own.preset ?? null, shards: r.shards.length, mediaWritten: r.mediaWritten, mediaReused: r.mediaReused },
            },
            opts,
            limit,
          );
        } catch (err) {
          progress?.stop();
          throw await asManifestError(err);
        }
      })(paths, { ...own, json: cmd.optsWithGlobals<SharedImportOpts>().json }, cmd),
    );

  importCmd
    .command('lhotse')
    .description("import lhotse's recordings and supervisions manifests (JSONL, gzip or not) as asr samples")
    .argument('<recordings>', 'recordings manifest (.jsonl or .jsonl.gz)')
    .argument('<supervisions>', 'supervisions manifest (.jsonl or .jsonl.gz)')
    .addHelpText('after', '\nAlso takes the options of `datasets import`: --name (required), --out, --limit, --lang, --tag, --sealed, --no-db, --json.')
    .action((recordings: string, supervisions: string, own: object, cmd: Command) =>
      runAction(async (recordings: string, supervisions: string, _own: { json?: boolean }, cmd: Command) => {
        const opts = cmd.optsWithGlobals<SharedImportOpts>();
        const { importLhotse } = await import('../../datasets/importers/import-lhotse.js');
        const { writeImportedManifest } = await import('../../datasets/importers/write-manifest.js');
        const limit = opts.limit === undefined ? undefined : nonNegativeInt('--limit', opts.limit);
        try {
          const set = await importLhotse(recordings, supervisions, { limit, lang: opts.lang, tags: opts.tag });
          if (set.samples.length === 0) {
            const { ManifestError } = await import('../../datasets/parse-manifest.js');
            throw new ManifestError(resolve(supervisions), 0, '(file)', 'no samples: the supervisions manifest is empty');
          }
          // As the NeMo importer: with --out (--copy-to) the audio is copied into that folder.
          const written = await writeImportedManifest(set, { outDir: opts.out ?? opts.copyTo });
          return await record(
            cmd,
            'lhotse',
            `${recordings} ${supervisions}`,
            { manifestPath: written.manifestPath, skipped: [], skippedCount: 0, extra: { copiedFiles: written.copiedFiles } },
            opts,
            limit,
          );
        } catch (err) {
          throw await asManifestError(err);
        }
      })(recordings, supervisions, { ...own, json: cmd.optsWithGlobals<SharedImportOpts>().json }, cmd),
    );
}
