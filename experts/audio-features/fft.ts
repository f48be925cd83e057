/**
 * A mixed-radix complex FFT for any length (Whisper needs 400 = 2⁴·5², Kaldi
 * and NeMo front ends 512). Plans are built once per length and reused; the
 * transform is the classic recursive decimation in time with a generic
 * butterfly for each prime factor.
 */

/** A reusable FFT of one length. */
export class Fft {
  /** Transform length. */
  readonly size: number;
  readonly #factors: number[];
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #scratchRe: Float64Array;
  readonly #scratchIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer (got ${size})`);
    this.size = size;
    this.#factors = [];
    let n = size;
    for (const p of [4, 2, 3, 5]) {
      while (n % p === 0) {
        this.#factors.push(p);
        n /= p;
      }
    }
    for (let p = 7; n > 1; p += 2) {
      while (n % p === 0) {
        this.#factors.push(p);
        n /= p;
      }
    }
    this.#cos = new Float64Array(size);
    this.#sin = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      this.#cos[k] = Math.cos((-2 * Math.PI * k) / size);
      this.#sin[k] = Math.sin((-2 * Math.PI * k) / size);
    }
    this.#scratchRe = new Float64Array(Math.max(...this.#factors, 1));
    this.#scratchIm = new Float64Array(Math.max(...this.#factors, 1));
  }

  /** Forward transform of (inRe, inIm) into (outRe, outIm); the arrays must not alias. */
  transform(inRe: Float64Array, inIm: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    // Checked once here so that the recursion's indexed reads (all < size) stay unchecked.
    const short = Math.min(inRe.length, inIm.length, outRe.length, outIm.length);
    if (short < this.size) throw new RangeError(`FFT of size ${this.size} needs arrays of that length (got ${short})`);
    this.#work(outRe, outIm, 0, inRe, inIm, 0, 1, 0);
  }

  /**
   * |X[k]|² for k = 0..size/2 of a real frame. `re`/`im` are caller-owned
   * scratch of length `size` so that no frame allocates.
   */
  powerSpectrum(frame: Float64Array, power: Float64Array, scratch: FftScratch): void {
    if (power.length <= this.size >> 1) throw new RangeError(`power spectrum needs ${(this.size >> 1) + 1} bins (got ${power.length})`);
    scratch.im.fill(0);
    this.transform(frame, scratch.im, scratch.outRe, scratch.outIm);
    const half = this.size >> 1;
    for (let k = 0; k <= half; k++) {
      const r = scratch.outRe[k]!;
      const i = scratch.outIm[k]!;
      power[k] = r * r + i * i;
    }
  }

  /** Allocates scratch for powerSpectrum. */
  createScratch(): FftScratch {
    return { im: new Float64Array(this.size), outRe: new Float64Array(this.size), outIm: new Float64Array(this.size) };
  }

  #work(outRe: Float64Array, outIm: Float64Array, outOff: number, inRe: Float64Array, inIm: Float64Array, inOff: number, stride: number, level: number): void {
    const p = this.#factors[level];
    if (p === undefined) {
      outRe[outOff] = inRe[inOff]!;
      outIm[outOff] = inIm[inOff]!;
      return;
    }
    const n = this.size / stride;
    const m = n / p;
    // p sub-transforms of length m over the decimated inputs, stored contiguously.
    for (let q = 0; q < p; q++) {
      this.#work(outRe, outIm, outOff + q * m, inRe, inIm, inOff + q * stride, stride * p, level + 1);
    }
    const sRe = this.#scratchRe;
    const sIm = this.#scratchIm;
    const size = this.size;
    for (let k = 0; k < m; k++) {
      // Twiddled inputs of this butterfly.
      for (let q = 0; q < p; q++) {
        const idx = outOff + q * m + k;
        const tw = (q * k * stride) % size;
        const c = this.#cos[tw]!;
        const s = this.#sin[tw]!;
        const r = outRe[idx]!;
        const i = outIm[idx]!;
        sRe[q] = r * c - i * s;
        sIm[q] = r * s + i * c;
      }
      for (let u = 0; u < p; u++) {
        let accRe = 0;
        let accIm = 0;
        for (let q = 0; q < p; q++) {
          const tw = (q * u * m * stride) % size;
          const c = this.#cos[tw]!;
          const s = this.#sin[tw]!;
          accRe += sRe[q]! * c - sIm[q]! * s;
          accIm += sRe[q]! * s + sIm[q]! * c;
        }
        outRe[outOff + u * m + k] = accRe;
        outIm[outOff + u * m + k] = accIm;
      }
    }
  }
}

/** Per-caller buffers for Fft.powerSpectrum. */
export interface FftScratch {
  /** Imaginary input (zeros). */
  readonly im: Float64Array;
  /** Real output. */
  readonly outRe: Float64Array;
  /** Imaginary output. */
  readonly outIm: Float64Array;
}
