/**
 * The model's channel as the user hears it. Realtime upstreams send audio
 * faster than it plays; a client queues it and plays it in order, so a chunk
 * sounds from its arrival or from the end of the audio queued before it,
 * whichever is later. When the upstream says the user started speaking, the
 * client stops playback there and drops what was queued (OpenAI's realtime
 * clients do this on `input_audio_buffer.speech_started`): audio that keeps
 * arriving afterwards is played again, so a model that talks on through a
 * barge-in is heard doing so.
 */
export class PlaybackTimeline {
  readonly #segments: { startS: number; pcm: Int16Array }[] = [];
  #endS = 0;

  constructor(
    /** Sample rate of the audio added. */
    readonly rateHz: number,
  ) {
    if (!(rateHz > 0)) throw new RangeError(`rateHz must be positive, got ${rateHz}`);
  }

  /** Queues audio that arrived at `arrivalS` (seconds on the scenario's clock). */
  add(arrivalS: number, pcm: Int16Array): void {
    if (pcm.length === 0) return;
    const startS = Math.max(arrivalS, this.#endS);
    this.#segments.push({ startS, pcm });
    this.#endS = startS + pcm.length / this.rateHz;
  }

  /** Playback stops at `atS`: queued audio after it is dropped. */
  interrupt(atS: number): void {
    if (this.#endS <= atS) return;
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const seg = this.#segments[i]!;
      if (seg.startS >= atS) this.#segments.splice(i, 1);
      else {
        const keep = Math.max(0, Math.round((atS - seg.startS) * this.rateHz));
        if (keep < seg.pcm.length) this.#segments[i] = { startS: seg.startS, pcm: seg.pcm.subarray(0, keep) };
        break;
      }
    }
    this.#endS = atS;
  }

  /** When the last queued audio ends, s (0 before any). */
  get endS(): number {
    return this.#endS;
  }

  /** When the first audio sounds, s; null when none was played. */
  get firstAudioS(): number | null {
    const first = this.#segments.find((s) => s.pcm.length > 0);
    return first ? first.startS : null;
  }

  /** Seconds of audio that sound. */
  get audioS(): number {
    return this.#segments.reduce((a, s) => a + s.pcm.length, 0) / this.rateHz;
  }

  /** What sounds, as [start s, length s] per stretch in order (stored with each recording). */
  get segments(): Array<[number, number]> {
    return this.#segments
      .filter((s) => s.pcm.length > 0)
      .map((s) => [Math.round(s.startS * 1000) / 1000, Math.round((s.pcm.length / this.rateHz) * 1000) / 1000]);
  }

  /** The channel as PCM16 from time 0, at least `minSeconds` long (silence where nothing plays). */
  render(minSeconds: number): Int16Array {
    const out = new Int16Array(Math.ceil(Math.max(minSeconds, this.#endS) * this.rateHz));
    for (const seg of this.#segments) {
      const at = Math.round(seg.startS * this.rateHz);
      out.set(seg.pcm.subarray(0, Math.max(0, out.length - at)), at);
    }
    return out;
  }
}
