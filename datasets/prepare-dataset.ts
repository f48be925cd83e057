import { access, constants as fsConstants, readFile, stat } from 'node:fs/promises';
import {
  CURRENT_DIGEST_VERSION,
  sampleDigest,
  sha256File,
  merkleRoot,
  sha256Hex,
  type DigestVersion,
  type MediaEntry,
  type MediaKind,
} from './dataset-digest.js';
import type { ManifestSample } from './manifest-schema.js';
import { containMediaPath, isContainmentProblem, type RealMediaFile } from './contain-media-path.js';
import type { Manifest } from './parse-manifest.js';

/** Returns a media file's duration in seconds (the gateway passes ffprobe here). */
export type ProbeDurationS = (absPath: string, signal?: AbortSignal) => Promise<number | undefined>;

/** A sample with its media digests and digest, ready to store. */
export interface PreparedSample {
  /** The validated manifest line. */
  readonly sample: ManifestSample;
  /** Media with digests, in manifest order. */
  readonly media: readonly MediaEntry[];
  /** The real file behind each media entry (same order), as found at import. */
  readonly files: readonly RealMediaFile[];
  /** sha256 of the canonical sample, by the dataset's digest version. */
  readonly digest: string;
  /** Declared duration, else the segment length, else the probed media duration. */
  readonly durationS?: number;
}

/** One media file that could not be used, named by its sample. */
export interface MediaProblem {
  /** Sample id. */
  readonly id: string;
  /** 1-based manifest line, when known. */
  readonly line?: number;
  /** Path as written in the manifest. */
  readonly path: string;
  /**
   * `missing`, `unreadable` (permissions, not a file), `undecodable` (the probe failed), `escape` (a link
   * leads out of the folder it is in, without `followSymlinks`) or `changed` (not the recorded file).
   */
  readonly problem: 'missing' | 'unreadable' | 'undecodable' | 'escape' | 'changed';
  /** Human-readable reason. */
  readonly detail: string;
}

/** A manifest with every digest computed. */
export interface PreparedDataset {
  /** sha256 of the manifest file's bytes. */
  readonly manifestDigest: string;
  /** The digest definition the sample digests and the root use. */
  readonly digestVersion: DigestVersion;
  /** Merkle root over the sample digests (see dataset-digest.ts). */
  readonly merkleRoot: string;
  /** Samples in manifest order. */
  readonly samples: readonly PreparedSample[];
  /** Media that is missing or unreadable; empty when the set is usable. */
  readonly problems: readonly MediaProblem[];
}

/** Options of {@link prepareDataset}. */
export interface PrepareOptions {
  /** Probe for media durations; without it only declared durations are kept. */
  readonly probeDurationS?: ProbeDurationS;
  /** Files hashed/probed at once (default 4). */
  readonly concurrency?: number;
  /** Called after each sample. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Cancels the work. */
  readonly signal?: AbortSignal;
  /** Accept media links that lead out of the folder they are in (`--follow-symlinks`). */
  readonly followSymlinks?: boolean;
  /** Folders media may come from besides the manifest's folder (`--media-root`); anything else is refused. */
  readonly mediaRoots?: readonly string[];
  /** Digest definition (default: the current one; the demo passes a stored dataset's to compare with it). */
  readonly digestVersion?: DigestVersion;
}

/** The media of a sample as digest kinds (manifest `images` entries become kind `images`). */
export function mediaRefs(s: ManifestSample): { kind: MediaKind; path: string }[] {
  const out: { kind: MediaKind; path: string }[] = [];
  if (s.audio) out.push({ kind: 'audio', path: s.audio });
  if (s.image) out.push({ kind: 'image', path: s.image });
  for (const p of s.images ?? []) out.push({ kind: 'images', path: p });
  if (s.video) out.push({ kind: 'video', path: s.video });
  return out;
}

