// Dense ids for byte strings, without making a JavaScript string for any of them: the keys are
// copied once, on first sight, into one growable byte store, and looked up in an open-addressing
// table of Int32 slots. `evalgate score`'s ASCII fast path (gateway/score-input/asr-pairs-in-step.ts)
// interns words and sample ids straight out of the file's read buffer with it: on 100k pairs that
// leaves the garbage collector ~200k fewer strings to trace, and no Map of 100k ids to keep alive.

/** FNV-1a offset basis; callers hash a key with {@link fnv1aStep} from it (TokenInterner hashes the same way). */
export const FNV_OFFSET = 0x811c9dc5 | 0;

/** One FNV-1a step: the hash `h` extended by the byte (or code unit) `c`. */
export function fnv1aStep(h: number, c: number): number {
  return Math.imul(h ^ c, 16777619);
}

/** Maps byte strings to ids 0, 1, 2, … in order of first appearance; equal bytes get equal ids. */
export class ByteInterner {
  #store = new Uint8Array(1 << 16);
  #storeLength = 0;
  // per id: where its bytes start in the store, how many, and its hash
  #starts = new Int32Array(1024);
  #lengths = new Int32Array(1024);
  #hashes = new Int32Array(1024);
  #size = 0;
  // slot → id + 1 (0 = empty); a power of two, at most half full
  #table = new Int32Array(2048);

  /** Number of distinct keys seen. */
  get size(): number {
    return this.#size;
  }

  /** The id of `bytes[start, end)`, whose FNV-1a hash (see {@link fnv1aStep}) the caller computed while scanning it. */
  intern(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const len = end - start;
    const table = this.#table;
    const mask = table.length - 1;
    const store = this.#store;
    let slot = hash & mask;
    for (;;) {
      const e = table[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.#hashes[id] === hash && this.#lengths[id] === len) {
        const at = this.#starts[id]!;
        let k = 0;
        while (k < len && store[at + k] === bytes[start + k]) k++;
        if (k === len) return id;
      }
      slot = (slot + 1) & mask;
    }
    return this.#add(bytes, start, end, hash, slot);
  }

  #add(bytes: Uint8Array, start: number, end: number, hash: number, slot: number): number {
    const id = this.#size++;
    const len = end - start;
    if (id === this.#starts.length) {
      this.#starts = grown(this.#starts, id * 2);
      this.#lengths = grown(this.#lengths, id * 2);
      this.#hashes = grown(this.#hashes, id * 2);
    }
    if (this.#storeLength + len > this.#store.length) {
      const store = new Uint8Array(Math.max(this.#store.length * 2, this.#storeLength + len));
      store.set(this.#store.subarray(0, this.#storeLength));
      this.#store = store;
    }
    // a plain loop: keys are short, and subarray() would make a view object per key (a Buffer's costs ~0.2 µs)
    const store = this.#store;
    for (let k = 0, at = this.#storeLength; k < len; k++) store[at + k] = bytes[start + k]!;
    this.#starts[id] = this.#storeLength;
    this.#lengths[id] = len;
    this.#hashes[id] = hash;
    this.#storeLength += len;
    this.#table[slot] = id + 1;
    if (2 * this.#size > this.#table.length) this.#rehash();
    return id;
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    const mask = table.length - 1;
    for (let id = 0; id < this.#size; id++) {
      let slot = this.#hashes[id]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.#table = table;
  }
}

function grown(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
