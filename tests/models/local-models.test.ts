/**
 * Local specialists behind the model contract, on real media from
 * ../shared/realdata and the real bundled PP-OCRv4 weights. Tests that need
 * a missing piece (the media folder, the pocketsphinx binary) skip and say why.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel } from '../../gateway/models/create-model.js';
import type { ModelConfig } from '../../gateway/config/config-schema.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';

const realdata = realdataDir;
const hasPocketsphinx = (process.env.PATH ?? '').split(delimiter).some((d) => existsSync(join(d, 'pocketsphinx_continuous')));
if (!hasRealdata) console.warn(`[models] skipping real-media adapter tests: ${realdata} is missing`);
if (!hasPocketsphinx)
  console.warn('[models] skipping pocketsphinx adapter test: pocketsphinx_continuous is not on PATH (apt install pocketsphinx pocketsphinx-en-us)');

const cfg = (adapter: string, options: Record<string, unknown> = {}): ModelConfig => ({ id: adapter, adapter, kind: 'specialist', options });

describe('ppocr adapter', () => {
  it.skipIf(!hasRealdata)('reads text_rec.jpg (韩国小馆) and en_rec.jpg with the bundled PP-OCRv4 weights', async () => {
    const model = await createModel(cfg('ppocr'));
    expect(model.capabilities).toMatchObject({ image: true, audio: false, streaming: false });
    const zh = await readFile(join(realdata, 'text_rec.jpg'));
    const en = await readFile(join(realdata, 'en_rec.jpg'));
    const r1 = await model.doGenerate({
      parts: [
        { type: 'text', text: 'ignored prompt' },
        { type: 'image', data: zh, mimeType: 'image/jpeg' },
      ],
    });
    expect(r1.text).toBe('韩国小馆');
    expect(r1.warnings).toEqual([]);
    const r2 = await model.doGenerate({ parts: [{ type: 'image', data: en, mimeType: 'image/jpeg' }] });
    expect(r2.text.replace(/\s+/g, ' ')).toContain('To facilitate the shot type analysis in videos');
  });

  it('fails clearly on a model folder that does not exist, and needs an image', async () => {
    const missing = await createModel(cfg('ppocr', { modelDir: '/nonexistent/ppocr' }));
    await expect(missing.doGenerate({ parts: [{ type: 'image', data: new Uint8Array([1]), mimeType: 'image/png' }] })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_MODEL_FILE_INVALID',
    });
    const model = await createModel(cfg('ppocr'));
    await expect(model.doGenerate({ parts: [{ type: 'text', text: 'x' }] })).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
  });
});

describe('pocketsphinx adapter', () => {
  it.skipIf(!hasRealdata || !hasPocketsphinx)(
    'transcribes jfk.wav through the WAV bytes of the part',
    async () => {
      const model = await createModel(cfg('pocketsphinx', { language: 'en' }));
      const wav = await readFile(join(realdata, 'jfk.wav'));
      const r = await model.doGenerate({ parts: [{ type: 'audio', data: wav, mimeType: 'audio/wav' }] });
      // pocketsphinx's en-us model is weak; these content words are what it gets right on this clip.
      expect(r.text.toLowerCase()).toMatch(/country/);
      expect(r.raw).toMatchObject({ audioS: expect.closeTo(11, 0) });
      // A real pocketsphinx decode of 11 s: about 14 s alone, past the default 60 s on a loaded CI machine.
    },
    180_000,
  );
});

describe('ONNX ASR adapters (no weights ship on npm)', () => {
  it('need options.modelDir, and a folder that is not an export fails naming it', async () => {
    await expect(createModel(cfg('onnx-ctc'))).rejects.toMatchObject({ code: 'EVALGATE_ERR_CONFIG_INVALID', message: expect.stringContaining('modelDir') });
    await expect(createModel(cfg('whisper-onnx'))).rejects.toMatchObject({ code: 'EVALGATE_ERR_CONFIG_INVALID' });
    for (const adapter of ['onnx-ctc', 'whisper-onnx']) {
      const model = await createModel(cfg(adapter, { modelDir: '/nonexistent/asr-export' }));
      const part = { type: 'audio', data: new Uint8Array(), mimeType: 'audio/pcm', samples: new Float32Array(1600), sampleRateHz: 16000 } as const;
      await expect(model.doGenerate({ parts: [part] })).rejects.toMatchObject({
        code: 'EVALGATE_ERR_MODEL_FILE_INVALID',
        message: expect.stringContaining('/nonexistent/asr-export'),
      });
    }
  });
});
