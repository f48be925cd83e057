import type { Command } from 'commander';
import { EXTRACTOR_NAMES } from '../../../scorers/mcq/mcq-extractors.js';
import { NORMALIZER_NAMES } from '../../../scorers/normalizers/normalizer-registry.js';
import { isTaskName, orList, taskNames } from '../../../scorers/tasks/index.js';
import { badOption, positiveInt } from '../option-values.js';
import { runAction } from '../run-action.js';

/** Options of `evalgate run`. */
interface RunOptions {
  dataset?: string;
  model?: string;
  task?: string;
  concurrency: string;
  limit?: string;
  resume?: string;
  new?: boolean;
  timeoutMs: string;
  maxAttempts: string;
  cache?: boolean;
  stream?: boolean;
  asrModel?: string;
  failedAsWrong?: boolean;
  prompt?: string;
  system?: string;
  temperature?: string;
  maxOutputTokens?: string;
  frames?: string;
  frameStrategy?: string;
  normalizer?: string;
  unit?: string;
  extractor?: string;
  excludeUnanswered?: boolean;
  distributed?: boolean;
  wait?: boolean;
  dbOutageMaxMs?: string;
  json?: boolean;
}

function positiveIntOption(name: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : positiveInt(name, value);
}

function scorerOptions(opts: RunOptions): Record<string, unknown> | undefined {
  const o: Record<string, unknown> = {};
  if (opts.normalizer) o.normalizer = opts.normalizer;
  if (opts.unit) o.unit = opts.unit;
  if (opts.extractor) o.extractor = opts.extractor;
  if (opts.excludeUnanswered) o.excludeUnanswered = true;
  return Object.keys(o).length ? o : undefined;
}

