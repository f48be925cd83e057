import type { Command } from 'commander';
import { runAction } from '../run-action.js';

/** Options of `evalgate arena ratings`. */
interface RatingsOptions {
  source?: string;
  modality?: string;
  freeze?: string;
  json?: boolean;
}

export default function register(program: Command): void {
  const arena = program.command('arena').description('the blind arena: ratings from human and judge votes (docs/arena.md)');
  arena
    .command('ratings')
    .description(
      'Bradley-Terry ratings with bootstrap intervals and ranks from arena votes of one source; human and judge votes are never mixed unless --source combined',
    )
    .option('--source <source>', 'whose votes: human | judge | combined (both, labelled combined) (default: human, and the header says so)')
    .option('--modality <m>', 'only votes on text | audio | image | video prompts (default: all)')
    .option('--freeze <time>', 'ISO time: votes cast after it are ignored (the leaderboard freeze)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nOptions come from the configuration: arena.ratings (weights, anchor, minVotes, rounds, seed, styleControl,\n' +
        'outlierTest) and arena.maxVotesPerPrompt. Votes left out are counted by reason: identity-leak, voter-daily-cap,\n' +
        'duplicate-prompt, voter-outlier, min-votes. Judge votes come from `evalgate judge --runs A,B --pairwise`.',
    )
    .action(
      runAction(async (opts: RatingsOptions, cmd: Command) => {
        const { checkRatingsRequest, loadArenaRatings } = await import('../../arena/arena-ratings.js');
        const { formatArenaRatings } = await import('../../arena/format-arena-ratings.js');
        const { withStore } = await import('../cli-context.js');
        const req = checkRatingsRequest(opts);
        const view = await withStore(cmd, (store, config) => loadArenaRatings(store.db, config, req));
        return opts.json ? view : formatArenaRatings(view, { sourceDefaulted: opts.source === undefined });
      }),
    );
}
