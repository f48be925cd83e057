// Builds the `evalgate` program: global options plus the commands in ./commands/.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { evalgateVersion } from '../version.js';

export type RegisterCommand = (program: Command) => void;

/** The command a command line names (its first word that is not a global option), if any. */
export function commandNameOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * The program with its commands. Each command lives in ./commands/<name>.js, so
 * when `only` names one, only that module is imported: a command's startup no
 * longer pays for every other command's imports. Without it (help, an unknown
 * command, `help <name>`), every command is registered.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('evalgate')
    .description('Real-time speech and multimodal evaluation gateway')
    .version(evalgateVersion, '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: evalgate.config.json in this folder or the nearest parent that has one or .evalgate/)')
    .showHelpAfterError()
    .enablePositionalOptions();
  const dir = fileURLToPath(new URL('./commands/', import.meta.url));
  const all = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort();
  const own = only === undefined ? undefined : all.find((f) => f.replace(/\.(js|ts)$/, '') === only);
  for (const file of own ? [own] : all) {
    const mod = (await import(new URL(`./commands/${file}`, import.meta.url).href)) as { default?: RegisterCommand };
    if (typeof mod.default === 'function') mod.default(program);
  }
  return program;
}