export default function register(program: Command): void {
  program
    .command('run')
    .description('run a model over a dataset: resumable, rate-limit aware, failed calls never scored as answers')
    .option('-d, --dataset <name|manifest>', 'dataset name or id, or a manifest JSONL file (imported on first use)')
    .option('-m, --model <id>', 'configured model id or bundled preset, e.g. pp-ocrv4 (see `evalgate models list`)')
    .option('-t, --task <task>', `${taskNames.join(' | ')} (default: the dataset’s only task)`)
    .option('--concurrency <n>', 'maximum requests in flight (adapts down on HTTP 429)', '8')
    .option('--limit <k>', 'only the first K samples (by sample id)')
    .option('--resume <runId>', 'continue this run: only samples without an ok prediction are sent')
    .option('--new', 'start a new run even if one with the same configuration exists')
    .option('--timeout-ms <ms>', 'per-request timeout', '120000')
    .option('--max-attempts <n>', 'attempts per sample for retryable errors (timeouts, connection errors, 408, 429, 5xx)', '5')
    .option('--cache', 'reuse answers to identical temperature-0 requests from the response cache')
    .option('--stream', 'stream answers (when the model can) to measure time to first token')
    .option(
      '--asr-model <id>',
      "for a model that answers in speech: the local ASR expert whose transcript of each spoken answer is scored (the model's own transcript never is)",
    )
    .option('--failed-as-wrong', 'score samples whose calls failed as empty answers (off: they are excluded and counted)')
    .option('--prompt <template>', 'prompt template; {question}, {options} and {lang} are filled in')
    .option('--system <text>', 'system prompt')
    .option('--temperature <t>', 'sampling temperature', '0')
    .option('--max-output-tokens <n>', 'cap on generated tokens')
    .option('--frames <n>', 'video frames per sample', '8')
    .option('--frame-strategy <s>', 'uniform | linspace | fps | keyframes', 'uniform')
    .option('--normalizer <name>', `scoring normalizer, as in \`evalgate score\` (${NORMALIZER_NAMES.join(' | ')})`)
    .option('--unit <unit>', 'asr token unit: word | char | mixed')
    .option('--extractor <name>', `mcq answer extractor: ${EXTRACTOR_NAMES.join(' | ')}`)
    .option('--exclude-unanswered', 'mcq: accuracy over answered samples only (Video-MME option)')
    .option('--distributed', 'enqueue the samples for `evalgate worker` processes (needs PostgreSQL)')
    .option('--wait', 'with --distributed: wait for the workers and print the summary')
    .option('--db-outage-max-ms <ms>', 'how long the run waits for an unreachable database before it fails (default: runner.dbOutageMaxMs, 120000)')
    .option('--json', 'print one JSON document at the end')
    .action(
      runAction(async (opts: RunOptions, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { createModel } = await import('../../models/create-model.js');
        const { prepareRun } = await import('../../runner/prepare-run.js');
        const { formatRunReport } = await import('../../runner/format-report.js');
        const task = opts.task;
        if (task !== undefined && !isTaskName(task)) throw badOption(`--task must be ${orList(taskNames)}, got "${task}"`);
        const temperature = Number(opts.temperature ?? 0);
        if (!Number.isFinite(temperature) || temperature < 0) throw badOption(`--temperature must be a number ≥ 0, got "${opts.temperature}"`);
        const concurrency = positiveIntOption('--concurrency', opts.concurrency)!;
        const timeoutMs = positiveIntOption('--timeout-ms', opts.timeoutMs)!;
        const maxAttempts = positiveIntOption('--max-attempts', opts.maxAttempts)!;
        const outageMaxMs = positiveIntOption('--db-outage-max-ms', opts.dbOutageMaxMs);

        return withStore(cmd, async (store, config) => {
          const prepared = await prepareRun(
            store.db,
            config,
            {
              dataset: opts.dataset,
              modelId: opts.model,
              task,
              limit: positiveIntOption('--limit', opts.limit),
              resume: opts.resume,
              forceNew: opts.new,
              promptTemplate: opts.prompt,
              system: opts.system,
              temperature,
              maxOutputTokens: positiveIntOption('--max-output-tokens', opts.maxOutputTokens),
              video: { count: positiveIntOption('--frames', opts.frames), strategy: opts.frameStrategy },
              scorer: scorerOptions(opts),
              failedAsWrong: opts.failedAsWrong,
              ...(opts.asrModel !== undefined ? { asrModel: opts.asrModel } : {}),
              onSpillReplay: (r) => {
                if (!opts.json) process.stderr.write(`wrote ${r.written} of ${r.predictions} answer(s) kept in ${r.path} during a database outage\n`);
              },
            },
            (m) => createModel(m),
          );
          if (!opts.json) process.stderr.write(`${prepared.resumed ? 'resuming' : 'starting'} run ${prepared.run.id}\n`);
          const { defaultRetryPolicy } = await import('../../runner/retry-policy.js');
          const retry = { ...defaultRetryPolicy, maxAttempts };
          try {
            if (opts.distributed) {
              const { runDistributed } = await import('../../runner/distributed/run-distributed.js');
              const { createProgress } = await import('../progress.js');
              const progress = (label: string, total: number): ReturnType<typeof createProgress> => createProgress(label, total, { json: opts.json });
              const out = await runDistributed(store, config, prepared, {
                wait: opts.wait,
                progress,
                timeoutMs,
                retry,
                ...(outageMaxMs !== undefined ? { dbOutageMaxMs: outageMaxMs } : {}),
              });
              if (opts.json)
                return { ...(out.report ?? {}), runId: out.runId, enqueued: out.enqueued, counts: out.counts, metrics: out.report?.metrics ?? null };
              return out.report
                ? formatRunReport(out.report, { enqueued: out.enqueued })
                : `run ${out.runId}: enqueued ${out.enqueued} samples; start \`evalgate worker\` on any machine with the same DATABASE_URL, and follow with \`evalgate runs show ${out.runId}\``;
            }
            const { executeWithProgress } = await import('../execute-with-progress.js');
            const result = await executeWithProgress(store, config, prepared, {
              concurrency,
              timeoutMs,
              retry,
              stream: opts.stream,
              cacheDir: opts.cache ? `${config.cacheDir}/responses` : undefined,
              label: `run ${prepared.run.id.slice(0, 8)}`,
              stopMessage: '\nstopping: samples in flight finish, the rest stay pending (resume with --resume)\n',
              ...(outageMaxMs !== undefined ? { dbOutageMaxMs: outageMaxMs } : {}),
              json: opts.json,
            });
            // A run that ended failed (it answered nothing) exits non-zero, its report printed all the same.
            if (result.report.status === 'failed') process.exitCode = 1;
            return opts.json
              ? { ...result.report, resumed: result.resumed, thisExecution: result.totals }
              : formatRunReport(result.report, { totals: result.totals });
          } finally {
            await prepared.model.close?.();
          }
        });
      }),
    );
}
