import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { canonicalJson, merkleRoot, sampleDigest, sha256File, sha256Hex, type DigestInput } from './dataset-digest.js';
import type { ManifestSample } from './manifest-schema.js';
import { parseManifestText, resolveMediaPath } from './parse-manifest.js';
import { checkReadable, digestManifestSample, mapPool, mediaEntries, mediaRefs } from './prepare-dataset.js';

/** A sample as stored at import time (the database row's digest-relevant fields). */
export interface StoredSampleLike extends DigestInput {
  /** The digest recorded at import. */
  readonly digest: string;
}

/** What changed about one sample. */
export interface SampleChange {
  /** Sample id. */
  readonly id: string;
  /** Each difference in words, e.g. `media audio a.wav changed`, `reference changed`. */
  readonly reasons: readonly string[];
}

/** The outcome of verifying a dataset against its files. */
export interface VerifyReport {
  /** True when nothing changed. */
  readonly ok: boolean;
  /** Samples checked. */
  readonly checked: number;
  /** Manifest digest at import and now (`null` when the manifest is gone). */
  readonly manifestDigest: { readonly stored: string; readonly current: string | null };
  /** Merkle root at import and recomputed from the current manifest and media (`null` without a manifest). */
  readonly merkleRoot: { readonly stored: string; readonly current: string | null };
  /** Samples whose media, reference or other fields differ from import, or that left the manifest. */
  readonly changed: readonly SampleChange[];
  /** Ids in the current manifest that were not imported. */
  readonly added: readonly string[];
  /** A problem with the manifest as a whole (missing, invalid), if any. */
  readonly manifestProblem?: string;
}

/** Inputs of {@link verifySamples}. */
export interface VerifyInput {
  /** Dataset root (media paths are relative to it). */
  readonly root: string;
  /** Manifest file to compare with; absent to check only media and stored rows. */
  readonly manifestPath?: string | null;
  /** Manifest digest recorded at import. */
  readonly manifestDigest: string;
  /** Merkle root recorded at import. */
  readonly merkleRoot: string;
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

/**
 * Re-hashes every media file the stored samples name and compares, per
 * sample: the stored row against its own digest (a row edited in the
 * database), the media bytes against their import digests, and the current
 * manifest line against the stored fields (reference, question, choices…).
 */
export async function verifySamples(input: VerifyInput): Promise<VerifyReport> {
  const changes = new Map<string, string[]>();
  const note = (id: string, reason: string): void => {
    const list = changes.get(id) ?? [];
    if (!list.includes(reason)) list.push(reason);
    changes.set(id, list);
  };

  for (const s of input.samples) {
    if (sampleDigest(s) !== s.digest) note(s.id, 'stored row no longer matches its digest (edited in the database)');
  }

  // Hash each distinct file once: the stored paths plus any new ones the manifest names.
  let current: ManifestSample[] | undefined;
  let manifestProblem: string | undefined;
  let currentManifestDigest: string | null = null;
  if (input.manifestPath) {
    try {
      const text = await readFile(input.manifestPath);
      currentManifestDigest = sha256Hex(text);
      current = parseManifestText(text.toString('utf8'), input.manifestPath, dirname(input.manifestPath));
    } catch (err) {
      manifestProblem = (err as Error).message;
    }
  }
  const paths = new Set<string>(input.samples.flatMap((s) => s.media.map((m) => m.path)));
  for (const s of current ?? []) for (const m of mediaRefs(s)) paths.add(m.path);
  const digests = new Map<string, string>();
  const problems = new Map<string, string>();
  await mapPool([...paths], input.concurrency ?? 4, async (p) => {
    input.signal?.throwIfAborted();
    const abs = resolveMediaPath(input.root, p);
    if (!abs) {
      problems.set(p, 'escapes the dataset root');
      return;
    }
    const bad = await checkReadable(abs);
    if (bad) problems.set(p, bad.problem);
    else digests.set(p, await sha256File(abs, input.signal));
  });

  for (const s of input.samples) {
    for (const m of s.media) {
      const problem = problems.get(m.path);
      if (problem) note(s.id, `media ${m.kind} ${m.path} ${problem}`);
      else if (digests.get(m.path) !== m.sha256) note(s.id, `media ${m.kind} ${m.path} changed`);
    }
  }

  const added: string[] = [];
  let currentRoot: string | null = null;
  if (current) {
    const stored = new Map(input.samples.map((s) => [s.id, s]));
    const leaves: { id: string; digest: string }[] = [];
    for (const c of current) {
      const media = mediaEntries(c, (p) => digests.get(p) ?? '');
      leaves.push({ id: c.id, digest: digestManifestSample(c, media) });
      const s = stored.get(c.id);
      if (!s) {
        added.push(c.id);
        continue;
      }
      const now: DigestInput = { ...c, media };
      for (const f of fieldNames) if (fieldValue(now, f) !== fieldValue(s, f)) note(s.id, `${f} changed in the manifest`);
      if (canonicalJson(media.map(({ sha256: _, ...rest }) => rest)) !== canonicalJson(s.media.map(({ sha256: _, ...rest }) => rest))) {
        note(s.id, 'media paths or segment times changed in the manifest');
      }
    }
    const ids = new Set(current.map((c) => c.id));
    for (const s of input.samples) if (!ids.has(s.id)) note(s.id, 'removed from the manifest');
    currentRoot = merkleRoot(leaves);
  }

  const changed = [...changes].map(([id, reasons]) => ({ id, reasons }));
  const ok =
    changed.length === 0 &&
    added.length === 0 &&
    manifestProblem === undefined &&
    (currentManifestDigest === null || currentManifestDigest === input.manifestDigest) &&
    (currentRoot === null || currentRoot === input.merkleRoot);
  return {
    ok,
    checked: input.samples.length,
    manifestDigest: { stored: input.manifestDigest, current: currentManifestDigest },
    merkleRoot: { stored: input.merkleRoot, current: currentRoot },
    changed,
    added,
    ...(manifestProblem !== undefined ? { manifestProblem } : {}),
  };
}
