import type { Command } from 'commander';
import { EvalgateError } from '../../errors.js';
import { badOption } from '../option-values.js';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  const runs = program.command('runs').description('list and inspect runs (progress of distributed runs included)');
  runs
    .command('list')
    .description('runs, newest first')
    .option('--limit <n>', 'how many', '50')
    .option('--model <id>', 'only this model')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { limit: string; model?: string; json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { listRuns } = await import('../../store/run-repo.js');
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw badOption(`--limit must be a positive integer, got "${opts.limit}"`);
        return withStore(cmd, async (store) => {
          const rows = await listRuns(store.db, { limit, modelId: opts.model });
          const list = rows.map((r) => {
            const summary = (r.summary ?? {}) as { counts?: Record<string, number>; metrics?: Record<string, unknown> | null };
            const cfg = r.config as { dataset?: { name?: string } };
            return {
              runId: r.id,
              status: r.status,
              // Running, but whoever ran it stopped stamping it: killed or lost (see `runs reap`).
              stale: r.stale,
              heartbeatAt: r.heartbeat_at,
              modelId: r.model_id,
              task: r.task,
              dataset: cfg.dataset?.name ?? r.dataset_id,
              configHash: r.config_hash,
              createdAt: r.created_at,
              finishedAt: r.finished_at,
              counts: summary.counts ?? null,
              metrics: summary.metrics ?? null,
            };
          });
          if (opts.json) return { runs: list };
          if (list.length === 0) return 'no runs yet (start one with `evalgate run --dataset … --model …`)';
          const stale = list.filter((r) => r.stale).length;
          const footer = stale ? `\n${stale} run(s) marked stale are running with no heartbeat for over a minute: see \`evalgate runs reap --help\`` : '';
          return (
            list
              .map((r) => {
                const c = r.counts ? `ok ${r.counts.ok ?? 0} failed ${r.counts.failed ?? 0} skipped ${r.counts.skipped ?? 0}` : '';
                const status = r.stale ? 'stale' : r.status;
                return `${r.runId}  ${status.padEnd(9)}  ${r.modelId}  ${r.task}  ${r.dataset ?? ''}  ${new Date(r.createdAt).toISOString()}  ${c}`;
              })
              .join('\n') + footer
          );
        });
      }),
    );
  runs
    .command('reap')
    .description(
      'mark running runs whose executor stopped (no heartbeat: killed with kill -9, machine lost) as failed, so they read as interrupted and can be resumed with `evalgate run --resume ID`',
    )
    .option('--stale-after <seconds>', 'heartbeat age that counts as stopped (executors stamp every 10 s)', '60')
    .option('--dry-run', 'list the runs that would be reaped, change nothing')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: { staleAfter: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { reapStaleRuns } = await import('../../runner/run-heartbeat.js');
        const staleAfterS = Number(opts.staleAfter);
        // Below two beats a healthy run could be caught between stamps.
        if (!Number.isFinite(staleAfterS) || staleAfterS < 20) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--stale-after must be a number of seconds >= 20, got "${opts.staleAfter}"` });
        }
        return withStore(cmd, async (store, config) => {
          const { spillDirOf } = await import('../../runner/run-spill.js');
          const reaped = await reapStaleRuns(store.db, { staleAfterS, dryRun: opts.dryRun, spillDir: spillDirOf(config.cacheDir) });
          if (opts.json) return { dryRun: Boolean(opts.dryRun), staleAfterS, runs: reaped };
          if (reaped.length === 0) return `no running run has gone ${staleAfterS} s without a heartbeat`;
          const verb = opts.dryRun ? 'would mark failed' : 'marked failed';
          return [
            ...reaped.map((r) => `${verb}: ${r.runId}  ${r.modelId}  ${r.task}  last heartbeat ${r.lastSeen.toISOString()}  ok ${r.ok}, pending ${r.pending}`),
            opts.dryRun ? '' : 'continue any of them with `evalgate run --resume RUN_ID`',
          ]
            .filter(Boolean)
            .join('\n');
        });
      }),
    );
  runs
    .command('show')
    .description('one run: counts, metrics, latency, RTFx and what makes it reproducible; with --samples, its per-sample results')
    .argument('<runId>', 'run id (or a unique prefix of at least 8 characters)')
    .option('--samples', 'list per-sample results: prediction, scores, error and its stage, latency (and the reference, see --include-sealed)')
    .option('--failed', 'with --samples (implied): only failed or skipped samples')
    .option('--limit <n>', 'with --samples: how many samples', '50')
    .option('--offset <n>', 'with --samples: skip this many (samples are in sample-id order)', '0')
    .option(
      '--include-sealed',
      'with --samples, on a sealed dataset: also print references, answer letters and per-sample scores, read from the local database as the operator (withheld by default, as from a non-admin key); do not share the output',
    )
    .option('--json', 'print JSON')
    .action(
      runAction(
        async (
          runId: string,
          opts: { samples?: boolean; failed?: boolean; limit: string; offset: string; includeSealed?: boolean; json?: boolean },
          cmd: Command,
        ) => {
          const { withStore } = await import('../cli-context.js');
          if (opts.samples || opts.failed) {
            const limit = integerOption('--limit', opts.limit, 1, maxShownSamples);
            const offset = integerOption('--offset', opts.offset, 0, Number.MAX_SAFE_INTEGER);
            const { cliSampleAccess, loadRunSampleHeader, runSampleRecordsPage } = await import('../../run-samples/run-sample-records.js');
            const { countRunSampleResults } = await import('../../store/run-samples-repo.js');
            const { formatRunSamplesPage } = await import('../../run-samples/format-run-samples.js');
            return withStore(cmd, async (store) => {
              const run = await loadRunSampleHeader(store.db, runId);
              const access = cliSampleAccess(run.sealed, Boolean(opts.includeSealed), run.task);
              const filter = opts.failed ? 'not-ok' : 'all';
              const total = await countRunSampleResults(store.db, run.runId, filter);
              const samples = await runSampleRecordsPage(store.db, run.runId, { filter, access, limit, offset });
              if (opts.json) return { run, filter: opts.failed ? 'failed' : 'all', total, offset, limit, samples, withheld: access.withheld };
              return formatRunSamplesPage(run, { samples, total, offset, failedOnly: Boolean(opts.failed) }, access.withheld);
            });
          }
          const { getRun, resolveRunId } = await import('../../store/run-repo.js');
          const { buildRunReport } = await import('../../runner/score-run.js');
          const { formatRunReport } = await import('../../runner/format-report.js');
          return withStore(cmd, async (store) => {
            const run = await getRun(store.db, await resolveRunId(store.db, runId));
            if (!run) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Run', id: runId });
            // Computed from the stored predictions, so it is current while workers are still busy.
            const report = await buildRunReport(store.db, run);
            const cfg = run.config as { dataset?: { name?: string } };
            const reproducibility = {
              configHash: run.config_hash,
              config: run.config,
              dataset: cfg.dataset?.name ?? run.dataset_id,
              datasetDigest: run.dataset_digest,
              merkleRoot: run.merkle_root,
              promptTemplate: run.prompt_template,
              normalizer: run.normalizer,
              adapterVersion: run.adapter_version,
              evalgateVersion: run.evalgate_version,
              createdAt: run.created_at,
              startedAt: run.started_at,
              finishedAt: run.finished_at,
              heartbeatAt: run.heartbeat_at,
            };
            if (opts.json) return { ...report, ...reproducibility };
            return [
              formatRunReport(report),
              `dataset ${reproducibility.dataset}  digest ${run.dataset_digest ?? '-'}  merkle ${run.merkle_root ?? '-'}`,
              `config hash ${run.config_hash}  adapter ${run.adapter_version ?? '-'}  evalgate ${run.evalgate_version}`,
              `prompt template: ${JSON.stringify(run.prompt_template)}`,
              `per-sample results: evalgate runs show ${run.id.slice(0, 8)} --samples [--failed]`,
            ].join('\n');
          });
        },
      ),
    );
  runs
    .command('export')
    .description('write one row per sample of a run (prediction, scores, error and its stage, latency, reference) as JSONL or CSV (RFC 4180)')
    .argument('<runId>', 'run id (or a unique prefix of at least 8 characters)')
    .requiredOption('--format <format>', 'jsonl or csv')
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--failed', 'only failed or skipped samples')
    .option(
      '--include-sealed',
      'on a sealed dataset: also write references, answer letters and per-sample scores, read from the local database as the operator (withheld by default, as from a non-admin key); do not share the file',
    )
    .option('--json', 'print the summary (rows, columns, what was withheld) as JSON')
    .action(
      runAction(async (runId: string, opts: { format: string; out?: string; failed?: boolean; includeSealed?: boolean; json?: boolean }, cmd: Command) => {
        const { runExportFormats, exportRunSamples, exportRunSamplesToFile } = await import('../../run-samples/export-run-samples.js');
        const format = opts.format as (typeof runExportFormats)[number];
        if (!runExportFormats.includes(format)) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--format must be ${runExportFormats.join(' or ')}, not "${opts.format}"` });
        }
        if (opts.out) await checkOutputFolder(opts.out);
        const { withStore } = await import('../cli-context.js');
        const { cliSampleAccess, loadRunSampleHeader } = await import('../../run-samples/run-sample-records.js');
        const { countRunSampleResults } = await import('../../store/run-samples-repo.js');
        return withStore(cmd, async (store) => {
          const run = await loadRunSampleHeader(store.db, runId);
          const access = cliSampleAccess(run.sealed, Boolean(opts.includeSealed), run.task);
          const filter = opts.failed ? 'not-ok' : 'all';
          const total = await countRunSampleResults(store.db, run.runId, filter);
          const progress = exportProgress(total);
          const common = { runId: run.runId, format, access, filter, onRow: progress.onRow } as const;
          let summary: { rows: number; columns?: readonly string[]; path?: string };
          try {
            summary = opts.out
              ? await exportRunSamplesToFile(store.db, opts.out, common)
              : await exportRunSamples(store.db, { ...common, out: process.stdout, end: false });
          } catch (err) {
            // `… | head`: the reader has what it wanted.
            if ((err as NodeJS.ErrnoException).code === 'EPIPE') return undefined;
            throw err;
          } finally {
            progress.done();
          }
          const doc = { run, format, path: summary.path ?? null, rows: summary.rows, columns: summary.columns ?? null, withheld: access.withheld };
          const note = access.withheld.length ? `\nwithheld: ${access.withheld.join('; ')}` : '';
          if (opts.out) return opts.json ? doc : `wrote ${summary.rows} rows of run ${run.runId} to ${summary.path} (${format})${note}`;
          // The rows went to standard output: the summary goes to standard error.
          if (opts.json) process.stderr.write(`${JSON.stringify(doc)}\n`);
          else if (note) process.stderr.write(`${note.trimStart()}\n`);
          return undefined;
        });
      }),
    );
}

/** Most samples `runs show --samples` prints in one page (`runs export` writes every row). */
const maxShownSamples = 10_000;

/** An integer option within [min, max], or EVALGATE_ERR_BAD_INPUT. */
function integerOption(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: `${name} must be ${range}, got "${raw}"${name === '--limit' && n > max ? ' (use `evalgate runs export` for every row)' : ''}`,
    });
  }
  return n;
}

/** Refuses an --out whose folder does not exist before the database is opened. */
async function checkOutputFolder(file: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = path.dirname(path.resolve(file));
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--out ${file}: the folder ${dir} does not exist` });
}

/** A row count on standard error while a big export runs on a terminal; nothing otherwise. */
function exportProgress(total: number): { onRow: (rows: number) => void; done: () => void } {
  const tty = process.stderr.isTTY && total >= 10_000;
  let shown = false;
  return {
    onRow: (rows) => {
      if (!tty || rows % 5000 !== 0) return;
      shown = true;
      process.stderr.write(`\rexported ${rows} of ${total} rows`);
    },
    done: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}
