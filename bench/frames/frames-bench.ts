// Exact frame sampling vs one full decode pass.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/frames/frames-bench.js [--runs 3] [--skip-hour] [--check-hour]
//
// Generates (once, cached under .evalgate/bench) a 10-minute 640x360 H.264 video at 25 fps with a GOP of
// 250 from ffmpeg's testsrc2, and a one-hour video with the same encoding (six stream copies of it,
// concatenated). Then, interleaved and repeated, it times:
//   - ours: extractFrames(uniform, 32 frames, JPEG, cache off) on the 10-minute and the one-hour video;
//   - baseline: one full decode pass of the 10-minute video with the fps filter writing 32 JPEGs.
// Correctness: each of our frames is compared with a slow exact reference (decode everything, keep frame n
// by count with `select=eq(n,i)`, same JPEG encoder settings); PSNR must be >= 40 dB.
// Prints medians and the two ratios the issue sets targets for (>= 3x; <= 1.5x).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { extractFrames } from '../../gateway/media/extract-frames.js';
import { resolveFfmpeg } from '../../gateway/media/ffmpeg-binaries.js';
import { probeMedia } from '../../gateway/media/probe-media.js';
import { uniformIndices } from '../../scorers/frames/frame-indices.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const value = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = value('--runs', 3);
const count = value('--count', 32);
const benchDir = resolve('.evalgate/bench');

async function ffmpeg(argv: string[]): Promise<void> {
  const { ffmpegPath } = await resolveFfmpeg();
  await new Promise<void>((ok, fail) =>
    execFile(ffmpegPath, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...argv], { maxBuffer: 1 << 24 }, (err, _o, stderr) =>
      err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(),
    ),
  );
}

async function ensureVideos(): Promise<{ tenMin: string; hour: string }> {
  mkdirSync(benchDir, { recursive: true });
  const tenMin = join(benchDir, 'testsrc2-640x360-25fps-gop250-10min.mp4');
  const hour = join(benchDir, 'testsrc2-640x360-25fps-gop250-60min.mp4');
  if (!existsSync(tenMin)) {
    console.log('generating the 10-minute video (once)…');
    const tmp = `${tenMin}.tmp.mp4`;
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=25:duration=600',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '250',
      '-keyint_min',
      '250',
      '-sc_threshold',
      '0',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      tmp,
    ]);
    renameSync(tmp, tenMin);
  }
  if (!existsSync(hour) && !flag('--skip-hour')) {
    console.log('building the one-hour video from six stream copies (once)…');
    const list = join(benchDir, 'concat.txt');
    writeFileSync(list, Array.from({ length: 6 }, () => `file '${tenMin.replace(/'/g, "'\\''")}'\n`).join(''));
    const tmp = `${hour}.tmp.mp4`;
    await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', tmp]);
    renameSync(tmp, hour);
  }
  return { tenMin, hour };
}

/**
 * CPU seconds used by this process's reaped children (ffmpeg, ffprobe), from /proc/self/stat
 * (cutime + cstime). Unlike wall time it barely moves when other work shares the machine.
 */
function childCpuS(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[13]) + Number(fields[14])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuS: number; value: T }> {
  const c0 = childCpuS();
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, cpuS: childCpuS() - c0, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

async function psnr(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([sharp(a).raw().toBuffer(), sharp(b).raw().toBuffer()]);
  if (x.length !== y.length) return 0;
  let se = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    se += d * d;
  }
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / (se / x.length));
}

/** Slow exact reference: decode every frame, keep the chosen ones by decode count. */
async function referenceFrames(video: string, indices: number[], dir: string): Promise<string[]> {
  const select = indices.map((i) => `eq(n\\,${i})`).join('+');
  await ffmpeg([
    '-i',
    video,
    '-vf',
    `select='${select}'`,
    '-vsync',
    'passthrough',
    '-frames:v',
    String(indices.length),
    '-c:v',
    'mjpeg',
    '-q:v',
    '2',
    join(dir, 'ref_%04d.jpg'),
  ]);
  return readdirSync(dir)
    .filter((f) => f.startsWith('ref_'))
    .sort()
    .map((f) => join(dir, f));
}

async function fullPass(video: string, durationS: number, dir: string): Promise<void> {
  await ffmpeg(['-i', video, '-vf', `fps=${count}/${durationS}`, '-frames:v', String(count), '-c:v', 'mjpeg', '-q:v', '2', join(dir, 'full_%04d.jpg')]);
}

