/**
 * Real-time factor of the streaming Silero VAD segmenter on a 10-minute file
 * built from the realdata recordings separated by silence, pushed in 20-ms
 * chunks as a live session would. Baseline in the same run: the bare ONNX
 * loop (one session.run per 512-sample window, no segmenter logic), so the
 * ratio shows what the segmenter costs on top of the model.
 *
 * Run from the repository root: node dist/bench/vad/vad-rtf.js
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { getSession, ortTensorFactory } from '../../experts/onnx/onnx-runtime.js';
import { createSileroVad, defaultSileroModelPath } from '../../experts/vad/silero-vad-segmenter.js';

const RATE = 16000;
const TARGET_S = 600;
const RUNS = 3;
const realdata = resolve(process.env.EVALGATE_REALDATA ?? resolve(process.cwd(), '../shared/realdata'));

function buildTenMinutes(): Float32Array {
  const files = ['jfk.wav', 'librispeech-1995-1837-0001.wav', 'aishell-BAC009S0724W0121.wav'];
  const clips = files.map((f) => parseWav(readFileSync(resolve(realdata, f))).samples);
  const out = new Float32Array(TARGET_S * RATE);
  let off = 0;
  for (let i = 0; off < out.length; i++) {
    const clip = clips[i % clips.length]!;
    out.set(clip.subarray(0, Math.min(clip.length, out.length - off)), off);
    off += clip.length + (1 + (i % 3)) * RATE; // 1–3 s of silence between utterances
  }
  return out;
}

const median = (xs: number[]): number => {
  const m = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  if (m === undefined) throw new RangeError('median of no runs (is RUNS 0?)');
  return m;
};

async function segmenterSeconds(audio: Float32Array): Promise<{ seconds: number; segments: number }> {
  const vad = await createSileroVad();
  const chunk = RATE / 50;
  let segments = 0;
  const t0 = performance.now();
  for (let off = 0; off < audio.length; off += chunk) {
    for (const e of await vad.push(audio.subarray(off, off + chunk), RATE)) if (e.type === 'speech_start') segments++;
  }
  await vad.flush();
  return { seconds: (performance.now() - t0) / 1000, segments };
}

async function bareLoopSeconds(audio: Float32Array): Promise<number> {
  const session = await getSession(defaultSileroModelPath(), { intraOpThreads: 1 });
  const tensor = await ortTensorFactory();
  const input = new Float32Array(576);
  const feeds = {
    input: tensor('float32', input, [1, 576]),
    state: tensor('float32', new Float32Array(256), [2, 1, 128]),
    sr: tensor('int64', BigInt64Array.of(16000n), []),
  };
  const t0 = performance.now();
  for (let off = 0; off + 512 <= audio.length; off += 512) {
    input.set(audio.subarray(off, off + 512), 64);
    await session.run(feeds);
  }
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  if (!existsSync(resolve(realdata, 'jfk.wav'))) {
    console.log(`skipped: ${realdata} not found (set EVALGATE_REALDATA)`);
    return;
  }
  const audio = buildTenMinutes();
  const audioS = audio.length / RATE;
  await segmenterSeconds(audio.subarray(0, RATE * 10)); // warm-up: session creation and JIT
  const seg: number[] = [];
  const bare: number[] = [];
  let segments = 0;
  for (let r = 0; r < RUNS; r++) {
    const s = await segmenterSeconds(audio);
    seg.push(s.seconds);
    segments = s.segments;
    bare.push(await bareLoopSeconds(audio));
  }
  const segS = median(seg);
  const bareS = median(bare);
  const windows = Math.floor(audio.length / 512);
  console.log(`audio: ${audioS.toFixed(0)} s (${windows} windows of 32 ms), ${segments} speech segments found`);
  console.log(`segmenter (20-ms chunks): ${segS.toFixed(2)} s → RTFx ${(audioS / segS).toFixed(0)} (${((segS * 1000) / windows).toFixed(3)} ms/window)`);
  console.log(`baseline bare ONNX loop:  ${bareS.toFixed(2)} s → RTFx ${(audioS / bareS).toFixed(0)} (${((bareS * 1000) / windows).toFixed(3)} ms/window)`);
  console.log(`ratio segmenter/baseline throughput: ${(bareS / segS).toFixed(2)} (median of ${RUNS} runs)`);
}

await main();
