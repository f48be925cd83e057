import type { Command } from 'commander';
import { positiveInt } from '../option-values.js';
import { runAction } from '../run-action.js';

/** Options of `evalgate duplex`. */
interface DuplexOptions {
  dataset?: string;
  model?: string;
  asrModel?: string;
  concurrency: string;
  limit?: string;
  resume?: string;
  new?: boolean;
  maxAttempts: string;
  json?: boolean;
}

export default function register(program: Command): void {
  program
    .command('duplex')
    .description(
      'play turn-taking scenarios (task duplex) live to a realtime model and score when it speaks: pause handling, turn-taking, interruption, backchannel (Full-Duplex-Bench)',
    )
    .option('-d, --dataset <name|manifest>', 'a duplex dataset (name, id, or a manifest: `evalgate datasets synth turn-taking` writes one)')
    .option('-m, --model <id>', 'an openai-realtime model with options.outputModality "audio" and options.turnDetection server_vad or semantic_vad')
    .option('--asr-model <id>', "local ASR expert giving the model's timed words: pocketsphinx or an ONNX CTC export")
    .option(
      '--concurrency <n>',
      'scenarios played at once (each in real time); above 1, one scenario is heard while others play, which can slip their clocks (the run warns)',
      '1',
    )
    .option('--limit <k>', 'only the first K scenarios (by sample id)')
    .option('--resume <runId>', 'continue this run: only scenarios without a recording are played')
    .option('--new', 'start a new run even if one with the same configuration exists')
    .option('--max-attempts <n>', 'attempts per scenario when the connection fails', '3')
    .option('--json', 'print one JSON document at the end')
    .addHelpText(
      'after',
      "\nEach scenario's audio is streamed in real time; the model's audio is recorded as a client plays it, stored as FLAC under <cacheDir>/duplex/,\nand heard by Silero VAD and the ASR expert. See docs/spoken-answers.md.",
    )
    .action(
      runAction(async (opts: DuplexOptions, cmd: Command) => {
        const { withStore } = await import('../cli-context.js');
        const { createModel } = await import('../../models/create-model.js');
        const { prepareRun } = await import('../../runner/prepare-run.js');
        const { formatRunReport } = await import('../../runner/format-report.js');
        const { formatDuplexSummary } = await import('../../duplex/format-duplex-summary.js');
        const concurrency = positiveInt('--concurrency', opts.concurrency);
        const maxAttempts = positiveInt('--max-attempts', opts.maxAttempts);
        return withStore(cmd, async (store, config) => {
          const prepared = await prepareRun(
            store.db,
            config,
            {
              dataset: opts.dataset,
              modelId: opts.model,
              task: opts.resume ? undefined : 'duplex',
              expectTask: 'duplex',
              limit: opts.limit === undefined ? undefined : positiveInt('--limit', opts.limit),
              resume: opts.resume,
              forceNew: opts.new,
              ...(opts.asrModel !== undefined ? { asrModel: opts.asrModel } : {}),
            },
            (m) => createModel(m),
          );
          if (!opts.json) process.stderr.write(`${prepared.resumed ? 'resuming' : 'starting'} duplex run ${prepared.run.id}\n`);
          const { defaultRetryPolicy } = await import('../../runner/retry-policy.js');
          const { executeWithProgress } = await import('../execute-with-progress.js');
          try {
            const result = await executeWithProgress(store, config, prepared, {
              concurrency,
              // The per-attempt bound grows with each scenario's length (run-batch); this is its floor.
              timeoutMs: 60_000,
              retry: { ...defaultRetryPolicy, maxAttempts },
              label: `duplex ${prepared.run.id.slice(0, 8)}`,
              stopMessage: '\nstopping: scenarios in flight are abandoned and played again on --resume\n',
              json: opts.json,
            });
            if (result.report.status === 'failed') process.exitCode = 1;
            if (opts.json) return { ...result.report, resumed: result.resumed, thisExecution: result.totals };
            return `${formatRunReport(result.report, { totals: result.totals })}\n${formatDuplexSummary(result.report.metrics ?? {})}`;
          } finally {
            await prepared.model.close?.();
          }
        });
      }),
    );
}
