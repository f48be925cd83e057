import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import { SeededRandom } from './seeded-random.js';

/** One utterance to synthesize. */
export interface SpeechSpec {
  /** Text spoken, also the reference transcript. */
  readonly text: string;
  /** espeak-ng voice (`en-us`, `en-gb-scotland`, `cmn`…). */
  readonly voice: string;
  /** Words per minute. */
  readonly speedWpm: number;
  /** Pitch, 0–99. */
  readonly pitch: number;
  /** Add white noise at this signal-to-noise ratio in dB. */
  readonly noiseSnrDb?: number;
  /** Seed for the noise. */
  readonly noiseSeed?: number;
}

/** Locates the `data` chunk of a 16-bit PCM WAV (sox may write extra chunks before it). */
export function wavDataRange(buf: Buffer): { offset: number; length: number } {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    if (id === 'data') return { offset: pos + 8, length: Math.min(size, buf.length - pos - 8) };
    pos += 8 + size + (size % 2);
  }
  throw new Error('WAV has no data chunk');
}

/** Adds seeded Gaussian noise at `snrDb` to 16-bit PCM in place. */
export function addNoise(wav: Buffer, snrDb: number, seed: number): void {
  const { offset, length } = wavDataRange(wav);
  const n = Math.floor(length / 2);
  let power = 0;
  for (let i = 0; i < n; i++) power += wav.readInt16LE(offset + 2 * i) ** 2;
  const rms = Math.sqrt(power / Math.max(n, 1));
  const sigma = rms / 10 ** (snrDb / 20);
  const rng = new SeededRandom(seed);
  for (let i = 0; i < n; i++) {
    const v = Math.round(wav.readInt16LE(offset + 2 * i) + sigma * rng.gaussian());
    wav.writeInt16LE(Math.max(-32768, Math.min(32767, v)), offset + 2 * i);
  }
}

/**
 * Speaks `spec.text` with espeak-ng and converts it with sox to 16 kHz mono
 * 16-bit WAV, peak-normalised to -3 dBFS. sox runs with `-R` (repeatable) and
 * `-D` (no dither) so the bytes depend only on the inputs. Returns the
 * duration in seconds.
 */
export async function synthSpeech(spec: SpeechSpec, outPath: string, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const tmp = join(tmpdir(), `evalgate-espeak-${process.pid}-${Math.random().toString(36).slice(2)}.wav`);
  try {
    await runTool('espeak-ng', ['-v', spec.voice, '-s', String(spec.speedWpm), '-p', String(spec.pitch), '-w', tmp, spec.text], opts);
    await runTool('sox', ['-R', '-D', tmp, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', outPath, 'norm', '-3'], opts);
  } finally {
    await rm(tmp, { force: true });
  }
  const wav = await readFile(outPath);
  if (spec.noiseSnrDb !== undefined) {
    addNoise(wav, spec.noiseSnrDb, spec.noiseSeed ?? 1);
    await writeFile(outPath, wav);
  }
  return wavDataRange(wav).length / 2 / 16000;
}
