import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { PocketsphinxAsr, parseSegmentLine } from '../../experts/asr/pocketsphinx-asr.js';
import { synthSpeech } from '../../datasets/synth/speech-clips.js';

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveTools = has('pocketsphinx_continuous') && has('espeak-ng') && has('sox');
if (!haveTools) console.warn('skipping pocketsphinx word-time tests: needs pocketsphinx_continuous, espeak-ng and sox');

const RATE = 16000;

/** First and last sample louder than -40 dBFS: where espeak-ng's speech really starts and ends inside its clip. */
function speechBounds(x: Float32Array): [number, number] {
  let first = 0;
  while (first < x.length && Math.abs(x[first]!) < 0.01) first++;
  let last = x.length - 1;
  while (last > first && Math.abs(x[last]!) < 0.01) last--;
  return [first, last + 1];
}

interface Layout {
  samples: Float32Array;
  /** Speech regions in seconds, measured from the samples. */
  regions: [number, number][];
  /** The long silence between the phrases. */
  gap: [number, number];
}

/** 1.0 s silence, phrase A, 2.0 s silence, phrase B, 1.0 s silence: every boundary is known to the sample. */
async function buildAudio(): Promise<Layout> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-words-'));
  const clips: Float32Array[] = [];
  for (const [i, text] of ['hello world this is a test', 'please call me back before noon tomorrow'].entries()) {
    const path = join(dir, `${i}.wav`);
    await synthSpeech({ text, voice: 'en-us', speedWpm: 150, pitch: 50 }, path);
    clips.push(parseWav(readFileSync(path)).samples);
  }
  const parts = [new Float32Array(RATE), clips[0]!, new Float32Array(2 * RATE), clips[1]!, new Float32Array(RATE)];
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  const regions: [number, number][] = [];
  let at = 0;
  for (const p of parts) {
    samples.set(p, at);
    if (p === clips[0] || p === clips[1]) {
      const [a, b] = speechBounds(p);
      regions.push([(at + a) / RATE, (at + b) / RATE]);
    }
    at += p.length;
  }
  return { samples, regions, gap: [regions[0]![1], regions[1]![0]] };
}

describe('pocketsphinx word times (-time yes)', () => {
  let layout: Layout;
  beforeAll(async () => {
    if (haveTools) layout = await buildAudio();
  }, 60_000);

  it.skipIf(!haveTools)(
    'times each word inside the speech it came from, in order, and agrees with transcribe',
    async () => {
      const asr = new PocketsphinxAsr();
      const timed = await asr.transcribeWords(layout.samples, RATE);
      const plain = await asr.transcribe(layout.samples, RATE);
      expect(timed.text).toBe(plain.text);
      expect(timed.text.length).toBeGreaterThan(0);
      // The words are the transcript, fillers and (2) marks removed.
      expect(timed.words.map((w) => w.text).join(' ')).toBe(timed.text);
      for (const w of timed.words) {
        expect(w.text).not.toMatch(/^<|^\[|\(\d+\)$/);
        expect(w.endS).toBeGreaterThan(w.startS);
      }
      for (let i = 1; i < timed.words.length; i++) expect(timed.words[i]!.startS).toBeGreaterThanOrEqual(timed.words[i - 1]!.endS - 1e-9);

      const tol = 0.3;
      const regionOf = (w: { startS: number; endS: number }): number => layout.regions.findIndex(([a, b]) => w.startS >= a - tol && w.endS <= b + tol);
      for (const w of timed.words) expect(regionOf(w), `${w.text} ${w.startS}-${w.endS} outside ${JSON.stringify(layout.regions)}`).toBeGreaterThanOrEqual(0);
      // Both phrases produced words, and nothing lies in the middle second of the 2-s silence.
      expect(timed.words.filter((w) => regionOf(w) === 0).length).toBeGreaterThan(0);
      expect(timed.words.filter((w) => regionOf(w) === 1).length).toBeGreaterThan(0);
      const mid = (layout.gap[0] + layout.gap[1]) / 2;
      for (const w of timed.words) expect(w.endS <= mid - 0.5 || w.startS >= mid + 0.5).toBe(true);
      // Each phrase's first word starts near its measured onset and its last word ends near its offset.
      for (const [r, [a, b]] of layout.regions.entries()) {
        const ws = timed.words.filter((w) => regionOf(w) === r);
        expect(Math.abs(ws[0]!.startS - a)).toBeLessThan(tol);
        expect(Math.abs(ws.at(-1)!.endS - b)).toBeLessThan(tol);
      }
    },
    120_000,
  );

  it.skipIf(!haveTools)(
    'gives times relative to the audio at any input rate',
    async () => {
      const asr = new PocketsphinxAsr();
      const at16k = await asr.transcribeWords(layout.samples, RATE);
      // The same audio at 8 kHz (every other sample) is resampled to 16 kHz before decoding.
      const at8k = await asr.transcribeWords(
        layout.samples.filter((_, i) => i % 2 === 0),
        8000,
      );
      expect(at8k.words.length).toBeGreaterThan(0);
      expect(Math.abs(at8k.words[0]!.startS - at16k.words[0]!.startS)).toBeLessThan(0.3);
    },
    120_000,
  );
});

describe('pocketsphinx -time output parsing', () => {
  it('reads word/start/end/posterior lines and not hypothesis lines', () => {
    expect(parseSegmentLine('the(2) 1.650 1.940 0.121548')).toEqual({ word: 'the(2)', startS: 1.65, endS: 1.94 });
    expect(parseSegmentLine('<sil> 4.810 5.730 0.999700')).toEqual({ word: '<sil>', startS: 4.81, endS: 5.73 });
    expect(parseSegmentLine('well the artist')).toBeUndefined();
    expect(parseSegmentLine('one two three four')).toBeUndefined();
  });

  it('drops markers and fillers, strips alternate-pronunciation marks, ends a word one frame after its last frame start', async () => {
    // A binary that prints what pocketsphinx_continuous -time yes prints, fillers included.
    const dir = mkdtempSync(join(tmpdir(), 'ps-fake-'));
    const bin = join(dir, 'ps');
    writeFileSync(
      bin,
      [
        '#!/bin/sh',
        "printf '%s\\n' 'well the artist' '<s> 0.000 1.290 0.999400' 'well 1.300 1.550 0.403732' '[NOISE] 1.560 1.640 0.980392'",
        "printf '%s\\n' 'the(2) 1.650 1.940 0.121548' '++BREATH++ 1.950 1.990 0.5' 'artist 2.000 2.440 0.016832' '</s> 2.450 2.830 1.000000'",
      ].join('\n'),
    );
    chmodSync(bin, 0o755);
    const r = await new PocketsphinxAsr({ binary: bin }).transcribeWords(new Float32Array(1600), RATE);
    expect(r).toEqual({
      text: 'well the artist',
      language: 'en',
      words: [
        { text: 'well', startS: 1.3, endS: 1.56 },
        { text: 'the', startS: 1.65, endS: 1.95 },
        { text: 'artist', startS: 2, endS: 2.45 },
      ],
    });
  });
});
