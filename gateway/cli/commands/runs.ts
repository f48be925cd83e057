import type { Command } from 'commander';
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
        if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got "${opts.limit}"`);
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
        const { EvalgateError } = await import('../../errors.js');
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
    .description('one run: counts, metrics, latency, RTFx and what makes it reproducible')
    .argument('<runId>', 'run id (or a unique prefix of at least 8 characters)')
    .option('--json', 'print JSON')
    .action(
      runAction(async (runId: string, opts: { json?: boolean }, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { getRun } = await import('../../store/run-repo.js');
        const { buildRunReport } = await import('../../runner/score-run.js');
        const { formatRunReport } = await import('../../runner/format-report.js');
        const { EvalgateError } = await import('../../errors.js');
        return withStore(cmd, async (store) => {
          const run = await getRun(store.db, runId);
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
          ].join('\n');
        });
      }),
    );
}
