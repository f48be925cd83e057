import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { isTaskName, orList, taskNames } from '../../../scorers/tasks/index.js';
import type { FileFinding } from '../../../datasets/verify-dataset.js';
import { asManifestError } from '../manifest-error.js';
import { badOption, nonNegativeInt } from '../option-values.js';
import { runAction } from '../run-action.js';
import { registerStreamImports } from '../register-stream-imports.js';

// `evalgate datasets …`: import public layouts, verify content digests, show
// counts, and generate the synthetic sets. Heavy modules load inside actions.

interface ImportOpts {
  name: string;
  limit?: string;
  copyTo?: string;
  out?: string;
  followSymlinks?: boolean;
  mediaRoot?: string[];
  sealed?: boolean;
  map: string[];
  task?: string;
  lang?: string;
  tag: string[];
  mediaDir?: string;
  db?: boolean;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function fmtDuration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s - h * 3600 - m * 60;
  return `${h}h${String(m).padStart(2, '0')}m${sec.toFixed(1).padStart(4, '0')}s`;
}

function table(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `    ${k}: ${v}`)
    .join('\n');
}

/** `--media-root` folders as absolute paths (typed relative to the current folder, like any path in a shell). */
/** An optional count option (0 allowed), refused as bad input when it is not one. */
function optionalCount(name: string, v: string | undefined): number | undefined {
  return v === undefined ? undefined : nonNegativeInt(name, v);
}

function mediaRootsOf(dirs: readonly string[] | undefined): string[] {
  return (dirs ?? []).map((d) => resolvePath(d));
}

