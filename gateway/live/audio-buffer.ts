/**
 * Uncommitted PCM16 audio addressed by absolute stream position (samples since
 * the session began), so VAD boundaries — which arrive late and point back in
 * time — can be cut out exactly. Bounded by the caller (see LiveSession).
 */
export class AudioBuffer {
  #chunks: Int16Array[] = [];
  /** Stream position of the first buffered sample. */
  #start = 0;
  #length = 0;

  /** Stream position of the first buffered sample. */
  get startSample(): number {
    return this.#start;
  }

  /** Stream position just past the last buffered sample. */
  get endSample(): number {
    return this.#start + this.#length;
  }

  /** Buffered samples. */
  get length(): number {
    return this.#length;
  }

  append(chunk: Int16Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Copies [from, to) (absolute positions, clamped to what is buffered). */
  slice(from: number, to: number): Int16Array {
    const a = Math.max(from, this.#start);
    const b = Math.min(to, this.endSample);
    const out = new Int16Array(Math.max(0, b - a));
    let pos = this.#start;
    let off = 0;
    for (const c of this.#chunks) {
      const cs = pos;
      const ce = pos + c.length;
      pos = ce;
      if (ce <= a) continue;
      if (cs >= b) break;
      const s = Math.max(a, cs) - cs;
      const e = Math.min(b, ce) - cs;
      out.set(c.subarray(s, e), off);
      off += e - s;
    }
    return out;
  }

  /** Forgets everything before `position`. */
  dropBefore(position: number): void {
    let drop = Math.min(position, this.endSample) - this.#start;
    while (drop > 0 && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= drop) {
        this.#chunks.shift();
        this.#start += head.length;
        this.#length -= head.length;
        drop -= head.length;
      } else {
        this.#chunks[0] = head.subarray(drop);
        this.#start += drop;
        this.#length -= drop;
        drop = 0;
      }
    }
  }

  /** Takes everything buffered and empties the buffer. */
  takeAll(): Int16Array {
    const out = this.slice(this.#start, this.endSample);
    this.clear();
    return out;
  }

  /** Empties the buffer (the stream position goes on). */
  clear(): void {
    this.#start = this.endSample;
    this.#chunks = [];
    this.#length = 0;
  }
}
