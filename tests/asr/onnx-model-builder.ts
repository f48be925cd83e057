/**
 * Writes small ONNX models for the loader tests with a hand-rolled protobuf
 * encoder (field numbers from onnx/onnx.proto), so no extra package is needed.
 */

type Bytes = number[];

function varint(out: Bytes, v: number | bigint): void {
  let x = BigInt.asUintN(64, BigInt(v));
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}
function tag(out: Bytes, field: number, wire: number): void {
  varint(out, (field << 3) | wire);
}
function bytesField(out: Bytes, field: number, body: Bytes | Uint8Array): void {
  tag(out, field, 2);
  varint(out, body.length);
  for (const b of body) out.push(b);
}
function stringField(out: Bytes, field: number, s: string): void {
  bytesField(out, field, new TextEncoder().encode(s));
}
function intField(out: Bytes, field: number, v: number): void {
  tag(out, field, 0);
  varint(out, v);
}
function floatField(out: Bytes, field: number, v: number): void {
  tag(out, field, 5);
  out.push(...new Uint8Array(Float32Array.of(v).buffer));
}

const ELEM = { float: 1, int64: 7, bool: 9 } as const;
export type Elem = keyof typeof ELEM;
/** Attribute values: integer → INT, {f} → FLOAT, number[] → INTS, string → STRING. */
export type Attr = number | { f: number } | number[] | string;

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, Attr>>;
}
export interface ValueSpec {
  readonly name: string;
  readonly type: Elem;
  readonly dims: readonly (number | string)[];
}
export interface InitSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}
export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly InitSpec[];
  readonly metadata?: Readonly<Record<string, string>>;
}

export const node = (op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attr>): NodeSpec => ({
  op,
  inputs,
  outputs,
  ...(attrs ? { attrs } : {}),
});
export const value = (name: string, type: Elem, dims: (number | string)[]): ValueSpec => ({ name, type, dims });
export const floats = (name: string, dims: number[], data: ArrayLike<number>): InitSpec => ({ name, dims, data: Float32Array.from(data) });
export const int64s = (name: string, dims: number[], data: number[]): InitSpec => ({ name, dims, data: BigInt64Array.from(data.map(BigInt)) });

function encodeAttr(name: string, a: Attr): Bytes {
  const out: Bytes = [];
  stringField(out, 1, name);
  if (typeof a === 'number') {
    intField(out, 3, a);
    intField(out, 20, 2);
  } else if (typeof a === 'string') {
    stringField(out, 4, a);
    intField(out, 20, 3);
  } else if (Array.isArray(a)) {
    for (const v of a) intField(out, 8, v);
    intField(out, 20, 7);
  } else {
    floatField(out, 2, a.f);
    intField(out, 20, 1);
  }
  return out;
}

function encodeValue(v: ValueSpec): Bytes {
  const shape: Bytes = [];
  for (const d of v.dims) {
    const dim: Bytes = [];
    if (typeof d === 'number') intField(dim, 1, d);
    else stringField(dim, 2, d);
    bytesField(shape, 1, dim);
  }
  const tensorType: Bytes = [];
  intField(tensorType, 1, ELEM[v.type]);
  bytesField(tensorType, 2, shape);
  const type: Bytes = [];
  bytesField(type, 1, tensorType);
  const out: Bytes = [];
  stringField(out, 1, v.name);
  bytesField(out, 2, type);
  return out;
}

function encodeInit(t: InitSpec): Bytes {
  const out: Bytes = [];
  for (const d of t.dims) intField(out, 1, d);
  intField(out, 2, t.data instanceof Float32Array ? ELEM.float : ELEM.int64);
  stringField(out, 8, t.name);
  bytesField(out, 9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return out;
}

/** Serialises a single-graph model (IR 8, default opset 13). */
export function buildOnnxModel(spec: ModelSpec): Uint8Array {
  const graph: Bytes = [];
  spec.nodes.forEach((n, i) => {
    const nb: Bytes = [];
    for (const x of n.inputs) stringField(nb, 1, x);
    for (const x of n.outputs) stringField(nb, 2, x);
    stringField(nb, 3, `n${i}`);
    stringField(nb, 4, n.op);
    for (const [k, a] of Object.entries(n.attrs ?? {})) bytesField(nb, 5, encodeAttr(k, a));
    bytesField(graph, 1, nb);
  });
  stringField(graph, 2, 'test');
  for (const t of spec.initializers ?? []) bytesField(graph, 5, encodeInit(t));
  for (const v of spec.inputs) bytesField(graph, 11, encodeValue(v));
  for (const v of spec.outputs) bytesField(graph, 12, encodeValue(v));
  const model: Bytes = [];
  intField(model, 1, 8);
  stringField(model, 2, 'evalgate-tests');
  bytesField(model, 7, graph);
  const opset: Bytes = [];
  stringField(opset, 1, '');
  intField(opset, 2, 13);
  bytesField(model, 8, opset);
  for (const [k, v] of Object.entries(spec.metadata ?? {})) {
    const kv: Bytes = [];
    stringField(kv, 1, k);
    stringField(kv, 2, v);
    bytesField(model, 14, kv);
  }
  return Uint8Array.from(model);
}
