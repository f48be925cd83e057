import type { Command } from 'commander';
import { badOption } from '../option-values.js';
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
  const models = program.command('models').description('list configured models and bundled presets, or check one with a tiny request');

  models
    .command('list')
    .description('list the configured models and the bundled presets, marked by SOURCE (config or preset); never prints key values')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: ListOptions, cmd: Command) => {
        const { configFor } = await import('../cli-context.js');
        const { bundledPresets } = await import('../../config/bundled-presets.js');
        const config = await configFor(cmd);
        const declared = new Set(config.models.map((m) => m.id));
        const configured = config.models.map((m) => ({
          id: m.id,
          source: 'config' as const,
          adapter: m.adapter,
          kind: m.kind,
          model: m.model ?? null,
          baseUrl: m.baseUrl ?? null,
          apiKeyEnv: m.apiKeyEnv ?? null,
          // Whether the variable is set, never its value.
          apiKeySet: m.apiKeyEnv ? Boolean(process.env[m.apiKeyEnv]) : null,
          // A configured model with a preset's id replaces the preset.
          overridesPreset: bundledPresets.some((p) => p.model.id === m.id),
          available: true,
          unavailableReason: null as string | null,
        }));
        const presets = bundledPresets
          .filter((p) => !declared.has(p.model.id))
          .map((p) => {
            const a = p.availability();
            return {
              id: p.model.id,
              source: 'preset' as const,
              adapter: p.model.adapter,
              kind: p.model.kind,
              model: p.model.model ?? null,
              baseUrl: null,
              apiKeyEnv: null,
              apiKeySet: null,
              overridesPreset: false,
              available: a.available,
              unavailableReason: a.available ? null : a.reason,
            };
          });
        const rows = [...configured, ...presets];
        if (opts.json) return { models: rows };
        const table = [['ID', 'SOURCE', 'ADAPTER', 'KIND', 'MODEL', 'KEY', 'AVAILABLE']].concat(
          rows.map((r) => [
            r.id,
            r.overridesPreset ? 'config (overrides preset)' : r.source,
            r.adapter,
            r.kind,
            r.model ?? '-',
            r.apiKeyEnv ? `${r.apiKeyEnv} (${r.apiKeySet ? 'set' : 'NOT SET'})` : '-',
            r.available ? 'yes' : 'no (see below)',
          ]),
        );
        const widths: number[] = [];
        for (const row of table) for (const [c, cell] of row.entries()) widths[c] = Math.max(widths[c] ?? 0, cell.length);
        const lines = table.map((row) =>
          row
            .map((cell, c) => cell.padEnd(widths[c] ?? 0))
            .join('  ')
            .trimEnd(),
        );
        for (const r of rows) if (r.unavailableReason) lines.push(`${r.id} is unavailable here: ${r.unavailableReason}`);
        if (configured.length === 0)
          lines.push('', 'No models configured: the presets above work by id; add your own under "models" in evalgate.config.json (see docs/models.md).');
        return lines.join('\n');
      }),
    );

  models
    .command('test')
    .description('send one tiny request to a model and report ok, latency and the answer or the error')
    .argument('<id>', 'configured model id or bundled preset')
    .option('--timeout-ms <ms>', 'give up after this long', '30000')
    .option('--stream', 'use streaming and report time to first token')
    .option('--sample-id <id>', 'for the predictions adapter: which sample to replay (default: the first)')
    .option('--json', 'print JSON')
    .action(
      runAction(async (id: string, opts: TestOptions, cmd: Command) => {
        const timeoutMs = Number(opts.timeoutMs);
        if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw badOption(`--timeout-ms must be a positive integer, got "${opts.timeoutMs}"`);
        const { configFor } = await import('../cli-context.js');
        const { requireModelConfig } = await import('../../config/find-model-config.js');
        // Configured models, then the bundled presets, as for `evalgate run`.
        const modelConfig = requireModelConfig(await configFor(cmd), id);
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
