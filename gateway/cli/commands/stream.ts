import type { Command } from 'commander';
import { runAction } from '../run-action.js';

interface StreamOptions {
  model: string;
  url?: string;
  apiKey?: string;
  ca?: string;
  realtimePace?: boolean;
  concurrency: number;
  dataset?: string;
  sample?: string;
  normalizer?: string;
  unit?: string;
  extractor?: string;
  asrModel?: string;
  turnDetection: 'manual' | 'server_vad';
  json?: boolean;
}

/** One file's outcome. */
interface FileResult {
  file: string;
  sessionId: string;
  audioSeconds: number;
  utterances: { seq: number; status: string; text: string; latency: unknown; scores?: unknown; error?: unknown }[];
  summary: unknown;
}

const RATE_HZ = 16000;

async function decodeToPcm16(file: string): Promise<Int16Array> {
  const { readFile } = await import('node:fs/promises');
  const { parseWav } = await import('../../../experts/audio-features/wav-file.js');
  const { resample } = await import('../../../experts/audio-features/streaming-resampler.js');
  const { float32ToPcm16 } = await import('../../live/audio-format.js');
  const bytes = await readFile(file);
  try {
    const wav = parseWav(bytes);
    return float32ToPcm16(wav.sampleRateHz === RATE_HZ ? wav.samples : resample(wav.samples, wav.sampleRateHz, RATE_HZ));
  } catch {
    // Not a plain WAV: the media layer's ffmpeg decode, whose failures name the file and ffmpeg's reason
    // (EVALGATE_ERR_MEDIA_DECODE_FAILED; a missing file is EVALGATE_ERR_MEDIA_NOT_FOUND).
    const { decodeAudioFile } = await import('../../media/decode-audio.js');
    const decoded = await decodeAudioFile(file, { sampleRateHz: RATE_HZ });
    return float32ToPcm16(decoded.samples);
  }
}

