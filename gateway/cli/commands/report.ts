import type { Command } from 'commander';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  program
    .command('report')
    .description('write a single self-contained HTML report (charts inlined) comparing runs')
    .requiredOption('--runs <ids>', 'comma-separated run ids or unique 8+ character prefixes (the first is the baseline)')
    .option(
      '--out <file>',
      'output file; its media are copied into the folder beside it (FILE-media/) (default: report.html in the cache folder, config cacheDir)',
    )
    .option('--by <key>', 'heat-map dimension: tag, lang or task', 'tag')
    .option('--samples <n>', 'disagreement rows', (v) => Number.parseInt(v, 10), 20)
    .option('--seed <n>', 'seed for resampling', (v) => Number.parseInt(v, 10), 1)
    .option('--include-sealed', "keep a sealed dataset's per-sample rows and small slices in the file (withheld by default: the file is meant to be shared)")
    .option('--json', 'print JSON')
    .action(
      runAction(
        async (opts: { runs: string; out?: string; by: string; samples: number; seed: number; includeSealed?: boolean; json?: boolean }, cmd: Command) => {
          const { defaultReportPath, writeRunsReport } = await import('../../report/write-runs-report.js');
          const { withStore } = await import('../cli-context.js');
          const ids = opts.runs
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          const { resolveRunIds } = await import('../../store/run-repo.js');
          const result = await withStore(cmd, async (store, config) =>
            writeRunsReport(store.db, {
              // Full ids or 8+ character prefixes, as everywhere a run id is taken.
              runIds: await resolveRunIds(store.db, ids),
              // The cache folder as the configuration resolves it, not the current folder (often a repository).
              out: opts.out ?? defaultReportPath(config.cacheDir),
              by: opts.by as 'tag' | 'lang' | 'task',
              samples: opts.samples,
              seed: opts.seed,
              includeSealed: opts.includeSealed,
              minSliceSize: config.sealed?.minSliceSize,
              config,
            }),
          );
          if (opts.json) return result;
          const note = result.withheld.length ? `\nsealed dataset: withheld ${result.withheld.join('; ')} (pass --include-sealed to keep them)` : '';
          const media = result.media.dir
            ? `\nmedia: ${result.media.files} file(s), ${result.media.bytes} bytes, copied to ${result.media.dir} (move or share it with the report: the links are relative)`
            : '';
          return `wrote ${result.path} (${result.bytes} bytes; ${result.sharedSamples} shared samples)${media}${note}`;
        },
      ),
    );
}