/** The segment times belong to the time-based media (audio, else video). */
function segmentOwner(s: ManifestSample): MediaKind | undefined {
  if (s.start_s === undefined && s.end_s === undefined) return undefined;
  return s.audio ? 'audio' : 'video';
}

/** Builds media entries for a sample given a digest per path. */
export function mediaEntries(s: ManifestSample, digestOf: (path: string) => string): MediaEntry[] {
  const owner = segmentOwner(s);
  return mediaRefs(s).map((m) => ({
    ...m,
    sha256: digestOf(m.path),
    ...(m.kind === owner && s.start_s !== undefined ? { start_s: s.start_s } : {}),
    ...(m.kind === owner && s.end_s !== undefined ? { end_s: s.end_s } : {}),
  }));
}

/** The digest of a manifest sample given its media digests, by digest version (default 1, as recorded before versions). */
export function digestManifestSample(s: ManifestSample, media: readonly MediaEntry[], version: DigestVersion = 1): string {
  return sampleDigest({ ...s, media }, version);
}

/** Checks that a file exists and is readable; returns the problem, if any. */
export async function checkReadable(abs: string): Promise<{ problem: 'missing' | 'unreadable'; detail: string } | undefined> {
  try {
    const st = await stat(abs);
    if (!st.isFile()) return { problem: 'unreadable', detail: `${abs} is not a regular file` };
    await access(abs, fsConstants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { problem: 'missing', detail: `${abs} does not exist` }
      : { problem: 'unreadable', detail: `${abs}: ${code ?? (err as Error).message}` };
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  // One iterator shared by the workers: each takes the next unclaimed item.
  const queue = items.entries();
  const worker = async (): Promise<void> => {
    for (const [i, item] of queue) out[i] = await fn(item, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** What import learned about one media file (as written in the manifest). */
export interface MediaFileInfo {
  /** sha256 of its bytes, when it could be read. */
  readonly sha256?: string;
  /** Its real path and size, when it could be read. */
  readonly file?: RealMediaFile;
  /** Probed duration, seconds, when asked for and found. */
  readonly durationS?: number;
  /** Why it cannot be used, if so. */
  readonly problem?: Omit<MediaProblem, 'id' | 'line' | 'path'>;
}

/** Options of {@link inspectMediaFile}. */
export interface InspectMediaOptions {
  /** Accept links that lead out of the folder they are in. */
  readonly followSymlinks?: boolean;
  /** Folders media may come from besides the manifest's folder. */
  readonly mediaRoots?: readonly string[];
  /** Probe the duration too (only files of samples that declare none need it). */
  readonly probeDurationS?: ProbeDurationS;
  /** sha256 by real path: two manifest paths naming one file (a link and its target) hash it once. */
  readonly hashByRealPath?: Map<string, Promise<string>>;
  /** Cancels the work. */
  readonly signal?: AbortSignal;
}

/**
 * Resolves one manifest media path: containment (links resolved and checked
 * first; everything after reads the real file), readability, sha256 and, when
 * asked, the duration. Never throws for an unusable file: the problem is in
 * the result.
 */
export async function inspectMediaFile(root: string, p: string, opts: InspectMediaOptions = {}): Promise<MediaFileInfo> {
  opts.signal?.throwIfAborted();
  const file = await containMediaPath(root, p, { followSymlinks: opts.followSymlinks, mediaRoots: opts.mediaRoots ?? [] });
  if (isContainmentProblem(file)) return { problem: file };
  const abs = file.realPath;
  const bad = await checkReadable(abs);
  if (bad) return { problem: bad };
  let hashing = opts.hashByRealPath?.get(abs);
  if (!hashing) {
    hashing = sha256File(abs, opts.signal);
    opts.hashByRealPath?.set(abs, hashing);
  }
  const sha256 = await hashing;
  if (!opts.probeDurationS) return { sha256, file };
  try {
    return { sha256, file, durationS: await opts.probeDurationS(abs, opts.signal) };
  } catch (err) {
    return { sha256, file, problem: { problem: 'undecodable', detail: (err as Error).message } };
  }
}

/** Whether a sample's duration comes from probing its audio or video (it declares none). */
export function needsProbedDuration(s: ManifestSample): boolean {
  return s.duration_s === undefined && s.end_s === undefined;
}

/**
 * One sample ready to store, given what import learned about its media files,
 * and its unusable media as problems. The one definition both the in-memory
 * {@link prepareDataset} and the streaming import use, so their digests agree.
 */
export function prepareSample(
  s: ManifestSample,
  infoOf: (path: string) => MediaFileInfo | undefined,
  digestVersion: DigestVersion,
  line?: number,
): { prepared: PreparedSample; problems: MediaProblem[] } {
  const problems: MediaProblem[] = [];
  for (const m of mediaRefs(s)) {
    const info = infoOf(m.path);
    if (info?.problem) problems.push({ id: s.id, ...(line !== undefined ? { line } : {}), path: m.path, ...info.problem });
  }
  const media = mediaEntries(s, (p) => infoOf(p)?.sha256 ?? '');
  const timed = s.audio ?? s.video;
  const probed = timed ? infoOf(timed)?.durationS : undefined;
  const durationS =
    s.duration_s ?? (s.end_s !== undefined ? s.end_s - (s.start_s ?? 0) : probed !== undefined ? Math.max(0, probed - (s.start_s ?? 0)) : undefined);
  const files = media.map((m) => infoOf(m.path)?.file ?? { realPath: '', sizeBytes: -1 });
  return {
    prepared: { sample: s, media, files, digest: digestManifestSample(s, media, digestVersion), ...(durationS !== undefined ? { durationS } : {}) },
    problems,
  };
}

/**
 * Hashes every media file (each distinct file once, however many samples
 * share it) and records its real path and size, probes durations, and computes the sample digests, the manifest
 * digest and the Merkle root. Missing or unreadable media does not throw: it
 * is listed per sample in `problems`, so a caller can report all of it at once
 * before anything runs. It holds the whole set in memory; `datasets import`
 * streams instead (gateway/store/import-manifest-stream.ts), with the same
 * per-sample definition ({@link prepareSample}).
 */
export async function prepareDataset(manifest: Manifest, opts: PrepareOptions = {}): Promise<PreparedDataset> {
  const digestVersion = opts.digestVersion ?? CURRENT_DIGEST_VERSION;
  const manifestDigest = sha256Hex(await readFile(manifest.path));
  const paths = [...new Set(manifest.samples.flatMap((s) => mediaRefs(s).map((m) => m.path)))];
  const fileInfo = new Map<string, MediaFileInfo>();
  const needsDuration = new Set(manifest.samples.filter(needsProbedDuration).flatMap((s) => [s.audio, s.video].filter((p): p is string => !!p)));
  const total = manifest.samples.length;
  await mapPool(paths, opts.concurrency ?? 4, async (p) => {
    const info = await inspectMediaFile(manifest.root, p, {
      followSymlinks: opts.followSymlinks,
      mediaRoots: opts.mediaRoots,
      probeDurationS: needsDuration.has(p) ? opts.probeDurationS : undefined,
      signal: opts.signal,
    });
    fileInfo.set(p, info);
  });

  const problems: MediaProblem[] = [];
  const samples: PreparedSample[] = [];
  manifest.samples.forEach((s, i) => {
    const one = prepareSample(s, (p) => fileInfo.get(p), digestVersion, manifest.lineOf.get(s.id));
    problems.push(...one.problems);
    samples.push(one.prepared);
    opts.onProgress?.(i + 1, total);
  });
  return {
    manifestDigest,
    digestVersion,
    merkleRoot: merkleRoot(samples.map((p) => ({ id: p.sample.id, digest: p.digest }))),
    samples,
    problems,
  };
}