export default function register(program: Command): void {
  program
    .command('stream')
    .description('stream audio files through the gateway (native protocol) and print transcripts, latencies and scores')
    .argument('<audio...>', 'audio files (WAV, or anything ffmpeg decodes)')
    .requiredOption('--model <id>', 'model id from the gateway configuration')
    .option('--url <url>', 'gateway base URL (default: http://<server.host>:<server.port> from the config)')
    .option('--api-key <key>', 'API key (default: $EVALGATE_API_KEY)')
    .option('--ca <file>', 'PEM certificate to trust (self-signed gateways)')
    .option('--realtime-pace', 'send audio at real-time pace instead of as fast as possible')
    .option('--concurrency <n>', 'files streamed at once, one session each', (v) => Number.parseInt(v, 10), 1)
    .option('--dataset <name>', 'dataset to score against (with --sample)')
    .option('--sample <id>', 'sample id to score against (with --dataset; one file)')
    .option('--normalizer <name>', 'scorer normalizer for the bound sample (whisper-en, whisper-basic, open-asr-en, wenet-zh, none; default none)')
    .option('--unit <unit>', 'ASR token unit for the bound sample: word (default), char or mixed')
    .option('--extractor <name>', 'MCQ extractor for the bound sample: videomme (default), lmms or mvbench')
    .option(
      '--asr-model <id>',
      'for a model that answers in speech: the local ASR expert whose transcript of each reply is scored (its own transcript never is)',
    )
    .option('--turn-detection <mode>', 'manual (one commit at the end) or server_vad', 'manual')
    .option('--json', 'print one JSON document')
    .action(
      runAction(async (files: string[], opts: StreamOptions, cmd: Command) => {
        const { EvalgateError } = await import('../../errors.js');
        if (Boolean(opts.dataset) !== Boolean(opts.sample)) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--dataset and --sample go together' });
        if (opts.sample && files.length > 1) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--sample binds one file; pass one AUDIO' });
        if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--concurrency must be a positive integer' });
        if (opts.turnDetection !== 'manual' && opts.turnDetection !== 'server_vad')
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '--turn-detection is manual or server_vad' });
        let url = opts.url;
        if (!url) {
          const { configFor } = await import('../cli-context.js');
          const config = await configFor(cmd);
          url = `http://${config.server.host}:${config.server.port}`;
        }
        const { readFile } = await import('node:fs/promises');
        const ca = opts.ca ? await readFile(opts.ca) : undefined;
        const { StreamClient } = await import('../../client/stream-client.js');
        const { createProgress } = await import('../progress.js');
        const progress = createProgress('stream', files.length, { json: Boolean(opts.json) });
        const sample =
          opts.dataset && opts.sample
            ? {
                dataset: opts.dataset,
                sample: opts.sample,
                ...(opts.normalizer ? { normalizer: opts.normalizer } : {}),
                ...(opts.unit ? { unit: opts.unit } : {}),
                ...(opts.extractor ? { extractor: opts.extractor } : {}),
              }
            : undefined;
        if (!sample && (opts.normalizer || opts.unit || opts.extractor)) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
            detail: '--normalizer, --unit and --extractor apply to a bound sample: give --dataset and --sample',
          });
        }

        const streamOne = async (file: string): Promise<FileResult> => {
          const pcm = await decodeToPcm16(file);
          const client = await StreamClient.connect({
            url: url!,
            model: opts.model,
            apiKey: opts.apiKey ?? process.env.EVALGATE_API_KEY,
            ca,
            ...(opts.asrModel ? { asrModel: opts.asrModel } : {}),
          });
          const finals: FileResult['utterances'] = [];
          client.on('message', (m) => {
            if (m.type === 'response.final')
              finals.push({
                seq: m.seq,
                status: m.status,
                text: m.text,
                latency: m.latency,
                ...(m.scores ? { scores: m.scores } : {}),
                ...(m.error ? { error: m.error } : {}),
              });
          });
          await client.configure({
            sampleRateHz: RATE_HZ,
            turnDetection: opts.turnDetection,
            ...(sample && opts.turnDetection === 'server_vad' ? { sample } : {}),
          });
          const chunk = RATE_HZ / 10;
          const t0 = performance.now();
          for (let i = 0; i < pcm.length; i += chunk) {
            await client.sendAudio(pcm.subarray(i, i + chunk));
            if (opts.realtimePace) {
              const due = t0 + ((i + chunk) / RATE_HZ) * 1000;
              const wait = due - performance.now();
              if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
          }
          if (opts.turnDetection === 'manual') client.commit(sample ? { sample } : {});
          // server_vad: a second of silence lets the last turn end.
          else await client.sendAudio(new Int16Array(RATE_HZ));
          const summary = await client.end();
          progress.increment();
          return { file, sessionId: client.sessionId, audioSeconds: pcm.length / RATE_HZ, utterances: finals.sort((a, b) => a.seq - b.seq), summary };
        };

        const results: FileResult[] = new Array<FileResult>(files.length);
        // One iterator shared by the lanes: each takes the next unclaimed file.
        const queue = files.entries();
        await Promise.all(
          Array.from({ length: Math.min(opts.concurrency, files.length) }, async () => {
            for (const [i, file] of queue) results[i] = await streamOne(file);
          }),
        );
        progress.stop();
        if (opts.json) return { model: opts.model, files: results };
        return results
          .map((r) =>
            [
              `${r.file} (session ${r.sessionId}, ${r.audioSeconds.toFixed(2)} s)`,
              ...r.utterances.map(
                (u) =>
                  `  #${u.seq} [${u.status}] ${u.text}\n     latency ${JSON.stringify(u.latency)}${u.scores ? `\n     scores ${JSON.stringify(u.scores)}` : ''}`,
              ),
            ].join('\n'),
          )
          .join('\n');
      }),
    );
}
