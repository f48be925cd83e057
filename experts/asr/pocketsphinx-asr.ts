import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resample } from '../audio-features/streaming-resampler.js';
import { encodeWav16 } from '../audio-features/wav-file.js';
import { AsrModelError, throwIfAborted, type AsrEngine, type AsrResult, type TimedAsrResult, type TimedAsrWord, type TranscribeOptions } from './asr-engine.js';

/**
 * CMU pocketsphinx through Debian's `pocketsphinx_continuous` (0.8+5prealpha,
 * packages `pocketsphinx` + `pocketsphinx-en-us`). It is the one ASR that runs
 * here without user-supplied weights; its accuracy is far below Whisper's and
 * it knows US English only (unless given other -hmm/-lm/-dict files). Each
 * call writes a 16-kHz 16-bit mono WAV to a temporary folder and runs one
 * process; each recognised utterance comes back as one stdout line.
 *
 * With `-time yes` each utterance line is followed by one line per segment,
 * `word start end posterior` in seconds from the start of the file (10-ms
 * frames; `end` is the start of the segment's last frame), e.g.
 * `the(2) 1.650 1.940 0.121548`. Segments include the utterance markers
 * `<s>`/`</s>`, `<sil>`, noise fillers and `(2)` alternate pronunciations.
 */

/** Options of the pocketsphinx engine. */
export interface PocketsphinxOptions {
  /** The executable (default `pocketsphinx_continuous` on PATH). */
  readonly binary?: string;
  /** Extra arguments, e.g. ['-hmm', dir, '-lm', file, '-dict', file] for another language. */
  readonly extraArgs?: readonly string[];
  /** Requested language; only English works with the Debian model. */
  readonly language?: string;
}

const INSTALL_HELP = 'install it with `apt-get install pocketsphinx pocketsphinx-en-us` (Debian/Ubuntu)';

/** pocketsphinx as an AsrEngine. */
export class PocketsphinxAsr implements AsrEngine {
  readonly kind = 'pocketsphinx' as const;
  readonly #binary: string;
  readonly #extraArgs: readonly string[];

  constructor(opts: PocketsphinxOptions = {}) {
    if (opts.language && !/^en/i.test(opts.language) && !opts.extraArgs?.length) {
      throw new AsrModelError('pocketsphinx', `only the US English model is installed; language "${opts.language}" needs -hmm/-lm/-dict in extraArgs`);
    }
    this.#binary = opts.binary ?? 'pocketsphinx_continuous';
    this.#extraArgs = opts.extraArgs ?? [];
  }

  async transcribe(samples: Float32Array, sampleRateHz: number, opts: TranscribeOptions = {}): Promise<AsrResult> {
    const stdout = await this.#decode(samples, sampleRateHz, [], opts.signal);
    return { text: joinLines(stdout.split(/\r?\n/)), language: 'en' };
  }

  /** Words with onset and offset, from the decoder's own segmentation (`-time yes`). */
  async transcribeWords(samples: Float32Array, sampleRateHz: number, opts: TranscribeOptions = {}): Promise<TimedAsrResult> {
    const stdout = await this.#decode(samples, sampleRateHz, ['-time', 'yes'], opts.signal);
    const hypotheses: string[] = [];
    const words: TimedAsrWord[] = [];
    for (const line of stdout.split(/\r?\n/)) {
      const segment = parseSegmentLine(line);
      if (!segment) hypotheses.push(line);
      // The printed end is the start of the word's last frame; the word ends one frame later.
      else if (!isFiller(segment.word))
        words.push({ text: segment.word.replace(/\(\d+\)$/, ''), startS: segment.startS, endS: roundMs(segment.endS + FRAME_S) });
    }
    return { text: joinLines(hypotheses), words, language: 'en' };
  }

  async #decode(samples: Float32Array, sampleRateHz: number, args: string[], signal: AbortSignal | undefined): Promise<string> {
    throwIfAborted(signal);
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-ps-'));
    try {
      const wav = join(dir, 'input.wav');
      await writeFile(wav, encodeWav16(resample(samples, sampleRateHz, 16000), 16000));
      return await this.#run(['-infile', wav, '-logfn', '/dev/null', ...args, ...this.#extraArgs], signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #run(args: string[], signal: AbortSignal | undefined): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#binary, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') reject(new AsrModelError(this.#binary, `not found on PATH; ${INSTALL_HELP}`));
        else reject(e);
      });
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
        else reject(new Error(`${this.#binary} exited with code ${code}: ${Buffer.concat(err).toString('utf8').trim().slice(-500)}`));
      });
    });
  }
}

/** pocketsphinx's default frame rate is 100 frames/s (`-frate 100`). */
const FRAME_S = 0.01;

function roundMs(s: number): number {
  return Math.round(s * 1000) / 1000;
}

function joinLines(lines: readonly string[]): string {
  return lines
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

const SEGMENT_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/i;

/** One `word start end posterior` line of `-time yes` output, or undefined for a hypothesis line. */
export function parseSegmentLine(line: string): { word: string; startS: number; endS: number } | undefined {
  const m = SEGMENT_LINE.exec(line.trim());
  if (!m) return undefined;
  return { word: m[1]!, startS: Number(m[2]), endS: Number(m[3]) };
}

/** Utterance markers, silence and noise fillers (`<s>`, `<sil>`, `[NOISE]`, `++BREATH++`) are not words. */
function isFiller(word: string): boolean {
  return /^<.*>$/.test(word) || /^\[.*\]$/.test(word) || /^\+\+.*\+\+$/.test(word);
}
