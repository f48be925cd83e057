import type { Command } from 'commander';
import { orList, taskNames } from '../../../scorers/tasks/index.js';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  program
    .command('leaderboard')
    .description(
      'rank models on a task; ties are declared where 95% intervals overlap. Only comparable runs share a board (same dataset digest, same samples, same scorer options and versions); others go on separate boards that say what differs',
    )
    .requiredOption('--task <task>', orList(taskNames))
    .option('--dataset <name>', 'one dataset (default: every dataset with runs on the task, each with its own boards)')
    .option('--freeze <time>', 'ISO time: runs finished after it are left off (they remain in the audit log)')
    .option(
      '--allow-mixed',
      "rank each model's latest run on one board per dataset even when runs are not comparable; the board is marked mixed and each entry says what differs",
    )
    .option('--iterations <n>', 'bootstrap resamples', (v) => Number.parseInt(v, 10), 1000)
    .option('--seed <n>', 'seed for resampling', (v) => Number.parseInt(v, 10), 1)
    .option('--json', 'print JSON')
    .action(
      runAction(
        async (
          opts: { task: string; dataset?: string; freeze?: string; allowMixed?: boolean; iterations: number; seed: number; json?: boolean },
          cmd: Command,
        ) => {
          const { EvalgateError } = await import('../../errors.js');
          const freezeAt = opts.freeze ? new Date(opts.freeze) : undefined;
          if (freezeAt && Number.isNaN(freezeAt.getTime())) {
            throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--freeze must be an ISO date/time, not "${opts.freeze}"` });
          }
          const { withStore } = await import('../cli-context.js');
          const { buildLeaderboards } = await import('../../compare/leaderboard.js');
          const { formatLeaderboards } = await import('../../compare/format-leaderboards.js');
          const { loadLeaderboardArena, withArenaColumns } = await import('../../arena/leaderboard-arena.js');
          const boards = await withStore(cmd, async (store, config) =>
            // Arena ratings beside the metrics: human votes when a model has them, judge votes otherwise, labelled.
            withArenaColumns(
              await buildLeaderboards(store.db, {
                task: opts.task,
                dataset: opts.dataset,
                freezeAt,
                allowMixed: opts.allowMixed === true,
                iterations: opts.iterations,
                seed: opts.seed,
              }),
              await loadLeaderboardArena(store.db, config, freezeAt ? { freezeAt } : {}),
            ),
          );
          return opts.json ? { boards } : formatLeaderboards(boards);
        },
      ),
    );
}
