import type { Command } from 'commander';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  program
    .command('compare')
    .description('compare runs on their shared samples: metrics with 95% bootstrap intervals, paired tests, latency, per-tag breakdown')
    .option('--runs <ids>', 'comma-separated run ids or unique 8+ character prefixes (the first is the baseline)')
    .option('--task <task>', 'instead of --runs: the generalist-vs-specialist view of every model on this task')
    .option('--dataset <name>', 'with --task: restrict to one dataset')
    .option('--allow-mixed', 'with --task: compare runs that are not comparable (digest, samples, scorer) on one board, marked mixed')
    .option('--by <key>', 'breakdown: task, tag or lang', 'tag')
    .option('--samples [n]', 'list the samples where the runs disagree most (default 20)')
    .option('--iterations <n>', 'bootstrap resamples', (v) => Number.parseInt(v, 10), 1000)
    .option('--seed <n>', 'seed for resampling', (v) => Number.parseInt(v, 10), 1)
    .option('--json', 'print JSON')
    .action(
      runAction(
        async (
          opts: {
            runs?: string;
            task?: string;
            dataset?: string;
            allowMixed?: boolean;
            by: string;
            samples?: string | boolean;
            iterations: number;
            seed: number;
            json?: boolean;
          },
          cmd: Command,
        ) => {
          const { EvalgateError } = await import('../../errors.js');
          if (!['task', 'tag', 'lang'].includes(opts.by)) {
            throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--by must be task, tag or lang, not "${opts.by}"` });
          }
          if (!opts.runs === !opts.task) {
            throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'give either --runs A,B[,C…] or --task T' });
          }
          const { withStore } = await import('../cli-context.js');
          const format = await import('../../compare/format-comparison.js');
          if (opts.task) {
            const { kindGapView } = await import('../../compare/kind-gap.js');
            const { formatKindGap } = await import('../../compare/format-kind-gap.js');
            const view = await withStore(cmd, (store) =>
              kindGapView(store.db, {
                task: opts.task!,
                dataset: opts.dataset,
                allowMixed: opts.allowMixed === true,
                iterations: opts.iterations,
                seed: opts.seed,
              }),
            );
            return opts.json ? view : formatKindGap(view);
          }
          const samples = opts.samples === undefined || opts.samples === false ? 0 : opts.samples === true ? 20 : Number.parseInt(opts.samples, 10);
          const ids = opts
            .runs!.split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          const { loadRunOutcomes } = await import('../../compare/load-run-outcomes.js');
          const { compareRuns } = await import('../../compare/compare-runs.js');
          const { resolveRunIds } = await import('../../store/run-repo.js');
          const comparison = await withStore(cmd, async (store) =>
            // Full ids or 8+ character prefixes, as everywhere a run id is taken.
            compareRuns(await loadRunOutcomes(store.db, await resolveRunIds(store.db, ids)), {
              by: opts.by as 'task' | 'tag' | 'lang',
              iterations: opts.iterations,
              seed: opts.seed,
              samples,
            }),
          );
          return opts.json ? comparison : format.formatComparison(comparison);
        },
      ),
    );
}
