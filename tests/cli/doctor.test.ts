// `evalgate doctor` through the compiled bin: what it reports must match this machine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableDevices } from '../../experts/onnx/onnx-runtime.js';
import { spawnCli } from '../helpers/run-cli.js';

interface DoctorReport {
  ok: boolean;
  ffmpeg?: { path: string; version: string; source: string };
  onnxruntime?: { devices: string[]; probed?: Record<string, string> };
  checks: { name: string; ok: boolean; detail: string }[];
}

describe('evalgate doctor', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'evalgate-doctor-'));
  });
  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('reports the ffmpeg in use and the ONNX devices this install offers', async () => {
    const { code, stdout } = await spawnCli(['doctor', '--json'], { cwd });
    const report = JSON.parse(stdout) as DoctorReport;
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.ffmpeg?.version).toMatch(/\d/);
    expect(['env', 'path', 'npm']).toContain(report.ffmpeg?.source);
    expect(report.onnxruntime?.devices).toEqual(await availableDevices());
    expect(report.onnxruntime?.probed).toBeUndefined();
    expect(report.checks.find((c) => c.name === 'onnx')?.detail).toMatch(/^devices: cpu/);
  });

  it('--probe-devices opens a model on each GPU device and says what happened', async () => {
    const { stdout } = await spawnCli(['doctor', '--json', '--probe-devices'], { cwd });
    const report = JSON.parse(stdout) as DoctorReport;
    const gpus = (await availableDevices()).filter((d) => d !== 'cpu');
    expect(Object.keys(report.onnxruntime?.probed ?? {}).sort()).toEqual(gpus.sort());
    for (const d of gpus) {
      // Either it ran, or the reason is the device's (no adapter, no driver), not the model's.
      expect(report.onnxruntime?.probed?.[d]).toMatch(/^ok$|adapter|provider|driver|cuda|vulkan/i);
    }
  });

  it('documents its options in --help', async () => {
    const { code, stdout } = await spawnCli(['doctor', '--help'], { cwd });
    expect(code).toBe(0);
    expect(stdout).toContain('--probe-devices');
  });
});
