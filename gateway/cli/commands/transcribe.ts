import type { Command } from 'commander';
import { runAction } from '../run-action.js';

interface TranscribeCommandOptions {
  readonly json?: boolean;
  readonly model: string;
  readonly device?: string;
  readonly language?: string;
}

/** One transcribed file. */
interface FileTranscript {
  /** The audio file as given. */
  readonly file: string;
  /** The transcript. */
  readonly text: string;
  /** Language used, when the model reports one. */
  readonly language?: string;
  /** Audio length in seconds. */
  readonly durationS: number;
  /** Time spent in the model (front end + inference + decoding), excluding file decoding and model loading. */
  readonly processingS: number;
}

export default function register(program: Command): void {
  program
    .command('transcribe')
    .description('transcribe audio files with a local ASR expert (ONNX CTC, Whisper ONNX or pocketsphinx) and report RTFx')
    .argument('<audio...>', 'audio or video files (anything ffmpeg decodes)')
    .requiredOption(
      '--model <id>',
      'model id from the configuration (adapter onnx-ctc, whisper-onnx or pocketsphinx), or the bundled preset "pocketsphinx" (see `evalgate models list`)',
    )
    .option('--device <device>', 'cpu, cuda or webgpu for ONNX models (overrides the model options; see docs/experts.md)')
    .option('--language <code>', 'language code, e.g. en or zh (overrides the model options; Whisper only forces it)')
    .option('--json', 'print one JSON document with per-file transcripts, durations and the RTFx')
    .action(
      runAction(async (files: string[], opts: TranscribeCommandOptions, cmd: Command) => {
        const { EvalgateError } = await import('../../errors.js');
        const { deviceUnavailable } = await import('../../models/local/local-errors.js');
        const { configFor } = await import('../cli-context.js');
        const { requireModelConfig } = await import('../../config/find-model-config.js');
        // Configured models, then the bundled presets (`pocketsphinx`): the lookup every command uses.
        const declared = requireModelConfig(await configFor(cmd), opts.model);
        const { findAdapter, localAsrAdapterNames } = await import('../../models/adapters.js');
        const adapter = declared.adapter;
        const kind = findAdapter(adapter)?.asrEngine;
        if (!kind) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
            detail: `model ${opts.model} uses adapter "${adapter}"; transcribe runs the local experts ${localAsrAdapterNames.join(', ')} only`,
          });
        }
        const o = declared.options as Record<string, unknown>;
        const device = opts.device ?? (typeof o.device === 'string' ? o.device : undefined);
        const { isOnnxDevice, onnxDevices } = await import('../../../experts/onnx/onnx-runtime.js');
        if (device !== undefined && !isOnnxDevice(device)) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `--device must be one of ${onnxDevices.join(', ')}, not "${device}"` });
        }
        const language = opts.language ?? (typeof o.language === 'string' ? o.language : undefined);
        const { createAsr } = await import('../../../experts/asr/create-asr.js');
        const { decodeAudioFile } = await import('../../media/decode-audio.js');
        const { createProgress } = await import('../progress.js');

        const toEvalgate = (err: unknown): unknown => {
          if (!(err instanceof Error)) return err;
          if (err.name === 'AsrModelError' || err.name === 'ModelFileError') {
            const path = 'path' in err ? String(err.path) : opts.model;
            return new EvalgateError('EVALGATE_ERR_MODEL_FILE_INVALID', { path, detail: err.message }, { cause: err });
          }
          if (err.name === 'DeviceUnavailableError') return deviceUnavailable(err);
          return err;
        };

        let asr;
        try {
          asr = await createAsr({
            kind,
            // Already absolute: the configuration resolves it against the project home.
            ...(typeof o.modelDir === 'string' ? { modelDir: o.modelDir } : {}),
            ...(language ? { language } : {}),
            ...(o.task === 'translate' || o.task === 'transcribe' ? { task: o.task } : {}),
            ...(device ? { device } : {}),
            ...(typeof o.binary === 'string' ? { binary: o.binary } : {}),
            ...(Array.isArray(o.extraArgs) ? { extraArgs: o.extraArgs.map(String) } : {}),
          });
        } catch (err) {
          throw toEvalgate(err);
        }

        const progress = createProgress('transcribe', files.length, { json: Boolean(opts.json) });
        const results: FileTranscript[] = [];
        try {
          for (const file of files) {
            const audio = await decodeAudioFile(file, { sampleRateHz: 16000 });
            const t0 = performance.now();
            let r;
            try {
              r = await asr.transcribe(audio.samples, audio.sampleRateHz);
            } catch (err) {
              throw toEvalgate(err);
            }
            const processingS = (performance.now() - t0) / 1000;
            results.push({ file, text: r.text, ...(r.language ? { language: r.language } : {}), durationS: audio.durationS, processingS });
            progress.increment();
          }
        } finally {
          progress.stop();
        }
        const audioS = results.reduce((a, r) => a + r.durationS, 0);
        const processingS = results.reduce((a, r) => a + r.processingS, 0);
        // The one RTFx definition (gateway/rtfx.ts): total audio seconds ÷ total processing seconds.
        const { rtfx: rtfxOf } = await import('../../rtfx.js');
        const rtfx = rtfxOf(results.map((r) => ({ status: 'ok', audioSeconds: r.durationS, latencyRequestMs: r.processingS * 1000 })));
        if (opts.json) return { model: opts.model, adapter: kind, results, audioS, processingS, rtfx };
        const lines = results.map((r) => `${r.file}\t${r.text}`);
        lines.push(`RTFx ${rtfx === null ? 'n/a' : rtfx.toFixed(2)} (${audioS.toFixed(2)} s of audio in ${processingS.toFixed(2)} s)`);
        return lines.join('\n');
      }),
    );
}
