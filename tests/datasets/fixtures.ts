import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A valid 16 kHz mono 16-bit WAV of `durationS` seconds holding a 440 Hz tone (`seed` shifts the phase so files differ). */
export function toneWav(durationS: number, seed = 0): Buffer {
  const rate = 16000;
  const n = Math.round(durationS * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate + seed)), 44 + 2 * i);
  return buf;
}

/** Writes a file, creating its folder. */
export async function put(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}
