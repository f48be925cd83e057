import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resample } from '../../experts/audio-features/streaming-resampler.js';
import { createAsr } from '../../experts/asr/create-asr.js';
import { ctcGreedyDecode } from '../../experts/asr/ctc-vocabulary.js';
import { createOnnxCtcAsr, type OnnxCtcAsr } from '../../experts/asr/onnx-ctc-asr.js';
import { readOnnxMetadata } from '../../experts/asr/onnx-metadata.js';
import { buildOnnxModel, floats, node, value } from './onnx-model-builder.js';
import { HELLO_WORLD, spell, waveformCtcDir } from './tiny-ctc-model.js';

describe('ONNX CTC, waveform input (HF wav2vec2 layout: model.onnx + vocab.json + preprocessor_config.json)', () => {
  it('loads the folder and decodes greedy CTC end to end', async () => {
    const asr = await createAsr({ kind: 'onnx-ctc', modelDir: waveformCtcDir() });
    expect((asr as OnnxCtcAsr).frontEnd.input).toBe('waveform');
    expect(await asr.transcribe(spell(HELLO_WORLD), 16000)).toEqual({ text: 'HELLO WORLD' });
  });

  it('resamples input at another rate before the model', async () => {
    const asr = await createOnnxCtcAsr(waveformCtcDir());
    const at48k = resample(spell(HELLO_WORLD), 16000, 48000);
    expect((await asr.transcribe(at48k, 48000)).text).toBe('HELLO WORLD');
  });

  it('says which layout is expected when the folder or files are missing', async () => {
    await expect(createAsr({ kind: 'onnx-ctc', modelDir: '/nonexistent/ctc' })).rejects.toThrow(
      /folder not found.*model\.onnx and tokens\.txt.*Nothing is downloaded/,
    );
    const empty = mkdtempSync(join(tmpdir(), 'ctc-empty-'));
    await expect(createAsr({ kind: 'onnx-ctc', modelDir: empty })).rejects.toThrow(/no model\.onnx/);
    await expect(createAsr({ kind: 'onnx-ctc' })).rejects.toThrow(/modelDir is required/);
  });

  it('rejects a token table that does not match the model’s classes', async () => {
    const dir = waveformCtcDir();
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify({ '<pad>': 0, A: 1 }));
    const asr = await createOnnxCtcAsr(dir);
    await expect(asr.transcribe(spell(['H']), 16000)).rejects.toThrow(/12 output classes but the token table has 2/);
  });
});

/** Feature-input model: class scores from the mean log-mel energy of each frame. */
function featureCtcDir(layout: 'nemo' | 'sherpa'): string {
  const dir = mkdtempSync(join(tmpdir(), `ctc-${layout}-`));
  const nemo = layout === 'nemo';
  // tokens: ▁a, ▁b, then the blank last (NeMo/sherpa convention).
  const weights = nemo ? [1, 0, -1] : [1, 0, 0];
  const bias = nemo ? [0, 0, 0] : [0, -1e9, 0];
  writeFileSync(
    join(dir, 'model.onnx'),
    buildOnnxModel({
      inputs: nemo
        ? [value('audio_signal', 'float', [1, 80, 't']), value('length', 'int64', [1])]
        : [value('x', 'float', [1, 't', 80]), value('x_lens', 'int64', [1])],
      outputs: [value('logprobs', 'float', [1, 't', 3])],
      initializers: [floats('w', [3], weights), floats('b', [3], bias)],
      nodes: nemo
        ? [
            node('ReduceMean', ['audio_signal'], ['m0'], { axes: [1], keepdims: 1 }),
            node('Transpose', ['m0'], ['m'], { perm: [0, 2, 1] }),
            node('Mul', ['m', 'w'], ['s']),
            node('Add', ['s', 'b'], ['logprobs']),
          ]
        : [node('ReduceMean', ['x'], ['m'], { axes: [2], keepdims: 1 }), node('Mul', ['m', 'w'], ['s']), node('Add', ['s', 'b'], ['logprobs'])],
      metadata: nemo ? { model_type: 'EncDecCTCModelBPE', feat_dim: '80', normalize_type: 'per_feature', vocab_size: '2' } : {},
    }),
  );
  writeFileSync(join(dir, 'tokens.txt'), '▁a 0\n▁b 1\n<blk> 2\n');
  return dir;
}

function toneGaps(): Float32Array {
  const x = new Float32Array(16000 * 1.5);
  for (let i = 0; i < x.length; i++) if (i < 8000 || i >= 16000) x[i] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000);
  return x;
}

describe('ONNX CTC, feature input (NeMo / sherpa-onnx layout: model.onnx + tokens.txt)', () => {
  it('reads the front end from ONNX metadata and feeds [1, 80, T] NeMo features with a length', async () => {
    const dir = featureCtcDir('nemo');
    expect(await readOnnxMetadata(join(dir, 'model.onnx'))).toMatchObject({ model_type: 'EncDecCTCModelBPE', feat_dim: '80' });
    const asr = await createOnnxCtcAsr(dir);
    expect(asr.frontEnd).toMatchObject({
      input: 'features',
      featureLayout: 'channels-first',
      features: { style: 'nemo', nMels: 80, normalize: 'per_feature' },
    });
    // tone → ▁a, silence → blank, tone → ▁a: two words.
    expect((await asr.transcribe(toneGaps(), 16000)).text).toBe('a a');
  });

  it('feeds Kaldi fbank frames-first to sherpa-style inputs (x, x_lens)', async () => {
    const asr = await createOnnxCtcAsr(featureCtcDir('sherpa'));
    expect(asr.frontEnd).toMatchObject({ input: 'features', featureLayout: 'frames-first', features: { style: 'kaldi' } });
    expect((await asr.transcribe(toneGaps(), 16000)).text).toBe('a a');
  });
});

describe('ctcGreedyDecode', () => {
  it('merges repeats, drops blanks and maps ▁ to spaces', () => {
    const vocab = { tokens: ['<blk>', '▁he', 'llo', '▁there'], blankId: 0 };
    const seq = [1, 1, 0, 2, 2, 0, 0, 3, 3];
    const scores = new Float32Array(seq.length * 4);
    seq.forEach((c, t) => (scores[t * 4 + c] = 1));
    expect(ctcGreedyDecode(scores, seq.length, 4, vocab)).toEqual({ text: 'hello there', ids: [1, 2, 3] });
  });
});
