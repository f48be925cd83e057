import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, merkleRoot, sampleDigest, sha256Hex } from '../../datasets/dataset-digest.js';

const h = (...parts: Buffer[]): Buffer => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest();
};
const leaf = (hex: string): Buffer => h(Buffer.from([0]), Buffer.from(hex, 'hex'));
const node = (l: Buffer, r: Buffer): Buffer => h(Buffer.from([1]), l, r);

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: 'x' }, z: undefined })).toBe('{"a":{"c":"x","d":[3,1]},"b":1}');
    expect(canonicalJson('广州')).toBe('"广州"');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});

describe('sampleDigest', () => {
  const medium = { kind: 'audio' as const, path: 'a.wav', sha256: 'ab'.repeat(32) };
  const base = { id: 's1', task: 'asr', media: [medium], reference: 'hello', tags: ['x', 'y'] };

  it('is the sha256 of the canonical JSON of the documented fields', () => {
    const expected = sha256Hex(
      '{"id":"s1","media":[{"kind":"audio","path":"a.wav","sha256":"' + 'ab'.repeat(32) + '"}],"reference":"hello","tags":["x","y"],"task":"asr"}',
    );
    expect(sampleDigest(base)).toBe(expected);
  });

  it('ignores tag order and null fields, but not the reference, media digest or segment', () => {
    const d = sampleDigest(base);
    expect(sampleDigest({ ...base, tags: ['y', 'x', 'x'], question: null, lang: undefined })).toBe(d);
    expect(sampleDigest({ ...base, reference: 'hello.' })).not.toBe(d);
    expect(sampleDigest({ ...base, media: [{ ...medium, sha256: 'ac'.repeat(32) }] })).not.toBe(d);
    expect(sampleDigest({ ...base, media: [{ ...medium, start_s: 1.5, end_s: 2 }] })).not.toBe(d);
  });
});

describe('merkleRoot', () => {
  const d = (c: string): string => c.repeat(64);

  it('of nothing is sha256 of the empty string; of one sample is its leaf hash', () => {
    expect(merkleRoot([])).toBe(createHash('sha256').digest('hex'));
    expect(merkleRoot([{ id: 'a', digest: d('1') }])).toBe(leaf(d('1')).toString('hex'));
  });

  it('orders leaves by id, pairs left to right and promotes the odd node', () => {
    const c = { id: 'c', digest: d('3') };
    const a = { id: 'a', digest: d('1') };
    const leaves = [c, a, { id: 'b', digest: d('2') }];
    const expected = node(node(leaf(d('1')), leaf(d('2'))), leaf(d('3'))).toString('hex');
    expect(merkleRoot(leaves)).toBe(expected);
    // Input order does not matter; content does.
    expect(merkleRoot([...leaves].reverse())).toBe(expected);
    expect(merkleRoot([c, a, { id: 'b', digest: d('4') }])).not.toBe(expected);
  });

  it('compares ids by UTF-8 bytes', () => {
    const a = { id: '\uFF5E', digest: d('1') };
    const b = { id: '\u{1F600}', digest: d('2') };
    // UTF-8: EF BD 9E < F0 9F 98 80, so a comes first, although UTF-16 (D83D…) would put b first.
    expect(merkleRoot([b, a])).toBe(node(leaf(d('1')), leaf(d('2'))).toString('hex'));
  });
});
