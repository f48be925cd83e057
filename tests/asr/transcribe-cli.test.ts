import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommandInProcess, type CliResult } from '../helpers/run-cli.js';
import register from '../../gateway/cli/commands/transcribe.js';
import { encodeWav16 } from '../../experts/audio-features/wav-file.js';
import { HELLO_WORLD, spell, waveformCtcDir } from './tiny-ctc-model.js';

function runCli(args: string[]): Promise<CliResult> {
  return runCommandInProcess(register, args);
}

describe('evalgate transcribe', () => {
  afterEach(() => vi.restoreAllMocks());

  it('transcribes files with a configured onnx-ctc model and reports RTFx as audio s / processing s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transcribe-cli-'));
    const wav = join(dir, 'hello.wav');
    writeFileSync(wav, encodeWav16(spell(HELLO_WORLD), 16000));
    const configPath = join(dir, 'evalgate.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ models: [{ id: 'tiny-ctc', adapter: 'onnx-ctc', kind: 'specialist', options: { modelDir: waveformCtcDir() } }] }),
    );
    const r = await runCli(['--config', configPath, 'transcribe', wav, wav, '--model', 'tiny-ctc', '--json']);
    expect(r.exitCode).toBeUndefined();
    const doc = JSON.parse(r.stdout) as { results: { text: string; durationS: number }[]; audioS: number; processingS: number; rtfx: number };
    expect(doc.results.map((x) => x.text)).toEqual(['HELLO WORLD', 'HELLO WORLD']);
    expect(doc.audioS).toBeCloseTo((2 * HELLO_WORLD.length * 320) / 16000, 3);
    expect(doc.rtfx).toBeCloseTo(doc.audioS / doc.processingS, 6);

    const text = await runCli(['--config', configPath, 'transcribe', wav, '--model', 'tiny-ctc']);
    expect(text.stdout).toMatch(new RegExp(`^${wav}\\tHELLO WORLD\\nRTFx \\d`));
  });

  it('fails with a registry error for an undeclared model or a model folder that is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transcribe-cli-'));
    const configPath = join(dir, 'c.json');
    writeFileSync(
      configPath,
      JSON.stringify({ models: [{ id: 'w', adapter: 'whisper-onnx', kind: 'specialist', options: { modelDir: join(dir, 'absent') } }] }),
    );
    const a = await runCli(['--config', configPath, 'transcribe', 'x.wav', '--model', 'nope']);
    expect(a.exitCode).toBe(1);
    expect(a.stderr).toContain('EVALGATE_ERR_MODEL_NOT_CONFIGURED');
    const b = await runCli(['--config', configPath, 'transcribe', 'x.wav', '--model', 'w']);
    expect(b.exitCode).toBe(1);
    expect(b.stderr).toMatch(/EVALGATE_ERR_MODEL_FILE_INVALID/);
    expect(b.stderr).toMatch(/optimum/);
  });
});
