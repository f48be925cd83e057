import type { Command } from 'commander';
import { runAction } from '../run-action.js';

interface ListOptions {
  json?: boolean;
}

interface TestOptions {
  json?: boolean;
  timeoutMs: string;
  stream?: boolean;
  sampleId?: string;
}

export default function register(program: Command): void {
  const models = program.command('models').description('list configured models, or check one with a tiny request');

  models
    .command('list')
    .description('list the models declared in the configuration (never prints key values)')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: ListOptions, cmd: Command) => {
        const { configFor } = await import('../cli-context.js');
        const config = await configFor(cmd);
        const rows = config.models.map((m) => ({
          id: m.id,
          adapter: m.adapter,
          kind: m.kind,
          model: m.model ?? null,
          baseUrl: m.baseUrl ?? null,
          apiKeyEnv: m.apiKeyEnv ?? null,
          // Whether the variable is set, never its value.
          apiKeySet: m.apiKeyEnv ? Boolean(process.env[m.apiKeyEnv]) : null,
        }));
        if (opts.json) return { models: rows };
        if (rows.length === 0) return 'No models configured. Add them under "models" in evalgate.config.json (see docs/models.md).';
        const table = [['ID', 'ADAPTER', 'KIND', 'MODEL', 'KEY']].concat(
          rows.map((r) => [r.id, r.adapter, r.kind, r.model ?? '-', r.apiKeyEnv ? `${r.apiKeyEnv} (${r.apiKeySet ? 'set' : 'NOT SET'})` : '-']),
        );
        const widths: number[] = [];
        for (const row of table) for (const [c, cell] of row.entries()) widths[c] = Math.max(widths[c] ?? 0, cell.length);
        // Every row has the header's five cells, so every column has a width.
        return table
          .map((row) =>
            row
              .map((cell, c) => cell.padEnd(widths[c] ?? 0))
              .join('  ')
              .trimEnd(),
          )
          .join('\n');
      }),
    );

  models
    .command('test')
    .description('send one tiny request to a configured model and report ok, latency and the answer or the error')
    .argument('<id>', 'configured model id')
    .option('--timeout-ms <ms>', 'give up after this long', '30000')
    .option('--stream', 'use streaming and report time to first token')
    .option('--sample-id <id>', 'for the predictions adapter: which sample to replay (default: the first)')
    .option('--json', 'print JSON')
    .action(
      runAction(async (id: string, opts: TestOptions, cmd: Command) => {
        const timeoutMs = Number(opts.timeoutMs);
        if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error(`--timeout-ms must be a positive integer, got "${opts.timeoutMs}"`);
        const { configFor } = await import('../cli-context.js');
        const { EvalgateError } = await import('../../errors.js');
        const config = await configFor(cmd);
        const modelConfig = config.models.find((m) => m.id === id);
        if (!modelConfig) throw new EvalgateError('EVALGATE_ERR_MODEL_NOT_CONFIGURED', { id });
        const { createModel } = await import('../../models/create-model.js');
        const { probeModel } = await import('../../models/probe-model.js');
        const model = await createModel(modelConfig);
        let result;
        try {
          result = await probeModel(model, { timeoutMs, stream: opts.stream, sampleId: opts.sampleId });
        } finally {
          await model.close?.();
        }
        if (!result.ok) process.exitCode = 1;
        if (opts.json) return { id, adapter: model.adapter, adapterVersion: model.adapterVersion, ...result };
        const head = `${id} (${model.adapter} ${model.adapterVersion}, ${result.input}): `;
        const warn = result.warnings.map((w) => `\n  warning: ${w}`).join('');
        if (result.ok) {
          const ttft = result.ttftMs !== undefined ? `, first token ${result.ttftMs} ms` : '';
          // Only an unusual stop is worth a line: a cut-off or filtered answer.
          const finish = result.finishReason && result.finishReason !== 'stop' ? `\n  finish: ${result.finishReason}` : '';
          return `${head}ok in ${result.latencyMs} ms${ttft}\n  answer: ${JSON.stringify(result.text)}${finish}${warn}`;
        }
        const e = result.error!;
        const detail = [
          e.code,
          e.statusCode !== undefined ? `HTTP ${e.statusCode}` : undefined,
          e.retryable !== undefined ? (e.retryable ? 'retryable' : 'not retryable') : undefined,
        ]
          .filter(Boolean)
          .join(', ');
        return `${head}FAILED after ${result.latencyMs} ms: ${e.message}${detail ? ` [${detail}]` : ''}`;
      }),
    );
}
