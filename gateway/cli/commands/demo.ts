import type { Command } from 'commander';
import { runAction } from '../run-action.js';

export default function register(program: Command): void {
  program
    .command('demo')
    .description(
      'quick start, offline, on the embedded database: import the demo set, run the local specialists (and any generalist configured by environment), compare, write report.html',
    )
    .option(
      '--out <file>',
      'where to write the HTML report; its media are copied into the folder beside it (default: report.html in the cache folder, config cacheDir)',
    )
    .option('--limit <n>', 'samples per task (default: all)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print a JSON summary')
    .action(
      runAction(async (opts: { out?: string; limit?: number; json?: boolean }, cmd: Command) => {
        const { runDemo } = await import('../../demo/run-demo.js');
        const { configFor } = await import('../cli-context.js');
        const { createProgress } = await import('../progress.js');
        const { defaultReportPath } = await import('../../report/write-runs-report.js');
        const json = Boolean(opts.json);
        const config = await configFor(cmd);
        return runDemo({
          config,
          // Like `evalgate report`: the cache folder, not the folder the command runs in (often a repository).
          reportPath: opts.out ?? defaultReportPath(config.cacheDir),
          limit: opts.limit,
          json,
          progress: (label, total) => createProgress(label, total, { json }),
        });
      }),
    );
}
