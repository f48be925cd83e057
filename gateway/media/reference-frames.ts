import { open } from 'node:fs/promises';
import { runMediaTool } from './run-media-tool.js';
import type { DecodeTarget } from './seek-decoder.js';

/**
 * Finds which target frames of an H.264 stream in MP4/MOV are reference
 * pictures (`nal_ref_idc` > 0), so their decoders may skip the non-reference
 * pictures between the keyframe and the target (`-skip_frame noref`): nothing
 * predicts from those, so the target's pixels cannot change, and about half of
 * the decode is saved.
 *
 * ffprobe lists, for each target, the packets after the seek point (a demux, no
 * decoding); the target's packet is the one whose timestamp lies in its window.
 * Its slice NAL header is read straight from the file (MP4 stores H.264 as
 * length-prefixed NAL units). Anything unexpected leaves the target out of the
 * set, which only means a full decode for it.
 */

/** Packets listed after each seek point; targets further than this from their keyframe get a full decode. */
export const refProbePackets = 300;

/** Inputs of {@link h264ReferenceTargets}. */
export interface ReferenceProbeOptions {
  /** ffprobe executable. */
  readonly ffprobePath: string;
  /** The video (H.264 in MP4/MOV). */
  readonly path: string;
  /** Stream index of the video stream. */
  readonly streamIndex: number;
  /** Container start time: `-read_intervals` counts from it. */
  readonly formatStartS: number;
  /** Cancels ffprobe. */
  readonly signal?: AbortSignal;
}

interface Packet {
  ptsS: number;
  pos: number;
  size: number;
}

async function sliceRefIdc(fh: Awaited<ReturnType<typeof open>>, pkt: Packet): Promise<number | undefined> {
  const head = Buffer.alloc(5);
  let off = 0;
  // A packet holds SEI, parameter sets and then slices; the first slice decides.
  for (let n = 0; n < 32 && off + 5 <= pkt.size; n++) {
    const { bytesRead } = await fh.read(head, 0, 5, pkt.pos + off);
    if (bytesRead < 5) return undefined;
    const len = head.readUInt32BE(0);
    if (len === 0 || off + 4 + len > pkt.size) return undefined; // not 4-byte length-prefixed: give up
    const nal = head[4] ?? 0;
    const type = nal & 0x1f;
    if (type === 1 || type === 5) return (nal >> 5) & 3;
    off += 4 + len;
  }
  return undefined;
}

/** The indices of `targets` that are certainly reference pictures. */
export async function h264ReferenceTargets(targets: readonly DecodeTarget[], opts: ReferenceProbeOptions): Promise<Set<number>> {
  const refs = new Set<number>();
  if (targets.length === 0) return refs;
  const intervals = targets.map((t) => `${Math.max(0, t.loS - opts.formatStartS).toFixed(6)}%+#${refProbePackets}`).join(',');
  const res = await runMediaTool(
    opts.ffprobePath,
    [
      '-v',
      'error',
      '-select_streams',
      String(opts.streamIndex),
      '-read_intervals',
      intervals,
      '-show_entries',
      'packet=pts_time,pos,size',
      '-of',
      'csv=p=0',
      opts.path,
    ],
    { signal: opts.signal, maxStdoutBytes: 64 << 20 },
  );
  if (res.code !== 0) return refs;
  const packets: Packet[] = [];
  for (const line of res.stdout.toString('utf8').split('\n')) {
    const [pts, size, pos] = line.split(',').map(Number);
    if (Number.isFinite(pts) && Number.isFinite(pos) && Number.isFinite(size)) packets.push({ ptsS: pts ?? 0, pos: pos ?? 0, size: size ?? 0 });
  }
  const fh = await open(opts.path, 'r');
  try {
    for (const t of targets) {
      const inWindow = packets.filter((p) => p.ptsS >= t.loS - 1e-6 && p.ptsS < t.hiS - 1e-6);
      const distinct = new Set(inWindow.map((p) => p.pos));
      const pkt = inWindow[0];
      if (!pkt || distinct.size !== 1) continue;
      const idc = await sliceRefIdc(fh, pkt);
      if (idc !== undefined && idc > 0) refs.add(t.index);
    }
  } finally {
    await fh.close();
  }
  return refs;
}
