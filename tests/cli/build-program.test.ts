// The bin imports only the module of the command it runs (./commands/<name>):
// this holds only while every command file registers exactly the command it is named after.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandNameOf } from '../../gateway/cli/build-program.js';
import { spawnCli } from '../helpers/run-cli.js';

const commandFiles = readdirSync(fileURLToPath(new URL('../../gateway/cli/commands/', import.meta.url)))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));

describe('buildProgram', () => {
  it('every command file registers exactly the command it is named after', async () => {
    expect(commandFiles.length).toBeGreaterThan(10);
    for (const name of commandFiles) {
      const program = await buildProgram(name);
      expect(program.commands.map((c) => c.name())).toEqual([name]);
    }
  });

  it('without a known command name, registers every command (help, suggestions)', async () => {
    const all = await buildProgram();
    expect(all.commands.map((c) => c.name()).sort()).toEqual([...commandFiles].sort());
    expect((await buildProgram('scroe')).commands).toHaveLength(commandFiles.length);
  });

  it('finds the command word past global options', () => {
    expect(commandNameOf(['score', '--task', 'asr'])).toBe('score');
    expect(commandNameOf(['-c', 'my.json', 'runs', 'list'])).toBe('runs');
    expect(commandNameOf(['--config', 'my.json', 'runs'])).toBe('runs');
    expect(commandNameOf(['--config=my.json', 'compare'])).toBe('compare');
    expect(commandNameOf(['--help'])).toBeUndefined();
  });

  it('an unknown command still gets a suggestion, and help lists every command', async () => {
    const typo = await spawnCli(['scroe']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('(Did you mean score?)');
    const help = await spawnCli(['--help']);
    for (const name of commandFiles) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });
});
