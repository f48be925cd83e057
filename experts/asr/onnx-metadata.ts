import { open } from 'node:fs/promises';

/**
 * Reads ModelProto.metadata_props (field 14) of an ONNX file without parsing
 * the graph: the top-level fields are walked in the protobuf wire format and
 * the (large) graph field is skipped by its length. sherpa-onnx exports put
 * their front-end settings there (feat_dim, normalize_type, model_type…).
 */
export async function readOnnxMetadata(modelPath: string): Promise<Record<string, string>> {
  const fh = await open(modelPath, 'r');
  try {
    const size = (await fh.stat()).size;
    const props: Record<string, string> = {};
    let pos = 0;
    const head = Buffer.alloc(20);
    while (pos < size) {
      const { bytesRead } = await fh.read(head, 0, 20, pos);
      if (bytesRead === 0) break;
      let p = 0;
      const varint = (): number => {
        let v = 0;
        let mul = 1;
        for (;;) {
          if (p >= bytesRead) throw new Error('truncated varint');
          const b = head[p++]!;
          v += (b & 0x7f) * mul;
          if (!(b & 0x80)) return v;
          mul *= 128;
        }
      };
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) {
        varint();
        pos += p;
      } else if (wire === 1) pos += p + 8;
      else if (wire === 5) pos += p + 4;
      else if (wire === 2) {
        const len = varint();
        if (field === 14) {
          const body = Buffer.alloc(len);
          await fh.read(body, 0, len, pos + p);
          const [k, v] = decodeStringPair(body);
          props[k] = v;
        }
        pos += p + len;
      } else break; // groups are not used by ONNX; stop rather than misread
    }
    return props;
  } finally {
    await fh.close();
  }
}

function decodeStringPair(buf: Buffer): [string, string] {
  let p = 0;
  let key = '';
  let value = '';
  while (p < buf.length) {
    const tag = buf[p++]!;
    let len = 0;
    let mul = 1;
    for (;;) {
      const b = buf[p++];
      if (b === undefined) throw new Error('ONNX metadata_props entry is truncated (varint runs past its end)');
      len += (b & 0x7f) * mul;
      if (!(b & 0x80)) break;
      mul *= 128;
    }
    const s = buf.toString('utf8', p, p + len);
    p += len;
    if (tag >> 3 === 1) key = s;
    else if (tag >> 3 === 2) value = s;
  }
  return [key, value];
}
