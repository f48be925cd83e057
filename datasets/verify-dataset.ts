import { realpath, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { canonicalJson, merkleRoot, sampleDigest, sha256File, sha256Hex, type DigestInput, type DigestVersion, type MediaEntry } from './dataset-digest.js';
import type { RealMediaFile } from './contain-media-path.js';
import type { ManifestSample } from './manifest-schema.js';
import { parseManifestText, resolveManifestPath } from './parse-manifest.js';
import { digestManifestSample, mapPool, mediaEntries } from './prepare-dataset.js';
import { applyRelocations, unapplyRelocations, type Relocation } from './relocations.js';

/** A sample as stored at import time (the database row's digest-relevant fields). */
export interface StoredSampleLike extends DigestInput {
  /** The digest recorded at import. */
  readonly digest: string;
  /** Real path and size recorded at import per media entry (same order; `[]` for samples imported before they were recorded). */
  readonly files?: readonly RealMediaFile[];
}

/** What changed about one sample. */
export interface SampleChange {
  /** Sample id. */
  readonly id: string;
  /** Each difference in words, e.g. `media audio a.wav changed`, `reference changed`. */
  readonly reasons: readonly string[];
}

/** One media file that is not where or what the import recorded. */
export interface FileFinding {
  /** Path as recorded (as the manifest wrote it, or as relocated). */
  readonly path: string;
  /** The real path recorded at import, when it was recorded. */
  readonly recordedRealPath?: string;
  /** The real path the entry resolves to now (moved and changed files). */
  readonly realPath?: string;
  /** Why, in words. */
  readonly detail: string;
  /** Ids of the samples that use it (the first 10). */
  readonly samples: readonly string[];
  /** How many samples use it. */
  readonly sampleCount: number;
}

/** Media files by what happened to them. */
export interface FileFindings {
  /** Same content (sha256 and size) but at another real path than recorded: the media route and runs refuse it until `datasets relocate`. */
  readonly moved: readonly FileFinding[];
  /** No file (or no readable file) at the recorded path. */
  readonly missing: readonly FileFinding[];
  /** A file is there but its bytes differ from import. */
  readonly changed: readonly FileFinding[];
}

/** The outcome of verifying a dataset against its files. */
export interface VerifyReport {
  /** True when nothing changed and nothing moved. */
  readonly ok: boolean;
  /** Samples checked. */
  readonly checked: number;
  /** The digest definition used (the one the dataset recorded). */
  readonly digestVersion: DigestVersion;
  /** Manifest digest at import and now (`null` when the manifest is gone). */
  readonly manifestDigest: { readonly stored: string; readonly current: string | null };
  /** Merkle root at import and recomputed from the current manifest and media (`null` without a manifest). */
  readonly merkleRoot: { readonly stored: string; readonly current: string | null };
  /** Samples whose media content, reference or other fields differ from import, or that left the manifest. */
  readonly changed: readonly SampleChange[];
  /** Ids in the current manifest that were not imported. */
  readonly added: readonly string[];
  /** Media files moved, missing or changed, apart. */
  readonly files: FileFindings;
  /** A problem with the manifest as a whole (missing, invalid), if any. */
  readonly manifestProblem?: string;
}

/** Inputs of {@link verifySamples}. */
export interface VerifyInput {
  /** Dataset root (relative media paths resolve against it). */
  readonly root: string;
  /** Manifest file to compare with; absent to check only media and stored rows. */
  readonly manifestPath?: string | null;
  /** Manifest digest recorded at import. */
  readonly manifestDigest: string;
  /** Merkle root recorded at import. */
  readonly merkleRoot: string;
  /** The digest definition the dataset recorded (default 1: datasets from before versions). */
  readonly digestVersion?: DigestVersion;
  /** Moves recorded since import (`datasets relocate`), oldest first: the manifest's paths are mapped through them. */
  readonly relocations?: readonly Relocation[];
  /** The stored samples. */
  readonly samples: readonly StoredSampleLike[];
  /** Files hashed at once (default 4). */
  readonly concurrency?: number;
  /** Cancels the work. */
  readonly signal?: AbortSignal;
}

const fieldNames = ['task', 'reference', 'question', 'choices', 'answer', 'answers', 'lang', 'tags'] as const;

function fieldValue(s: DigestInput, f: (typeof fieldNames)[number]): string {
  const v = s[f];
  if (f === 'tags') return canonicalJson([...new Set((v as string[] | undefined) ?? [])].sort());
  return canonicalJson(v ?? null);
}

/** A file as found now. */
type Found =
  { readonly realPath: string; readonly sizeBytes: number; readonly sha256: string } | { readonly problem: 'missing' | 'unreadable'; readonly detail: string };

/** Resolves, stats and hashes one file; never throws for file-system problems. */
export async function inspectFile(abs: string, signal?: AbortSignal): Promise<Found> {
  try {
    const real = await realpath(abs);
    const st = await stat(real);
    if (!st.isFile()) return { problem: 'unreadable', detail: 'not a regular file' };
    return { realPath: real, sizeBytes: st.size, sha256: await sha256File(real, signal) };
  } catch (err) {
    if (signal?.aborted) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { problem: 'missing', detail: 'no file there' }
      : { problem: 'unreadable', detail: code ?? (err as Error).message };
  }
}

/**
 * Re-hashes every media file the stored samples name and compares, per
 * sample: the stored row against its own digest (a row edited in the
 * database), the media against their import digests, real paths and sizes,
 * and the current manifest line against the stored fields (reference,
 * question, choices…). Files are reported apart as moved (same content
 * elsewhere), missing or changed. Digests are recomputed by the version the
 * dataset recorded, so datasets imported under version 1 still verify.
 */
export async function verifySamples(input: VerifyInput): Promise<VerifyReport> {
  const version = input.digestVersion ?? 1;
  const relocations = input.relocations ?? [];
  const changes = new Map<string, string[]>();
  const note = (id: string, reason: string): void => {
    const list = changes.get(id) ?? [];
    if (!list.includes(reason)) list.push(reason);
    changes.set(id, list);
  };

  for (const s of input.samples) {
    if (sampleDigest(s, version) !== s.digest) note(s.id, 'stored row no longer matches its digest (edited in the database)');
  }

  let current: ManifestSample[] | undefined;
  let manifestProblem: string | undefined;
  let currentManifestDigest: string | null = null;
  // The manifest's paths mean what they meant at import: relative ones against its folder then, mapped through the moves since.
  const importRoot = unapplyRelocations(input.manifestPath ? dirname(input.manifestPath) : input.root, relocations);
  const manifestAbs = (p: string): string => applyRelocations(resolveManifestPath(importRoot, p), relocations);
  const storedAbs = (p: string): string => resolveManifestPath(input.root, p);
  if (input.manifestPath) {
    try {
      const text = await readFile(input.manifestPath);
      currentManifestDigest = sha256Hex(text);
      current = parseManifestText(text.toString('utf8'), input.manifestPath, dirname(input.manifestPath));
    } catch (err) {
      manifestProblem = (err as Error).message;
    }
  }

  // Hash each distinct file once: the stored paths plus any new ones the manifest names.
  const paths = new Set<string>(input.samples.flatMap((s) => s.media.map((m) => storedAbs(m.path))));
  for (const c of current ?? []) for (const m of mediaEntries(c, () => '')) paths.add(manifestAbs(m.path));
  const found = new Map<string, Found>();
  await mapPool([...paths], input.concurrency ?? 4, async (abs) => {
    input.signal?.throwIfAborted();
    found.set(abs, await inspectFile(abs, input.signal));
  });

  const findings = { moved: new Map<string, FileFinding>(), missing: new Map<string, FileFinding>(), changed: new Map<string, FileFinding>() };
  const addFinding = (kind: keyof typeof findings, key: string, base: Omit<FileFinding, 'samples' | 'sampleCount'>, id: string): void => {
    const prev = findings[kind].get(key);
    const samples = prev ? (prev.samples.length < 10 ? [...prev.samples, id] : prev.samples) : [id];
    findings[kind].set(key, { ...base, samples, sampleCount: (prev?.sampleCount ?? 0) + 1 });
  };
  for (const s of input.samples) {
    s.media.forEach((m, i) => {
      const abs = storedAbs(m.path);
      const now = found.get(abs)!;
      const recorded = s.files?.[i];
      const rec = recorded?.realPath ? { recordedRealPath: recorded.realPath } : {};
      if ('problem' in now) {
        note(s.id, `media ${m.kind} ${m.path} ${now.problem}`);
        addFinding('missing', abs, { path: m.path, ...rec, detail: now.problem === 'missing' ? 'missing' : `unreadable (${now.detail})` }, s.id);
      } else if (now.sha256 !== m.sha256 || (recorded?.realPath && recorded.sizeBytes !== now.sizeBytes)) {
        note(s.id, `media ${m.kind} ${m.path} changed`);
        addFinding('changed', abs, { path: m.path, ...rec, realPath: now.realPath, detail: 'content differs from import (sha256)' }, s.id);
      } else if (recorded?.realPath && recorded.realPath !== now.realPath) {
        addFinding('moved', abs, { path: m.path, ...rec, realPath: now.realPath, detail: 'same content at another real path' }, s.id);
      }
    });
  }

  const added: string[] = [];
  let currentRoot: string | null = null;
  if (current) {
    const stored = new Map(input.samples.map((s) => [s.id, s]));
    const leaves: { id: string; digest: string }[] = [];
    const sha = (p: string): string => {
      const f = found.get(manifestAbs(p));
      return f && !('problem' in f) ? f.sha256 : '';
    };
    // Where and which part of each file, for comparing the manifest with the stored rows (paths as absolute files).
    const placement = (media: readonly MediaEntry[], abs: (p: string) => string): string =>
      canonicalJson(media.map(({ sha256: _, path, ...rest }) => ({ ...rest, file: abs(path) })));
    for (const c of current) {
      const media = mediaEntries(c, sha);
      leaves.push({ id: c.id, digest: digestManifestSample(c, media, version) });
      const s = stored.get(c.id);
      if (!s) {
        added.push(c.id);
        continue;
      }
      const now: DigestInput = { ...c, media };
      for (const f of fieldNames) if (fieldValue(now, f) !== fieldValue(s, f)) note(s.id, `${f} changed in the manifest`);
      if (placement(media, manifestAbs) !== placement(s.media, storedAbs)) note(s.id, 'media paths or segment times changed in the manifest');
    }
    const ids = new Set(current.map((c) => c.id));
    for (const s of input.samples) if (!ids.has(s.id)) note(s.id, 'removed from the manifest');
    currentRoot = merkleRoot(leaves);
  }

  const changed = [...changes].map(([id, reasons]) => ({ id, reasons }));
  const files: FileFindings = {
    moved: [...findings.moved.values()],
    missing: [...findings.missing.values()],
    changed: [...findings.changed.values()],
  };
  const ok =
    changed.length === 0 &&
    added.length === 0 &&
    files.moved.length === 0 &&
    manifestProblem === undefined &&
    (currentManifestDigest === null || currentManifestDigest === input.manifestDigest) &&
    (currentRoot === null || currentRoot === input.merkleRoot);
  return {
    ok,
    checked: input.samples.length,
    digestVersion: version,
    manifestDigest: { stored: input.manifestDigest, current: currentManifestDigest },
    merkleRoot: { stored: input.merkleRoot, current: currentRoot },
    changed,
    added,
    files,
    ...(manifestProblem !== undefined ? { manifestProblem } : {}),
  };
}
