import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resample } from '../audio-features/streaming-resampler.js';
import { encodeWav16 } from '../audio-features/wav-file.js';
import { AsrModelError, throwIfAborted, type AsrEngine, type AsrResult, type TranscribeOptions } from './asr-engine.js';

/**
 * CMU pocketsphinx through Debian's `pocketsphinx_continuous` (0.8+5prealpha,
 * packages `pocketsphinx` + `pocketsphinx-en-us`). It is the one ASR that runs
 * here without user-supplied weights; its accuracy is far below Whisper's and
 * it knows US English only (unless given other -hmm/-lm/-dict files). Each
 * call writes a 16-kHz 16-bit mono WAV to a temporary folder and runs one
 * process; each recognised utterance comes back as one stdout line.
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
    throwIfAborted(opts.signal);
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-ps-'));
    try {
      const wav = join(dir, 'input.wav');
      await writeFile(wav, encodeWav16(resample(samples, sampleRateHz, 16000), 16000));
      const stdout = await this.#run(['-infile', wav, '-logfn', '/dev/null', ...this.#extraArgs], opts.signal);
      return {
        text: stdout
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean)
          .join(' '),
        language: 'en',
      };
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
