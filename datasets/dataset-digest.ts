import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

// Content digests of a dataset. The definitions here are the contract written
// down in docs/datasets.md ("Digests"); anyone can recompute them from the
// manifest and the media with sha256sum and a JSON library, so change them only
// together with that document. A change is a new version: each dataset records
// the version its digests were computed with, and every version stays
// computable so digests recorded under an older one still verify.

/**
 * Digest definitions. 1: a media entry covers its manifest path (so moving a
 * corpus changed the digest); 2: a media entry covers its content only (kind,
 * sha256, segment times), so the same files anywhere give the same digest.
 */
export type DigestVersion = 1 | 2;

/** The version new imports record. */
export const CURRENT_DIGEST_VERSION: DigestVersion = 2;

/** Narrows a stored value to a known digest version (rows from before versioning are 1). */
export function digestVersionOf(v: unknown): DigestVersion {
  if (v === undefined || v === null || v === 1) return 1;
  if (v === 2) return 2;
  throw new Error(`unknown dataset digest version ${String(v)}`);
}

/** Kind of a media entry; `images` marks an element of a manifest `images` list. */
export type MediaKind = 'audio' | 'image' | 'images' | 'video';

/** One media file of a sample with its content digest. */
export interface MediaEntry {
  /** Which manifest field the path came from. */
  readonly kind: MediaKind;
  /** Path as written in the manifest: relative to the manifest's folder, or absolute. */
  readonly path: string;
  /** sha256 of the file bytes, lower-case hex. */
  readonly sha256: string;
  /** Segment start within the file, seconds (Kaldi `segments`). */
  readonly start_s?: number;
  /** Segment end within the file, seconds. */
  readonly end_s?: number;
}

/** The fields of a sample that its digest covers. */
export interface DigestInput {
  /** Sample id. */
  readonly id: string;
  /** Task. */
  readonly task: string;
  /** Media in manifest order (audio, image, images…, video). */
  readonly media: readonly MediaEntry[];
  /** Reference text(s). */
  readonly reference?: string | readonly string[] | null;
  /** Question. */
  readonly question?: string | null;
  /** Multiple-choice options. */
  readonly choices?: readonly string[] | null;
  /** Correct option letter. */
  readonly answer?: string | null;
  /** vqa: the human answers (in the digest only when present, so digests of samples without them are unchanged). */
  readonly answers?: readonly string[] | null;
  /** Language code. */
  readonly lang?: string | null;
  /** Capability tags (a set: order does not affect the digest). */
  readonly tags?: readonly string[];
}

/** sha256 of a string (UTF-8) or bytes, lower-case hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file's bytes, streamed, lower-case hex. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (JavaScript's default
 * sort, which equals code-point order for the ASCII keys used here), no
 * whitespace, `undefined` members dropped, strings and numbers as
 * `JSON.stringify` writes them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`canonicalJson: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * The object whose canonical JSON is hashed for a sample. Null or absent
 * optional fields are omitted, tags are sorted and de-duplicated, and a media
 * entry keeps `start_s`/`end_s` only when set. Derived measurements such as
 * the probed duration are left out: they depend on the ffprobe version, not on
 * the content. Version 1 (the default, so callers written before versions
 * keep computing what they recorded) includes each media entry's path;
 * version 2 leaves it out.
 */
export function canonicalSample(s: DigestInput, version: DigestVersion = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: s.id,
    task: s.task,
    media: s.media.map((m) => ({
      kind: m.kind,
      ...(version === 1 ? { path: m.path } : {}),
      sha256: m.sha256,
      ...(m.start_s !== undefined ? { start_s: m.start_s } : {}),
      ...(m.end_s !== undefined ? { end_s: m.end_s } : {}),
    })),
    tags: [...new Set(s.tags ?? [])].sort(),
  };
  if (s.reference != null) out.reference = s.reference;
  if (s.question != null) out.question = s.question;
  if (s.choices != null) out.choices = s.choices;
  if (s.answer != null) out.answer = s.answer;
  if (s.answers != null) out.answers = s.answers;
  if (s.lang != null) out.lang = s.lang;
  return out;
}

/** sha256 (hex) of the canonical JSON of a sample, by digest version (default 1). */
export function sampleDigest(s: DigestInput, version: DigestVersion = 1): string {
  return sha256Hex(canonicalJson(canonicalSample(s, version)));
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Merkle root over sample digests (RFC 6962 style, with domain separation so a
 * leaf can never pass for an inner node):
 * - leaves are ordered by sample id, comparing the ids' UTF-8 bytes;
 * - leaf hash = sha256(0x00 ‖ sample digest as 32 raw bytes);
 * - parent = sha256(0x01 ‖ left ‖ right); pairs are taken left to right and an
 *   odd last node is promoted to the next level unchanged;
 * - the root of no samples is sha256 of the empty string.
 */
export function merkleRoot(leaves: readonly { readonly id: string; readonly digest: string }[]): string {
  if (leaves.length === 0) return sha256Hex('');
  let level: Buffer[] = [...leaves]
    .sort((a, b) => compareUtf8(a.id, b.id))
    .map((l) =>
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(Buffer.from(l.digest, 'hex'))
        .digest(),
    );
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      next.push(
        right
          ? createHash('sha256')
              .update(Buffer.from([1]))
              .update(left)
              .update(right)
              .digest()
          : left,
      );
    }
    level = next;
  }
  return level[0]!.toString('hex');
}