export default function register(program: Command): void {
  const ds = program.command('datasets').description('import, verify, show and synthesize evaluation datasets');

  const importCmd = ds.command('import');
  importCmd
    .description('import a dataset: write a manifest (for non-manifest formats) and record the dataset, its samples and digests')
    .argument('<format>', 'manifest | librispeech | kaldi | nemo | common-voice | aishell | ocrbench | video-mme | jsonl | hf-parquet | lhotse')
    .argument('<path>', 'manifest.jsonl, source folder, TSV, transcript, NeMo manifest or JSON file')
    .requiredOption('--name <name>', 'dataset name (unique)')
    .option('--limit <k>', 'keep the first K samples')
    .option('--copy-to <dir>', 'copy the media into DIR (the manifest goes there too) instead of using it where it is')
    .option('--out <dir>', 'deprecated: the old name of --copy-to')
    .option('--follow-symlinks', 'accept media links that lead out of the folder they are in')
    .option('--media-root <dir>', 'also accept media under DIR (repeatable); media outside the source folder and every --media-root is refused', collect, [])
    .option('--sealed', 'publish sealed: only digests are shown, references never leave to non-admin keys')
    .option('--map <field=path>', 'jsonl: take a manifest field from another source field (repeatable)', collect, [])
    .option('--task <task>', `jsonl: task when the source has none (${taskNames.join(', ')})`)
    .option('--lang <code>', 'language code to record')
    .option('--tag <tag>', 'extra capability tag on every sample (repeatable)', collect, [])
    .option('--media-dir <dir>', 'where the media lives when the format does not fix it')
    .option('--no-db', 'only write the manifest; do not record the dataset')
    .option('--json', 'print JSON')
    .action(
      runAction(async (format: string, path: string, opts: ImportOpts, cmd: Command) => {
        const { importers, importFormats } = await import('../../../datasets/importers/importers.js');
        const { writeImportedManifest } = await import('../../../datasets/importers/write-manifest.js');
        const { parseManifest } = await import('../../../datasets/parse-manifest.js');
        const { parseFieldMap, writeGenericJsonlManifest } = await import('../../../datasets/importers/import-generic-jsonl.js');
        const limit = optionalCount('--limit', opts.limit);
        if (opts.out !== undefined) {
          if (opts.copyTo !== undefined) throw badOption('--out is the old name of --copy-to: pass only --copy-to');
          process.stderr.write('evalgate: --out is deprecated; use --copy-to (media is used in place unless you ask for a copy)\n');
        }
        const copyTo = opts.copyTo ?? opts.out;
        let manifestPath: string;
        let skipped: { id: string; reason: string }[] = [];
        let copiedFiles = 0;
        try {
          if (format === 'manifest' && limit === undefined) {
            manifestPath = path;
          } else if (format === 'manifest') {
            // A subset gets its own manifest beside the original, so its digests describe exactly what was imported.
            const { resolveManifestPath } = await import('../../../datasets/parse-manifest.js');
            const { basename } = await import('node:path');
            const full = await parseManifest(path);
            const abs = (p: string): string => resolveManifestPath(full.root, p);
            const samples = full.samples.slice(0, limit).map((s) => ({
              ...s,
              ...(s.audio ? { audio: abs(s.audio) } : {}),
              ...(s.image ? { image: abs(s.image) } : {}),
              ...(s.images ? { images: s.images.map(abs) } : {}),
              ...(s.video ? { video: abs(s.video) } : {}),
            }));
            const written = await writeImportedManifest(
              { samples, sourceDir: full.root, skipped: [] },
              { ...(copyTo ? { copyTo } : { manifestDir: full.root }), fileName: `${basename(full.path, '.jsonl')}.first-${limit}.jsonl` },
            );
            manifestPath = written.manifestPath;
            copiedFiles = written.copiedFiles;
          } else {
            if (!(importFormats as string[]).includes(format)) {
              throw badOption(`unknown format ${format}; use manifest or one of ${importFormats.join(', ')}`);
            }
            const task = opts.task;
            if (task !== undefined && !isTaskName(task)) throw badOption(`--task ${task}: use ${orList(taskNames)}`);
            let map: Record<string, string>;
            try {
              map = parseFieldMap(opts.map);
            } catch (err) {
              throw badOption((err as Error).message);
            }
            const importerOpts = { limit, lang: opts.lang, tags: opts.tag, mediaDir: opts.mediaDir, map, task };
            // JSON Lines and Kaldi dirs in place stream straight into the manifest (bounded memory); a JSON array or a copy go through memory.
            const { writeKaldiManifest } = await import('../../../datasets/importers/import-kaldi-data-dir.js');
            const streamed =
              copyTo !== undefined
                ? undefined
                : format === 'jsonl'
                  ? await writeGenericJsonlManifest(path, importerOpts)
                  : format === 'kaldi'
                    ? await writeKaldiManifest(path, importerOpts)
                    : undefined;
            if (streamed?.sampleCount === 0) {
              const { ManifestError } = await import('../../../datasets/parse-manifest.js');
              throw new ManifestError(resolvePath(path), 0, '(file)', `no samples: the ${format} source is empty`);
            }
            const set = streamed ? { samples: [], sourceDir: '', skipped: [] } : await importers[format as keyof typeof importers](path, importerOpts);
            skipped = set.skipped;
            if (!streamed && set.samples.length === 0) {
              // An empty source is a mistake (a wrong folder, a truncated download), not a 0-sample dataset.
              const { ManifestError } = await import('../../../datasets/parse-manifest.js');
              const [first] = set.skipped;
              throw new ManifestError(
                resolvePath(path),
                0,
                '(file)',
                first
                  ? `no samples: all ${set.skipped.length} entries were skipped (e.g. ${first.id}: ${first.reason})`
                  : `no samples: the ${format} source is empty`,
              );
            }
            const written = streamed ? { ...streamed, copiedFiles: 0 } : await writeImportedManifest(set, copyTo ? { copyTo } : {});
            manifestPath = written.manifestPath;
            copiedFiles = written.copiedFiles;
          }
          if (opts.db === false) {
            const manifest = await parseManifest(manifestPath);
            const summary = {
              format,
              manifestPath: manifest.path,
              samples: manifest.samples.length,
              skipped: skipped.length,
              skippedExamples: skipped.slice(0, 5),
              copiedFiles,
            };
            return opts.json ? summary : `wrote ${manifest.path} (${manifest.samples.length} samples, ${skipped.length} skipped)`;
          }
          const { withStore } = await import('../cli-context.js');
          const { datasetTaskCounts } = await import('../../store/dataset-repo.js');
          const { importManifestStream } = await import('../../store/import-manifest-stream.js');
          const { createProgress } = await import('../progress.js');
          const { startHeapReport } = await import('../heap-report.js');
          return await withStore(cmd, async (store) => {
            // The manifest is read as a stream and stored in batches: memory stays bounded however many lines it has.
            const heap = startHeapReport();
            const progress = createProgress('importing lines', 0, { json: opts.json });
            let last = 0;
            let dataset;
            try {
              dataset = await importManifestStream(store.db, manifestPath, {
                name: opts.name,
                sealed: opts.sealed,
                followSymlinks: opts.followSymlinks,
                mediaRoots: mediaRootsOf(opts.mediaRoot),
                meta: {
                  format,
                  source: format === 'manifest' ? resolvePath(manifestPath) : path,
                  limit: limit ?? null,
                  ...(copyTo ? { copiedTo: copyTo } : {}),
                  ...(opts.followSymlinks ? { followSymlinks: true } : {}),
                  ...(opts.mediaRoot?.length ? { mediaRoots: mediaRootsOf(opts.mediaRoot) } : {}),
                },
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
            const summary = {
              format,
              manifestPath: dataset.manifest_path,
              samples: dataset.sample_count,
              skipped: skipped.length,
              skippedExamples: skipped.slice(0, 5),
              copiedFiles,
            };
            const tasks = await datasetTaskCounts(store.db, dataset.id);
            const result = {
              ...summary,
              id: dataset.id,
              name: dataset.name,
              sealed: dataset.sealed,
              manifestDigest: dataset.manifest_digest,
              merkleRoot: dataset.merkle_root,
              tasks,
            };
            if (opts.json) return result;
            const [firstSkipped] = skipped;
            return [
              `imported ${dataset.name}: ${dataset.sample_count} samples (${Object.entries(tasks)
                .map(([t, n]) => `${t} ${n}`)
                .join(', ')})` + (firstSkipped ? `, ${skipped.length} skipped (e.g. ${firstSkipped.id}: ${firstSkipped.reason})` : ''),
              `  manifest: ${dataset.manifest_path}`,
              `  manifest digest: ${dataset.manifest_digest}`,
              `  merkle root:     ${dataset.merkle_root}`,
              ...(dataset.sealed ? ['  sealed: references are withheld from non-admin keys'] : []),
            ].join('\n');
          });
        } catch (err) {
          throw await asManifestError(err);
        }
      }),
    );

  registerStreamImports(importCmd);

  ds.command('verify')
    .description('re-hash media and compare manifest, media and stored rows with what was imported (exit 1 on any change)')
    .argument('<name>', 'dataset name or id')
    .option('--json', 'print JSON')
    .action(
      runAction(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { requireDataset, verifyDataset } = await import('../../store/dataset-repo.js');
        const report = await withStore(cmd, async (store) => verifyDataset(store.db, await requireDataset(store.db, name)));
        if (!report.ok) process.exitCode = 1;
        if (opts.json) return { dataset: name, ...report };
        const lines = [`${name}: ${report.ok ? 'OK' : 'CHANGED'} (${report.checked} samples checked)`];
        if (report.manifestProblem) lines.push(`  manifest: ${report.manifestProblem}`);
        if (report.manifestDigest.current && report.manifestDigest.current !== report.manifestDigest.stored) {
          lines.push(`  manifest digest changed: ${report.manifestDigest.stored} → ${report.manifestDigest.current}`);
        }
        if (report.merkleRoot.current && report.merkleRoot.current !== report.merkleRoot.stored) {
          lines.push(`  merkle root changed: ${report.merkleRoot.stored} → ${report.merkleRoot.current}`);
        }
        const fileSection = (title: string, list: readonly FileFinding[]): void => {
          if (list.length === 0) return;
          lines.push(`  ${title}: ${list.length} file(s)`);
          for (const f of list.slice(0, 20)) {
            const where = f.realPath && f.recordedRealPath && f.realPath !== f.recordedRealPath ? ` (recorded ${f.recordedRealPath}, now ${f.realPath})` : '';
            lines.push(`    ${f.path}${where}: ${f.detail}; used by ${f.sampleCount} sample(s), e.g. ${f.samples[0] ?? ''}`);
          }
          if (list.length > 20) lines.push(`    … and ${list.length - 20} more`);
        };
        fileSection('moved', report.files.moved);
        fileSection('missing', report.files.missing);
        fileSection('changed', report.files.changed);
        if (report.files.moved.length > 0 || report.files.missing.length > 0) {
          lines.push(`  if the corpus moved: evalgate datasets relocate ${name} --from OLD_FOLDER --to NEW_FOLDER`);
        }
        for (const c of report.changed.slice(0, 50)) lines.push(`  ${c.id}: ${c.reasons.join('; ')}`);
        if (report.changed.length > 50) lines.push(`  … and ${report.changed.length - 50} more changed samples`);
        if (report.added.length)
          lines.push(`  added to the manifest since import: ${report.added.slice(0, 10).join(', ')}${report.added.length > 10 ? ' …' : ''}`);
        return lines.join('\n');
      }),
    );

  ds.command('relocate')
    .description('after a corpus moved: point the recorded paths under FROM at TO, once every file there has its imported size and sha256')
    .argument('<name>', 'dataset name or id')
    .requiredOption('--from <prefix>', 'old folder the files were under')
    .requiredOption('--to <prefix>', 'folder they are under now')
    .option('--json', 'print JSON')
    .action(
      runAction(async (name: string, opts: { from: string; to: string; json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { requireDataset } = await import('../../store/dataset-repo.js');
        const { relocateDataset } = await import('../../store/relocate-dataset.js');
        // A database outage is waited out as long as a batch run waits one (runner.dbOutageMaxMs).
        const r = await withStore(cmd, async (store, config) =>
          relocateDataset(store.db, await requireDataset(store.db, name), { from: opts.from, to: opts.to, dbOutageMaxMs: config.runner.dbOutageMaxMs }),
        );
        if (!r.relocated) process.exitCode = 1;
        if (opts.json) return { dataset: name, ...r };
        if (r.relocated) {
          return [
            `${name}: relocated ${r.from} → ${r.to} (${r.filesChecked} files checked, ${r.samplesUpdated} samples updated)`,
            ...(r.manifestPath ? [`  manifest: ${r.manifestPath}`] : []),
          ].join('\n');
        }
        return [
          `${name}: not relocated, nothing changed: ${r.problems.length} file(s) are not at ${r.to} as imported`,
          ...r.problems.slice(0, 20).map((p) => `  ${p.newPath}: ${p.problem} (sample ${p.sample})`),
          ...(r.problems.length > 20 ? [`  … and ${r.problems.length - 20} more`] : []),
        ].join('\n');
      }),
    );

  ds.command('show')
    .description('digest, Merkle root, counts per task, tag and language, total audio and video duration')
    .argument('<name>', 'dataset name or id')
    .option('--json', 'print JSON')
    .action(
      runAction(async (name: string, opts: { json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { requireDataset, datasetStats } = await import('../../store/dataset-repo.js');
        return withStore(cmd, async (store) => {
          const d = await requireDataset(store.db, name);
          const stats = await datasetStats(store.db, d.id);
          const result = {
            id: d.id,
            name: d.name,
            sealed: d.sealed,
            manifestDigest: d.manifest_digest,
            merkleRoot: d.merkle_root,
            digestVersion: d.digest_version,
            manifestPath: d.manifest_path,
            rootDir: d.root_dir,
            createdAt: d.created_at,
            ...stats,
          };
          if (opts.json) return result;
          return [
            `${d.name}${d.sealed ? ' (sealed)' : ''}: ${stats.sampleCount} samples, ${stats.mediaFiles} media files`,
            `  manifest: ${d.manifest_path ?? '(none)'}`,
            `  manifest digest: ${d.manifest_digest}`,
            `  merkle root:     ${d.merkle_root} (digest version ${d.digest_version})`,
            `  audio: ${fmtDuration(stats.audioDurationS)}, video: ${fmtDuration(stats.videoDurationS)}`,
            '  tasks:',
            table(stats.tasks),
            '  languages:',
            table(stats.langs),
            '  tags:',
            table(stats.tags),
          ].join('\n');
        });
      }),
    );

  ds.command('list')
    .description('list imported datasets')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { listDatasets } = await import('../../store/dataset-repo.js');
        const rows = await withStore(cmd, async (store) => listDatasets(store.db));
        const out = rows.map((d) => ({
          id: d.id,
          name: d.name,
          samples: d.sample_count,
          sealed: d.sealed,
          manifestDigest: d.manifest_digest,
          merkleRoot: d.merkle_root,
          createdAt: d.created_at,
        }));
        if (opts.json) return out;
        if (out.length === 0) return 'no datasets (import one with `evalgate datasets import manifest datasets/demo/manifest.jsonl --name demo`)';
        return out
          .map((d) => `${d.name.padEnd(24)} ${String(d.samples).padStart(7)} samples  ${d.sealed ? 'sealed ' : '       '} ${d.merkleRoot.slice(0, 16)}…`)
          .join('\n');
      }),
    );

  const synth = ds.command('synth').description('generate synthetic datasets');

  synth
    .command('demo')
    .description('regenerate the bundled demo set (espeak-ng, sox, ffmpeg, system fonts); deterministic from the seed')
    .option('--out <dir>', 'output folder', 'datasets/demo')
    .option('--seed <n>', 'seed', '20261128')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { out: string; seed: string; json?: boolean }) => {
        const { synthDemoSet } = await import('../../../datasets/synth/demo-set.js');
        const { resolveFfmpeg } = await import('../../media/ffmpeg-binaries.js');
        const seed = nonNegativeInt('--seed', opts.seed);
        const r = await synthDemoSet({ outDir: opts.out, seed, ffmpegPath: (await resolveFfmpeg()).ffmpegPath });
        if (opts.json) return r;
        return `wrote ${r.manifestPath}: ${r.sampleCount} samples (${Object.entries(r.tasks)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}), ${(r.totalBytes / 1e6).toFixed(2)} MB`;
      }),
    );

  synth
    .command('turn-taking')
    .description(
      'write Full-Duplex-Bench-style user audio (pause-handling, smooth-turn-taking, user-interruption, backchannel) with espeak-ng and sox, ' +
        'and a duplex manifest whose event times are measured from the written samples',
    )
    .requiredOption('--out <dir>', 'output folder (audio/<id>.wav and manifest.jsonl)')
    .option('--seed <n>', 'seed', '1')
    .option('--count <k>', 'files per scenario', '2')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { out: string; seed: string; count: string; json?: boolean }) => {
        const { synthTurnTakingSet, maxTurnTakingCount } = await import('../../../datasets/synth/turn-taking-set.js');
        const seed = nonNegativeInt('--seed', opts.seed);
        const count = nonNegativeInt('--count', opts.count);
        if (count < 1 || count > maxTurnTakingCount) throw badOption(`--count must be from 1 to ${maxTurnTakingCount}, got ${count}`);
        const r = await synthTurnTakingSet({
          outDir: opts.out,
          seed,
          count,
          // One line per file as it is written: espeak-ng takes a moment per utterance.
          ...(opts.json
            ? {}
            : { onFile: (s) => process.stderr.write(`  ${s.audio}  ${s.duration_s.toFixed(3)} s  turn end ${s.events.turn_end_s.toFixed(3)} s\n`) }),
        });
        if (opts.json) return r;
        const audioS = r.samples.reduce((n, s) => n + s.duration_s, 0);
        return `wrote ${r.manifestPath}: ${r.samples.length} duplex scenarios (${count} of each of 4), ${audioS.toFixed(1)} s of audio, ${(r.totalBytes / 1e6).toFixed(2)} MB`;
      }),
    );

  synth
    .command('needle')
    .description('write a long video with K needles (codes shown on known frames) and multiple-choice questions about them')
    .requiredOption('--out <dir>', 'output folder')
    .option('--duration <s>', 'video length in seconds', '3600')
    .option('--needles <k>', 'number of needles', '5')
    .option('--size <WxH>', 'frame size', '320x240')
    .option('--codec <codec>', 'h264 | hevc | vp9 | mpeg4', 'h264')
    .option('--fps <n>', 'frames per second', '25')
    .option('--gop <frames>', 'fixed keyframe interval', '250')
    .option('--needle-duration <s>', 'seconds each needle stays on screen', '1')
    .option('--seed <n>', 'seed', '1')
    .option('--json', 'print JSON')
    .action(
      runAction(
        async (opts: {
          out: string;
          duration: string;
          needles: string;
          size: string;
          codec: string;
          fps: string;
          gop: string;
          needleDuration: string;
          seed: string;
          json?: boolean;
        }) => {
          const { synthNeedleVideo } = await import('../../../datasets/synth/needle-video.js');
          const { resolveFfmpeg } = await import('../../media/ffmpeg-binaries.js');
          const size = /^(\d+)x(\d+)$/.exec(opts.size);
          if (!size) throw badOption(`--size ${opts.size}: expected WxH, e.g. 640x360`);
          if (!['h264', 'hevc', 'vp9', 'mpeg4'].includes(opts.codec)) throw badOption(`--codec ${opts.codec}: use h264, hevc, vp9 or mpeg4`);
          const nums = { duration: Number(opts.duration), fps: Number(opts.fps), needleDuration: Number(opts.needleDuration) };
          for (const [k, v] of Object.entries(nums)) if (!(v > 0)) throw badOption(`--${k} must be a positive number`);
          let r;
          try {
            r = await synthNeedleVideo({
              outDir: opts.out,
              durationS: nums.duration,
              needles: optionalCount('--needles', opts.needles),
              width: Number(size[1]),
              height: Number(size[2]),
              codec: opts.codec as 'h264',
              fps: nums.fps,
              gop: optionalCount('--gop', opts.gop),
              needleDurationS: nums.needleDuration,
              seed: optionalCount('--seed', opts.seed),
              ffmpegPath: (await resolveFfmpeg()).ffmpegPath,
            });
          } catch (err) {
            if (err instanceof Error && err.name !== 'ToolError' && err.name !== 'EvalgateError') throw badOption(err.message);
            throw err;
          }
          if (opts.json) return r;
          return [
            `wrote ${r.videoPath} (${r.frameCount} frames) with ${r.needles.length} needles and ${r.questions.length} questions`,
            `  manifest: ${r.manifestPath}`,
            ...r.needles.map(
              (n) => `  needle ${n.index + 1}: ${n.code} (${n.color}) frames ${n.startFrame}-${n.endFrame - 1}, ${n.startS.toFixed(2)}-${n.endS.toFixed(2)} s`,
            ),
          ].join('\n');
        },
      ),
    );
}
