import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';

/** A column of a test shard, typed the way Hugging Face `datasets` (pyarrow) stores it. */
export type HfColumn =
  | { readonly name: string; readonly kind: 'string'; readonly data: readonly (string | null)[] }
  | { readonly name: string; readonly kind: 'int64' | 'int32'; readonly data: readonly (number | null)[] }
  | { readonly name: string; readonly kind: 'strings'; readonly data: readonly (readonly string[] | null)[] }
  | {
      readonly name: string;
      readonly kind: 'image' | 'audio' | 'video';
      readonly data: readonly ({ readonly bytes: Uint8Array | null; readonly path: string | null } | null)[];
    }
  | { readonly name: string; readonly kind: 'images'; readonly data: readonly (readonly { bytes: Uint8Array | null; path: string | null }[])[] };

/** Options of {@link writeHfShard}. */
export interface HfShardOptions {
  /** Page codec, as `datasets` writes (snappy by default; zstd with `compression="zstd"`). */
  readonly codec?: 'SNAPPY' | 'ZSTD' | 'UNCOMPRESSED';
  /** Rows per row group (`datasets` uses 100 for image/audio tables). */
  readonly rowGroupSize?: number;
  /** Replace the `huggingface` metadata value (or drop it with null), to test shards from other writers. */
  readonly huggingface?: string | null;
}

/** zstd through the system `zstd` tool: hyparquet-writer ships only snappy, and Node 20's zlib has no zstd. */
function zstdCompress(input: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

const utf8 = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } as const;

function feature(c: HfColumn): unknown {
  switch (c.kind) {
    case 'string':
      return { dtype: 'string', _type: 'Value' };
    case 'int64':
    case 'int32':
      return { dtype: c.kind, _type: 'Value' };
    case 'strings':
      return { feature: { dtype: 'string', _type: 'Value' }, _type: 'Sequence' };
    case 'image':
      return { _type: 'Image' };
    case 'images':
      return { feature: { _type: 'Image' }, _type: 'Sequence' };
    case 'audio':
      return { sampling_rate: 16000, _type: 'Audio' };
    case 'video':
      return { _type: 'Video' };
  }
}

function schemaOf(c: HfColumn): Record<string, unknown>[] {
  switch (c.kind) {
    case 'string':
      return [{ name: c.name, ...utf8 }];
    case 'int64':
    case 'int32':
      return [{ name: c.name, type: c.kind.toUpperCase(), repetition_type: 'OPTIONAL' }];
    case 'strings':
      return [
        { name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', ...utf8 },
      ];
    case 'images':
      return [
        { name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'path', ...utf8 },
      ];
    default:
      // Image/Audio/Video: struct<bytes: binary, path: string>; `bytes` has no annotation, which is what hyparquet's utf8 default mangles.
      return [
        { name: c.name, repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'path', ...utf8 },
      ];
  }
}

/**
 * Writes one parquet shard in the layout Hugging Face `datasets` writes:
 * media as `struct{bytes, path}`, sequences as LIST, and the features as JSON
 * under the `huggingface` key of the file metadata.
 */
export function writeHfShard(file: string, columns: readonly HfColumn[], opts: HfShardOptions = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  const features = Object.fromEntries(columns.map((c) => [c.name, feature(c)]));
  const hf = opts.huggingface === undefined ? JSON.stringify({ info: { features } }) : opts.huggingface;
  const schema = [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(schemaOf)];
  parquetWriteFile({
    filename: file,
    columnData: columns.map((c) => ({ name: c.name, data: c.kind === 'int64' ? c.data.map((v) => (v === null ? null : BigInt(v))) : [...c.data] })),
    schema: schema as never,
    codec: opts.codec ?? 'SNAPPY',
    compressors: { ZSTD: zstdCompress },
    rowGroupSize: opts.rowGroupSize ?? 100,
    kvMetadata: hf === null ? [] : [{ key: 'huggingface', value: hf }],
  });
}
