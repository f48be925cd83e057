import type { Command } from 'commander';
import { judgeRubricNames, judgeRubrics } from '../../../scorers/judge/judge-presets.js';
import { positiveInt } from '../option-values.js';
import { runAction } from '../run-action.js';

/** Options of `evalgate judge`. */
interface JudgeOptions {
  run: string;
  judge?: string;
  rubric?: string;
  new?: boolean;
  concurrency: string;
  timeoutMs: string;
  maxAttempts: string;
  cache?: boolean;
  json?: boolean;
}

const rubricHelp = judgeRubricNames.map((n) => `  ${n.padEnd(18)} ${judgeRubrics[n]!.description}`).join('\n');

export default function register(program: Command): void {
  program
    .command('judge')
    .description("score a run's answers with a judge model under a rubric (task judge-score); resumable, unreadable verdicts are failures, never scores")
    .requiredOption('--run <runId>', 'the run whose answers are judged (id or a prefix of at least 8 characters)')
    .option('--judge <id>', 'judge model id (configured model or preset; default: judge.model in the configuration)')
    .option('--rubric <name>', `rubric (default: judge.rubrics for the run's dataset or task, else judge.rubric): ${judgeRubricNames.join(' | ')}`)
    .option('--new', 'start a new judged run even if one with the same judge, rubric and run exists')
    .option('--concurrency <n>', 'maximum judge calls in flight (adapts down on HTTP 429)', '8')
    .option('--timeout-ms <ms>', 'per-request timeout', '120000')
    .option('--max-attempts <n>', 'attempts per judge call for retryable errors (timeouts, connection errors, 408, 429, 5xx)', '5')
    .option('--cache', 'reuse judge replies to identical temperature-0 first asks from the response cache')
    .option('--json', 'print one JSON document at the end')
    .addHelpText(
      'after',
      `\nRubrics (docs/judges.md):\n${rubricHelp}\n\n` +
        'The scores are stored as a run of their own (task judge-score) with the judge settings in its config;\n' +
        'the same command again continues it, judging only answers without a score. A reply the rubric cannot read\n' +
        '(after its re-asks) or a judge call that fails after retries leaves the answer failed (stage judge).',
    )
    .action(
      runAction(async (opts: JudgeOptions, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { createModel } = await import('../../models/create-model.js');
        const { prepareJudging, executeJudging } = await import('../../judge/execute-judging.js');
        const { formatJudgeReport } = await import('../../judge/format-judge-report.js');
        const { createProgress } = await import('../progress.js');
        const { abortOnSignal } = await import('../abort-on-signal.js');
        const { defaultRetryPolicy } = await import('../../runner/retry-policy.js');
        const concurrency = positiveInt('--concurrency', opts.concurrency);
        const timeoutMs = positiveInt('--timeout-ms', opts.timeoutMs);
        const maxAttempts = positiveInt('--max-attempts', opts.maxAttempts);
        return withStore(cmd, async (store, config) => {
          const prepared = await prepareJudging(store.db, config, { run: opts.run, judge: opts.judge, rubric: opts.rubric, forceNew: opts.new }, (m) =>
            createModel(m),
          );
          if (!opts.json) {
            process.stderr.write(
              `${prepared.resumed ? 'continuing' : 'starting'} judged run ${prepared.run.id} (run ${prepared.source.id}, judge ${prepared.settings.modelId}, rubric ${prepared.rubric.name})\n`,
            );
          }
          const stop = abortOnSignal(
            opts.json ? undefined : '\nstopping: judge calls in flight finish, the rest stay pending (run the same command to continue)\n',
          );
          let progress: ReturnType<typeof createProgress> | undefined;
          try {
            const report = await executeJudging(store.db, prepared, {
              concurrency,
              timeoutMs,
              retry: { ...defaultRetryPolicy, maxAttempts },
              ...(opts.cache ? { cacheDir: config.cacheDir } : {}),
              signal: stop.signal,
              onTotal: (n) => {
                progress = createProgress(`judge ${prepared.run.id.slice(0, 8)}`, n, { json: opts.json });
              },
              onAnswer: (status) => progress?.increment(1, status === 'ok' ? 0 : 1),
            });
            progress?.stop();
            if (report.status === 'failed') process.exitCode = 1;
            return opts.json ? report : formatJudgeReport(report);
          } finally {
            progress?.stop();
            stop.detach();
            await prepared.model.close?.();
          }
        });
      }),
    );
}
