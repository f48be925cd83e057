import { ManifestError } from '../parse-manifest.js';

/** How a column's media is stored in the manifest: one file, or a list of images. */
export type HfMediaKind = 'image' | 'images' | 'audio' | 'video';

/** A parquet shard's Hugging Face `datasets` features, as far as the importer needs them. */
export interface HfFeatures {
  /** Columns holding embedded media (`struct{bytes, path}`), by column name, in schema order. */
  readonly media: ReadonlyMap<string, HfMediaKind>;
  /** Every top-level feature name, in schema order. */
  readonly columns: readonly string[];
}

type Feature = Record<string, unknown> | Feature[];

const single: Record<string, HfMediaKind> = { Image: 'image', Audio: 'audio', Video: 'video' };

/** The media kind of one feature: Image/Audio/Video, or a list (Sequence, List, `[…]`) of Image. */
function mediaKindOf(feature: Feature): HfMediaKind | undefined {
  if (Array.isArray(feature)) return feature[0] && mediaKindOf(feature[0]) === 'image' ? 'images' : undefined;
  const type = feature._type;
  if (typeof type === 'string' && single[type]) return single[type];
  if ((type === 'Sequence' || type === 'List' || type === 'LargeList') && feature.feature && typeof feature.feature === 'object') {
    return mediaKindOf(feature.feature as Feature) === 'image' ? 'images' : undefined;
  }
  return undefined;
}

/**
 * Reads the `huggingface` key of a parquet file's key-value metadata, which
 * `datasets` writes as JSON `{"info": {"features": {column: feature}}}`. The
 * Image, Audio and Video features are the columns whose struct holds the
 * embedded bytes; everything else is plain data. A shard without the key was
 * not written by `datasets` (or was rewritten by another tool): it is refused,
 * since without it a binary column cannot be told from media.
 */
export function readHfFeatures(file: string, kv: readonly { key: string; value?: string }[] | undefined): HfFeatures {
  const raw = kv?.find((e) => e.key === 'huggingface')?.value;
  if (raw === undefined) {
    throw new ManifestError(file, 0, '(schema)', 'no "huggingface" key in the parquet metadata: not a shard written by Hugging Face datasets');
  }
  let features: unknown;
  try {
    features = (JSON.parse(raw) as { info?: { features?: unknown } }).info?.features;
  } catch (err) {
    throw new ManifestError(file, 0, '(schema)', `the "huggingface" metadata is not JSON (${(err as Error).message})`);
  }
  if (!features || typeof features !== 'object' || Array.isArray(features)) {
    throw new ManifestError(file, 0, '(schema)', 'the "huggingface" metadata has no info.features object');
  }
  const media = new Map<string, HfMediaKind>();
  for (const [name, feature] of Object.entries(features as Record<string, Feature>)) {
    const kind = feature && typeof feature === 'object' ? mediaKindOf(feature) : undefined;
    if (kind) media.set(name, kind);
  }
  return { media, columns: Object.keys(features) };
}
