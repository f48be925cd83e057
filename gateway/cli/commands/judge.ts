import type { Command } from 'commander';
import { judgeRubricNames, judgeRubrics } from '../../../scorers/judge/judge-presets.js';
import { badOption, positiveInt } from '../option-values.js';
import { runAction } from '../run-action.js';

/** Options of `evalgate judge`. */
interface JudgeOptions {
  run?: string;
  runs?: string;
  pairwise?: boolean;
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
    .description(
      "score a run's answers with a judge model under a rubric (task judge-score), or compare two runs' answers pairwise (task judge-pair, arena votes); resumable, unreadable verdicts are failures, never scores",
    )
    .option('--run <runId>', 'the run whose answers are judged pointwise (id or a prefix of at least 8 characters)')
    .option('--runs <A,B>', 'with --pairwise: the two runs whose answers are compared (A,B; ids or prefixes)')
    .option('--pairwise', 'compare --runs A,B on 5 levels (A>>B … B>>A) in both presentation orders; each verdict is an arena vote (source judge)')
    .option('--judge <id>', 'judge model id (configured model or preset; default: judge.model in the configuration)')
    .option('--rubric <name>', `rubric (default: judge.rubrics for the run's dataset or task, else judge.rubric): ${judgeRubricNames.join(' | ')}`)
    .option('--new', 'start a new judged run even if one with the same judge, rubric (or pairwise settings) and run(s) exists')
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
        '(after its re-asks) or a judge call that fails after retries leaves the answer failed (stage judge).\n\n' +
        "Pairwise (--runs A,B --pairwise): Arena-Hard-Auto v0.1's judge prompt and verdict rule; each sample both runs\n" +
        "answered is judged with A's answer shown first, then B's. Readable verdicts are stored as arena votes (source judge);\n" +
        'an unreadable verdict is a failed sample, never a vote or a tie. The report gives per-order verdict counts, position\n' +
        'bias (how often the answer shown first wins) and the win/tie/loss summary. `evalgate arena ratings --source judge`\n' +
        'rates the votes.',
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
        const mode = judgeMode(opts);
        return withStore(cmd, async (store, config) => {
          let progress: ReturnType<typeof createProgress> | undefined;
          const execOpts = (label: string) => ({
            concurrency,
            timeoutMs,
            retry: { ...defaultRetryPolicy, maxAttempts },
            ...(opts.cache ? { cacheDir: config.cacheDir } : {}),
            spillCacheDir: config.cacheDir,
            ...(config.runner.dbOutageMaxMs !== undefined ? { dbOutageMaxMs: config.runner.dbOutageMaxMs } : {}),
            onNotice: (m: string) => {
              if (!opts.json) process.stderr.write(`${m}\n`);
            },
            onTotal: (n: number) => {
              progress = createProgress(label, n, { json: opts.json });
            },
            onAnswer: (status: 'ok' | 'failed') => progress?.increment(1, status === 'ok' ? 0 : 1),
          });
          const stopMessage = opts.json ? undefined : '\nstopping: judge calls in flight finish, the rest stay pending (run the same command to continue)\n';
          if (mode.kind === 'pairwise') {
            const { preparePairJudging, executePairJudging } = await import('../../judge/execute-pair-judging.js');
            const { formatPairJudgeReport } = await import('../../judge/format-pair-judge-report.js');
            const prepared = await preparePairJudging(store.db, config, { runs: mode.runs, judge: opts.judge, forceNew: opts.new }, (m) => createModel(m));
            if (!opts.json) {
              process.stderr.write(
                `${prepared.resumed ? 'continuing' : 'starting'} pairwise judge run ${prepared.run.id} (A ${prepared.sourceA.model_id} run ${prepared.sourceA.id}, B ${prepared.sourceB.model_id} run ${prepared.sourceB.id}, judge ${prepared.settings.modelId})\n`,
              );
            }
            const stop = abortOnSignal(stopMessage);
            try {
              const report = await executePairJudging(store.db, prepared, { ...execOpts(`judge-pair ${prepared.run.id.slice(0, 8)}`), signal: stop.signal });
              progress?.stop();
              if (report.status === 'failed') process.exitCode = 1;
              return opts.json ? report : formatPairJudgeReport(report);
            } finally {
              progress?.stop();
              stop.detach();
              await prepared.model.close?.();
            }
          }
          const prepared = await prepareJudging(store.db, config, { run: mode.run, judge: opts.judge, rubric: opts.rubric, forceNew: opts.new }, (m) =>
            createModel(m),
          );
          if (!opts.json) {
            process.stderr.write(
              `${prepared.resumed ? 'continuing' : 'starting'} judged run ${prepared.run.id} (run ${prepared.source.id}, judge ${prepared.settings.modelId}, rubric ${prepared.rubric.name})\n`,
            );
          }
          const stop = abortOnSignal(stopMessage);
          try {
            const report = await executeJudging(store.db, prepared, { ...execOpts(`judge ${prepared.run.id.slice(0, 8)}`), signal: stop.signal });
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

/**
 * Which judging the options ask for: pointwise (`--run`) or pairwise
 * (`--runs A,B --pairwise`). Any other mix is EVALGATE_ERR_BAD_INPUT, before
 * the store is opened.
 */
export function judgeMode(
  opts: Pick<JudgeOptions, 'run' | 'runs' | 'pairwise' | 'rubric'>,
): { kind: 'pointwise'; run: string } | { kind: 'pairwise'; runs: string[] } {
  if (opts.run !== undefined && opts.runs !== undefined)
    throw badOption('--run and --runs are mutually exclusive: --run R judges one run pointwise, --runs A,B --pairwise compares two');
  if (opts.runs !== undefined) {
    if (!opts.pairwise) throw badOption('--runs A,B compares two runs and needs --pairwise');
    if (opts.rubric !== undefined) throw badOption("--rubric applies to pointwise judging; --pairwise uses Arena-Hard-Auto's verdict prompt");
    const runs = opts.runs.split(',').map((r) => r.trim());
    if (runs.length !== 2 || runs.some((r) => r === '')) throw badOption(`--runs takes exactly two runs, A,B (got ${JSON.stringify(opts.runs)})`);
    return { kind: 'pairwise', runs };
  }
  if (opts.pairwise) throw badOption('--pairwise needs --runs A,B (the two runs to compare)');
  if (opts.run === undefined) throw badOption('name the answers to judge: --run R (pointwise) or --runs A,B --pairwise');
  return { kind: 'pointwise', run: opts.run };
}
