import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableDevices, getSession, isProviderLoadFailure, ortBindingDir } from '../../experts/onnx/onnx-runtime.js';

const require = createRequire(import.meta.url);
const silero = require.resolve('@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const cudaFilesPresent = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].every((f) => existsSync(join(ortBindingDir(), f)));

describe('ONNX Runtime devices', () => {
  it('always offers the CPU backend, and cuda only when its provider files are installed', async () => {
    const devices = await availableDevices();
    expect(devices).toContain('cpu');
    expect(existsSync(join(ortBindingDir(), 'onnxruntime_binding.node'))).toBe(true);
    expect(devices.includes('cuda')).toBe(process.platform === 'linux' && cudaFilesPresent);
  });

  it.runIf(!cudaFilesPresent)('asking for cuda without the provider files is a CUDA error, not a bad-model error', async () => {
    const err = await getSession(silero, { device: 'cuda' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('DeviceUnavailableError');
    expect(err?.message).toMatch(/cannot run on cuda here: its CUDA provider files are not installed.*--device cpu/);
    // The same model opens on the CPU, so the file was never the problem.
    const cpu = await getSession(silero, { device: 'cpu' });
    expect(cpu.inputNames).toContain('input');
  });

  // WebGPU is built into the binding; a machine without a GPU Dawn accepts (CI) has no adapter for it.
  it('webgpu either opens and agrees with the CPU, or fails as a device error, never as a bad model', async () => {
    const session = await getSession(silero, { device: 'webgpu' }).then(
      (s) => s,
      (e: unknown) => e as Error,
    );
    if (session instanceof Error) {
      expect(session.name).toBe('DeviceUnavailableError');
      expect(session.message).toMatch(/cannot run on webgpu here: .*(adapter|WebGPU)/i);
      return;
    }
    const { ortTensorFactory } = await import('../../experts/onnx/onnx-runtime.js');
    const tensor = await ortTensorFactory();
    const input = Float32Array.from({ length: 576 }, (_, i) => Math.sin(i / 7) * 0.3);
    const feeds = () => ({
      input: tensor('float32', input, [1, 576]),
      state: tensor('float32', new Float32Array(256), [2, 1, 128]),
      sr: tensor('int64', BigInt64Array.of(16000n), []),
    });
    const cpu = await getSession(silero, { device: 'cpu' });
    const [a, b] = [await cpu.run(feeds()), await session.run(feeds())];
    expect(Math.abs(Number(a.output!.data[0]) - Number(b.output!.data[0]))).toBeLessThan(1e-3);
  });

  it('tells provider-load failures from model failures by onnxruntime’s own messages', () => {
    const missingShared =
      'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] ' +
      'Failed to load library .../libonnxruntime_providers_shared.so with error: cannot open shared object file: No such file or directory';
    expect(isProviderLoadFailure(missingShared)).toBe(true);
    expect(isProviderLoadFailure('libcudnn.so.9: cannot open shared object file: No such file or directory')).toBe(true);
    expect(
      isProviderLoadFailure(
        'webgpu_context.cc:136 ... adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters',
      ),
    ).toBe(true);
    expect(isProviderLoadFailure('Load model from /x.onnx failed:Protobuf parsing failed.')).toBe(false);
    expect(isProviderLoadFailure('Invalid rank for input: input Got: 1 Expected: 2')).toBe(false);
  });
});
