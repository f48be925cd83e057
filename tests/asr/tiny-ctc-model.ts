import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnnxModel, floats, int64s, node, value } from './onnx-model-builder.js';

export const VOCAB = ['<pad>', '<s>', '</s>', '<unk>', '|', 'H', 'E', 'L', 'O', 'W', 'R', 'D'];
const FRAME = 320;

/**
 * A wav2vec2-shaped CTC model: [1, N] samples → [1, N/320, V] logits where
 * class v scores −(frame mean − 0.05·v)², so audio whose 20-ms frames hold the
 * constant 0.05·v spells out a chosen class sequence.
 */
export function waveformCtcDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-wave-'));
  writeFileSync(
    join(dir, 'model.onnx'),
    buildOnnxModel({
      inputs: [value('input_values', 'float', [1, 'n'])],
      outputs: [value('logits', 'float', [1, 't', VOCAB.length])],
      initializers: [
        int64s('shape', [3], [1, -1, FRAME]),
        floats(
          'centers',
          [VOCAB.length],
          VOCAB.map((_, v) => 0.05 * v),
        ),
      ],
      nodes: [
        node('Reshape', ['input_values', 'shape'], ['frames']),
        node('ReduceMean', ['frames'], ['m'], { axes: [2], keepdims: 1 }),
        node('Sub', ['m', 'centers'], ['d']),
        node('Mul', ['d', 'd'], ['d2']),
        node('Neg', ['d2'], ['logits']),
      ],
    }),
  );
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(VOCAB.map((t, i) => [t, i]))));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ feature_size: 1, sampling_rate: 16000, do_normalize: false }));
  return dir;
}

export function spell(classes: string[]): Float32Array {
  const out = new Float32Array(classes.length * FRAME);
  classes.forEach((c, i) => out.fill(0.05 * VOCAB.indexOf(c), i * FRAME, (i + 1) * FRAME));
  return out;
}

// Repeats merge, blanks (<pad>) separate the double L, "|" is the word delimiter.
export const HELLO_WORLD = ['H', 'H', 'E', '<pad>', 'L', 'L', '<pad>', 'L', 'O', '|', 'W', 'O', 'O', 'R', 'L', 'D', '<pad>'];