async function main(): Promise<void> {
  const ff = await resolveFfmpeg();
  const { tenMin, hour } = await ensureVideos();
  const info = await probeMedia(tenMin);
  const total = info.video?.frameCount ?? 0;
  const indices = uniformIndices(total, count);
  const work = mkdtempSync(join(tmpdir(), 'evalgate-frames-bench-'));
  console.log(`ffmpeg ${ff.version} (${ff.source}); ${count} uniform frames of ${total}; ${runs} run(s) each, interleaved`);

  const ours: number[] = [];
  const oursHour: number[] = [];
  const baseline: number[] = [];
  const oursCpu: number[] = [];
  const oursHourCpu: number[] = [];
  const baselineCpu: number[] = [];
  let lastOurs: string[] = [];
  for (let r = 0; r < runs; r++) {
    const out = join(work, `ours-${r}`);
    const a = await timed(() => extractFrames(tenMin, { strategy: 'uniform', count, format: 'jpg', cache: false, outDir: out }));
    ours.push(a.ms);
    oursCpu.push(a.cpuS);
    lastOurs = a.value.frames.map((f) => f.path);
    if (a.value.frames.map((f) => f.index).join() !== indices.join()) throw new Error('wrong indices');
    const base = join(work, `base-${r}`);
    mkdirSync(base);
    const b = await timed(() => fullPass(tenMin, info.durationS, base));
    baseline.push(b.ms);
    baselineCpu.push(b.cpuS);
    if (existsSync(hour) && !flag('--skip-hour')) {
      const h = await timed(() => extractFrames(hour, { strategy: 'uniform', count, format: 'jpg', cache: false, outDir: join(work, `hour-${r}`) }));
      oursHour.push(h.ms);
      oursHourCpu.push(h.cpuS);
    }
    console.log(
      `run ${r + 1}: ours 10-min ${(ours.at(-1)! / 1000).toFixed(2)} s (cpu ${oursCpu.at(-1)!.toFixed(2)} s)` +
        ` | full pass ${(baseline.at(-1)! / 1000).toFixed(2)} s (cpu ${baselineCpu.at(-1)!.toFixed(2)} s)` +
        (oursHour.length ? ` | ours 1-hour ${(oursHour.at(-1)! / 1000).toFixed(2)} s (cpu ${oursHourCpu.at(-1)!.toFixed(2)} s)` : ''),
    );
  }

  const refDir = join(work, 'ref');
  mkdirSync(refDir);
  const refs = await referenceFrames(tenMin, indices, refDir);
  const scores = await Promise.all(lastOurs.map((p, i) => psnr(p, refs[i] ?? '')));
  const minPsnr = Math.min(...scores);

  let minPsnrHour: number | undefined;
  if (flag('--check-hour') && existsSync(hour)) {
    const hourTotal = (await probeMedia(hour)).video?.frameCount ?? 0;
    const hIdx = uniformIndices(hourTotal, count);
    const hRef = join(work, 'ref-hour');
    mkdirSync(hRef);
    const hRefs = await referenceFrames(hour, hIdx, hRef);
    const mine = readdirSync(join(work, `hour-${runs - 1}`))
      .sort()
      .map((f) => join(work, `hour-${runs - 1}`, f));
    minPsnrHour = Math.min(...(await Promise.all(mine.map((p, i) => psnr(p, hRefs[i] ?? '')))));
  }

  const speedup = median(baseline) / median(ours);
  const hourRatio = oursHour.length ? median(oursHour) / median(ours) : undefined;
  const summary = {
    frames: count,
    runs,
    medianOursMs: Math.round(median(ours)),
    medianFullPassMs: Math.round(median(baseline)),
    medianOursHourMs: oursHour.length ? Math.round(median(oursHour)) : null,
    speedupVsFullPass: Number(speedup.toFixed(2)),
    hourOverTenMinutes: hourRatio === undefined ? null : Number(hourRatio.toFixed(2)),
    cpuSpeedupVsFullPass: Number((median(baselineCpu) / median(oursCpu)).toFixed(2)),
    cpuHourOverTenMinutes: oursHourCpu.length ? Number((median(oursHourCpu) / median(oursCpu)).toFixed(2)) : null,
    loadAverage1m: Number(loadavg()[0]?.toFixed(2)),
    cpus: availableParallelism(),
    minPsnrDb: minPsnr === Number.POSITIVE_INFINITY ? 'inf' : Number(minPsnr.toFixed(2)),
    ...(minPsnrHour === undefined ? {} : { minPsnrHourDb: minPsnrHour === Number.POSITIVE_INFINITY ? 'inf' : Number(minPsnrHour.toFixed(2)) }),
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(`speed-up vs one full decode pass: ${speedup.toFixed(2)}x (target >= 3)`);
  if (hourRatio !== undefined) console.log(`one-hour / ten-minute cost: ${hourRatio.toFixed(2)}x (target <= 1.5)`);
  console.log(`min PSNR vs slow exact reference: ${summary.minPsnrDb} dB (target >= 40)`);
  rmSync(work, { recursive: true, force: true });
  if (minPsnr < 40 || (minPsnrHour !== undefined && minPsnrHour < 40)) process.exitCode = 1;
}

await main();
