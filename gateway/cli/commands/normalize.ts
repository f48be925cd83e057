import type { Command } from 'commander';
import { runAction } from '../run-action.js';

// Python's str.splitlines() boundaries (control characters are intentional here).
// eslint-disable-next-line no-control-regex -- these control characters are line breaks to Python
const LINE_BREAKS = new RegExp('[\\r\\n\\u2028\\u2029\\x85\\x0b\\x0c\\x1c-\\x1e]', 'g');

/** `evalgate normalize --normalizer <name>`: stdin lines → exactly one normalized line each on stdout. */
export default function register(program: Command): void {
  program
    .command('normalize')
    .description('normalize UTF-8 lines from stdin with a reference normalizer (one output line per input line)')
    .requiredOption('--normalizer <name>', 'whisper-en | whisper-basic | open-asr-en | wenet-zh | none')
    .option('--json', 'print one JSON document {normalizer, lines} instead of plain lines')
    .action(
      runAction(async (opts: { normalizer: string; json?: boolean }) => {
        const { EvalgateError } = await import('../../errors.js');
        const { getNormalizer, NORMALIZER_NAMES } = await import('../../../scorers/normalizers/normalizer-registry.js');
        let spec;
        try {
          spec = getNormalizer(opts.normalizer);
        } catch {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
            detail: `unknown normalizer "${opts.normalizer}"; use one of ${NORMALIZER_NAMES.join(', ')}`,
          });
        }
        const { createInterface } = await import('node:readline');
        const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
        const lines: string[] = [];
        for await (const line of rl) {
          // a normalizer never emits a line break, so output stays line-aligned with input
          const out = spec.normalize(line).replace(LINE_BREAKS, ' ');
          if (opts.json) lines.push(out);
          else if (!process.stdout.write(`${out}\n`)) await new Promise((r) => process.stdout.once('drain', r));
        }
        return opts.json ? { normalizer: spec.name, lines } : undefined;
      }),
    );
}
