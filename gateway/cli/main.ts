#!/usr/bin/env node
// The `evalgate` bin. Commands are discovered from ./commands so that each
// feature adds one file and nothing else; each command module keeps its
// top-level imports light and loads heavy modules (ONNX, sharp, pg) lazily in
// its action, so `evalgate --help` starts fast.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { evalgateVersion } from '../version.js';

export type RegisterCommand = (program: Command) => void;

export async function buildProgram(): Promise<Command> {
  const program = new Command('evalgate')
    .description('Real-time speech and multimodal evaluation gateway')
    .version(evalgateVersion, '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: ./evalgate.config.json)')
    .showHelpAfterError()
    .enablePositionalOptions();
  const dir = fileURLToPath(new URL('./commands/', import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort();
  for (const file of files) {
    const mod = (await import(new URL(`./commands/${file}`, import.meta.url).href)) as { default?: RegisterCommand };
    if (typeof mod.default === 'function') mod.default(program);
  }
  return program;
}

const program = await buildProgram();
await program.parseAsync(process.argv);
