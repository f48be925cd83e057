// `evalgate ocr` end to end through the compiled bin (`npm test` builds first).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ortBindingDir } from '../../experts/onnx/onnx-runtime.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'dist/gateway/cli/main.js');
const textRec = path.join(realdataDir, 'text_rec.jpg');
const cudaInstalled = existsSync(path.join(ortBindingDir(), 'libonnxruntime_providers_cuda.so'));
if (!existsSync(bin)) console.warn(`[ocr] skipping CLI checks: ${bin} is missing (run npm run build)`);

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  promisify(execFile)(process.execPath, [bin, ...args], { cwd: repoRoot }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe.skipIf(!existsSync(bin))('evalgate ocr', () => {
  it.skipIf(!hasRealdata)('prints lines, boxes and confidences with --json', async () => {
    const { code, stdout } = await run(['ocr', textRec, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { images: { image: string; text: string; lines: { confidence: number; box: number[][] }[] }[] };
    expect(doc.images[0]?.text).toBe('韩国小馆');
    expect(doc.images[0]?.lines[0]?.box).toHaveLength(4);
    expect(doc.images[0]?.lines[0]?.confidence).toBeGreaterThan(0.9);
  });

  it('fails with a coded error for a missing image', async () => {
    const { code, stderr } = await run(['ocr', path.join(repoRoot, 'no-such-image.png')]);
    expect(code).toBe(1);
    expect(stderr).toContain('EVALGATE_ERR_MEDIA_NOT_FOUND');
  });

  // CI machines have no CUDA provider files (the install skips them), so this is the path users hit.
  it.skipIf(!existsSync(textRec) || cudaInstalled)('names the missing CUDA provider instead of blaming the model', async () => {
    const { code, stderr } = await run(['ocr', textRec, '--device', 'cuda']);
    expect(code).toBe(1);
    expect(stderr).toContain('EVALGATE_ERR_DEVICE_UNAVAILABLE');
    expect(stderr).toContain('provider files are not installed');
    expect(stderr).not.toContain('EVALGATE_ERR_MODEL_FILE_INVALID');
  });

  it.skipIf(!existsSync(textRec))('reads the same text on webgpu where a GPU is there, else names the device error', async () => {
    const { code, stdout, stderr } = await run(['ocr', textRec, '--device', 'webgpu', '--json']);
    if (code === 0) {
      expect((JSON.parse(stdout) as { images: { text: string }[] }).images[0]?.text).toBe('韩国小馆');
    } else {
      expect(stderr).toContain('EVALGATE_ERR_DEVICE_UNAVAILABLE');
      expect(stderr).toMatch(/cannot run on webgpu here/);
    }
  });

  it('rejects an unknown device', async () => {
    const { code, stderr } = await run(['ocr', 'x.png', '--device', 'tpu']);
    expect(code).toBe(1);
    expect(stderr).toContain('EVALGATE_ERR_BAD_INPUT');
  });
});
