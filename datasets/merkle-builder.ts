import { createHash } from 'node:crypto';
import { sha256Hex } from './dataset-digest.js';

/**
 * The Merkle root of dataset-digest.ts's {@link merkleRoot}, computed from
 * leaves fed one at a time, already in its order (sample ids by UTF-8 bytes;
 * the streaming import reads them back from the database `ORDER BY sample_key
 * COLLATE "C"`, which compares the same bytes). It holds one hash per level
 * (about log2 n), not the n leaves.
 *
 * Why this is the same tree: merkleRoot pairs nodes left to right level by
 * level and promotes an odd last node unchanged. Every complete pair at a level
 * covers an aligned block of 2^k leaves, so the tree is the sequence of perfect
 * subtrees a binary counter builds (push a leaf, merge while the two newest
 * have equal height), and the promoted leftovers join from the right at the
 * end: root = H(s1, H(s2, … H(s_{m-1}, s_m))) for the stack s1 (tallest) … s_m.
 */
export class MerkleBuilder {
  readonly #stack: { height: number; hash: Buffer }[] = [];
  #lastId: Buffer | undefined;
  #count = 0;

  /** Adds the next leaf; ids must come in strictly increasing UTF-8 byte order. */
  add(id: string, digestHex: string): void {
    const idBytes = Buffer.from(id, 'utf8');
    if (this.#lastId && Buffer.compare(this.#lastId, idBytes) >= 0) {
      throw new Error(`MerkleBuilder: leaf "${id}" does not sort after the previous one`);
    }
    this.#lastId = idBytes;
    this.#count++;
    let node: { height: number; hash: Buffer } = {
      height: 0,
      hash: createHash('sha256')
        .update(Buffer.from([0]))
        .update(Buffer.from(digestHex, 'hex'))
        .digest(),
    };
    for (let top = this.#stack.at(-1); top && top.height === node.height; top = this.#stack.at(-1)) {
      this.#stack.pop();
      node = { height: node.height + 1, hash: parent(top.hash, node.hash) };
    }
    this.#stack.push(node);
  }

  /** Leaves added. */
  get count(): number {
    return this.#count;
  }

  /** The root over the leaves added so far (sha256 of the empty string for none). */
  root(): string {
    if (this.#stack.length === 0) return sha256Hex('');
    let acc = this.#stack[this.#stack.length - 1]!.hash;
    for (let i = this.#stack.length - 2; i >= 0; i--) acc = parent(this.#stack[i]!.hash, acc);
    return acc.toString('hex');
  }
}

function parent(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}
