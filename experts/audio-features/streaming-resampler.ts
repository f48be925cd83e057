/**
 * Band-limited sample-rate conversion by a polyphase windowed-sinc filter
 * (Kaiser window). It streams: push chunks of any size and get the output
 * that is already determined; `flush()` returns the tail. Batch conversion is
 * the same object with a single push, so both paths give identical samples.
 */

/** Zero crossings of the sinc kept on each side, at the filter's cut-off. */
const ZERO_CROSSINGS = 16;
/** Kaiser β: about 80 dB stop-band attenuation. */
const KAISER_BETA = 8.6;
/** Above this many phases the fractional delay is rounded to the nearest of this many. */
const MAX_PHASES = 4096;
/** Cut-off as a fraction of the lower Nyquist frequency; leaves room for the transition band. */
const ROLLOFF = 0.945;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** Converts a stream of mono samples from one integer rate to another. */
export class StreamingResampler {
  /** Input rate. */
  readonly fromHz: number;
  /** Output rate. */
  readonly toHz: number;
  readonly #up: number;
  readonly #down: number;
  readonly #phases: number;
  readonly #half: number;
  readonly #taps: Float32Array;
  /** Pending input; `#buf[0]` is absolute input index `#bufStart`. */
  #buf: Float32Array;
  #bufLen = 0;
  #bufStart: number;
  #inTotal = 0;
  #outNext = 0;

  constructor(fromHz: number, toHz: number) {
    if (!Number.isInteger(fromHz) || !Number.isInteger(toHz) || fromHz <= 0 || toHz <= 0) {
      throw new RangeError(`Sample rates must be positive integers (got ${fromHz} → ${toHz})`);
    }
    this.fromHz = fromHz;
    this.toHz = toHz;
    const g = gcd(fromHz, toHz);
    this.#up = toHz / g;
    this.#down = fromHz / g;
    this.#phases = Math.min(this.#up, MAX_PHASES);
    const cutoff = Math.min(1, this.#up / this.#down) * ROLLOFF;
    this.#half = Math.ceil(ZERO_CROSSINGS / cutoff);
    const width = 2 * this.#half;
    this.#taps = new Float32Array(this.#phases * width);
    const i0Beta = besselI0(KAISER_BETA);
    for (let p = 0; p < this.#phases; p++) {
      const frac = p / this.#phases;
      let sum = 0;
      for (let j = 0; j < width; j++) {
        // Tap j multiplies input k - half + 1 + j; its distance from the output instant k + frac.
        const d = j - this.#half + 1 - frac;
        const x = cutoff * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = d / this.#half;
        const win = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
        const v = sinc * win;
        this.#taps[p * width + j] = v;
        sum += v;
      }
      // Unit DC gain for every phase, so a constant input stays constant.
      for (let j = 0; j < width; j++) this.#taps[p * width + j]! /= sum;
    }
    // Zeros stand in for the samples before the stream starts.
    this.#bufStart = -this.#half;
    this.#buf = new Float32Array(4096 + width);
    this.#bufLen = this.#half;
  }

  /** Input samples the filter must see after an output instant before it can emit it. */
  get latencyInputSamples(): number {
    return this.#half;
  }

  /** Feeds input and returns every output sample now fully determined. */
  push(input: Float32Array): Float32Array {
    if (this.fromHz === this.toHz) {
      this.#inTotal += input.length;
      return input.slice();
    }
    this.#append(input);
    this.#inTotal += input.length;
    return this.#drain(this.#bufStart + this.#bufLen);
  }

  /** Ends the stream: returns the remaining output (total output = ceil(input × to / from)). */
  flush(): Float32Array {
    if (this.fromHz === this.toHz) return new Float32Array(0);
    this.#append(new Float32Array(this.#half + 2));
    const total = Math.ceil((this.#inTotal * this.#up) / this.#down);
    const out = this.#drain(this.#bufStart + this.#bufLen, total);
    return out;
  }

  /** Forgets all input, as if newly constructed. */
  reset(): void {
    this.#bufStart = -this.#half;
    this.#buf.fill(0, 0, this.#half);
    this.#bufLen = this.#half;
    this.#inTotal = 0;
    this.#outNext = 0;
  }

  #append(input: Float32Array): void {
    if (this.#bufLen + input.length > this.#buf.length) {
      const grown = new Float32Array(Math.max(this.#buf.length * 2, this.#bufLen + input.length));
      grown.set(this.#buf.subarray(0, this.#bufLen));
      this.#buf = grown;
    }
    this.#buf.set(input, this.#bufLen);
    this.#bufLen += input.length;
  }

  #drain(availableEnd: number, limit = Number.POSITIVE_INFINITY): Float32Array {
    const width = 2 * this.#half;
    const up = this.#up;
    const down = this.#down;
    // Output n sits at input time n·down/up; it reads inputs up to floor(that) + half + 1
    // (one more when the phase is rounded up to the next input sample).
    let last = Math.floor(((availableEnd - this.#half) * up) / down);
    while (last >= 0 && Math.floor((last * down) / up) + this.#half + 2 > availableEnd) last--;
    const count = Math.max(0, Math.min(last + 1, limit) - this.#outNext);
    const out = new Float32Array(count);
    const buf = this.#buf;
    const taps = this.#taps;
    const phases = this.#phases;
    for (let i = 0; i < count; i++) {
      const n = this.#outNext + i;
      const pos = n * down;
      const k = Math.floor(pos / up);
      const rem = pos - k * up;
      const p = phases === up ? rem : Math.round((rem * phases) / up) % phases;
      const kk = p === 0 && rem !== 0 ? k + 1 : k;
      const base = kk - this.#half + 1 - this.#bufStart;
      const t = p * width;
      let acc = 0;
      for (let j = 0; j < width; j++) acc += buf[base + j]! * taps[t + j]!;
      out[i] = acc;
    }
    this.#outNext += count;
    // Drop input no future output can reach.
    const nextK = Math.floor((this.#outNext * down) / up);
    const keepFrom = Math.max(0, nextK - this.#half - this.#bufStart);
    if (keepFrom > 0) {
      buf.copyWithin(0, keepFrom, this.#bufLen);
      this.#bufLen -= keepFrom;
      this.#bufStart += keepFrom;
    }
    return out;
  }
}

/** Resamples a whole buffer (same filter as the streaming path). */
export function resample(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  if (fromHz === toHz) return samples;
  const r = new StreamingResampler(fromHz, toHz);
  const head = r.push(samples);
  const tail = r.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
