import { describe, expect, it } from 'vitest';
import { resample } from '../../experts/audio-features/streaming-resampler.js';
import { createOnnxCtcAsr, ctcWordFrames } from '../../experts/asr/onnx-ctc-asr.js';
import { HELLO_WORLD, spell, waveformCtcDir } from './tiny-ctc-model.js';

// The tiny wav2vec2-shaped model emits one frame per 320 samples: 20 ms at 16 kHz.
const silence = (frames: number): string[] => Array<string>(frames).fill('<pad>');

describe('ONNX CTC word times from greedy frames', () => {
  it('times each word from the first frame of its first token to the end of its last', async () => {
    const asr = await createOnnxCtcAsr(waveformCtcDir());
    // 10 blank frames (0.2 s), HELLO on frames 10–18, "|" on 19, WORLD on 20–25, blank 26, then 15 blank frames.
    const classes = [...silence(10), ...HELLO_WORLD, ...silence(15)];
    const r = await asr.transcribeWords(spell(classes), 16000);
    expect(r.text).toBe('HELLO WORLD');
    expect(r.text).toBe((await asr.transcribe(spell(classes), 16000)).text);
    expect(r.words).toEqual([
      { text: 'HELLO', startS: 0.2, endS: 0.38 },
      { text: 'WORLD', startS: 0.4, endS: 0.52 },
    ]);
  });

  it('keeps times in seconds of the input when it is resampled', async () => {
    const asr = await createOnnxCtcAsr(waveformCtcDir());
    const classes = [...silence(50), ...HELLO_WORLD];
    const r = await asr.transcribeWords(resample(spell(classes), 16000, 48000), 48000);
    expect(r.words.map((w) => w.text)).toEqual(['HELLO', 'WORLD']);
    // Resampling smears frame edges by a frame at most.
    expect(Math.abs(r.words[0]!.startS - 1.0)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(r.words[1]!.endS - 1.32)).toBeLessThanOrEqual(0.02);
  });

  it('splits SentencePiece tokens at ▁, holds repeated tokens and drops specials (class-major scores too)', () => {
    const vocab = { tokens: ['<blk>', '▁he', 'llo', '▁there', '<unk>'], blankId: 0 };
    const seq = [0, 1, 1, 0, 2, 2, 2, 0, 4, 0, 3, 3, 0];
    const frames = seq.length;
    const rowMajor = new Float32Array(frames * 5);
    const colMajor = new Float32Array(frames * 5);
    seq.forEach((c, t) => {
      rowMajor[t * 5 + c] = 1;
      colMajor[c * frames + t] = 1;
    });
    const expected = [
      { text: 'hello', firstFrame: 1, lastFrame: 6 },
      { text: 'there', firstFrame: 10, lastFrame: 11 },
    ];
    expect(ctcWordFrames(rowMajor, frames, 5, vocab)).toEqual(expected);
    expect(ctcWordFrames(colMajor, frames, 5, vocab, true)).toEqual(expected);
  });
});
