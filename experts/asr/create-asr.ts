import type { AsrEngine, AsrKind } from './asr-engine.js';
import type { OnnxDevice } from '../onnx/onnx-runtime.js';

/** Which local ASR to open, as a model config entry describes it. */
export interface AsrSpec {
  /** The family. */
  readonly kind: AsrKind;
  /** Folder of an ONNX export (onnx-ctc and whisper-onnx; required for them). */
  readonly modelDir?: string;
  /** Language code; forced for Whisper, checked for pocketsphinx. */
  readonly language?: string;
  /** Whisper only: transcribe (default) or translate to English. */
  readonly task?: 'transcribe' | 'translate';
  /** ONNX execution provider. */
  readonly device?: OnnxDevice;
  /** pocketsphinx only: executable path. */
  readonly binary?: string;
  /** pocketsphinx only: extra command-line arguments (-hmm/-lm/-dict…). */
  readonly extraArgs?: readonly string[];
}

/**
 * Opens a local ASR expert. ONNX sessions are cached per process, so opening
 * the same folder twice is cheap. Nothing is ever downloaded: a missing
 * folder fails with the expected layout and where to get one.
 */
export async function createAsr(spec: AsrSpec): Promise<AsrEngine> {
  switch (spec.kind) {
    case 'onnx-ctc': {
      const { createOnnxCtcAsr, CTC_LAYOUT_HELP } = await import('./onnx-ctc-asr.js');
      if (!spec.modelDir) throw new (await import('./asr-engine.js')).AsrModelError('(no modelDir)', `options.modelDir is required; ${CTC_LAYOUT_HELP}`);
      return createOnnxCtcAsr(spec.modelDir, { ...(spec.device ? { device: spec.device } : {}) });
    }
    case 'whisper-onnx': {
      const { createWhisperOnnxAsr, WHISPER_LAYOUT_HELP } = await import('./whisper-onnx-asr.js');
      if (!spec.modelDir) throw new (await import('./asr-engine.js')).AsrModelError('(no modelDir)', `options.modelDir is required; ${WHISPER_LAYOUT_HELP}`);
      return createWhisperOnnxAsr(spec.modelDir, {
        ...(spec.device ? { device: spec.device } : {}),
        ...(spec.language ? { language: spec.language } : {}),
        ...(spec.task ? { task: spec.task } : {}),
      });
    }
    case 'pocketsphinx': {
      const { PocketsphinxAsr } = await import('./pocketsphinx-asr.js');
      return new PocketsphinxAsr({
        ...(spec.binary ? { binary: spec.binary } : {}),
        ...(spec.extraArgs ? { extraArgs: spec.extraArgs } : {}),
        ...(spec.language ? { language: spec.language } : {}),
      });
    }
    default:
      throw new Error(`Unknown ASR kind "${String((spec as { kind: unknown }).kind)}"; use onnx-ctc, whisper-onnx or pocketsphinx`);
  }
}
