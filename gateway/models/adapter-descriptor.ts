import type { AsrKind } from '../../experts/asr/asr-engine.js';
import type { ModelConfig } from '../config/config-schema.js';
import type { AdapterDeps } from './adapter-support.js';
import type { ModelV1 } from './spec/model-v1.js';
import type { RealtimeModelV1 } from './spec/realtime-model-v1.js';

/**
 * Everything evalgate knows about one adapter, in one place: the facts that
 * used to live in separate tables (loaders, aliases, which adapters are
 * realtime, which consume decoded PCM and at what rate). Each adapter's
 * descriptor sits next to it; gateway/models/adapters.ts lists them and
 * derives the lookups.
 *
 * A descriptor module must not import its adapter statically: the loaders
 * use dynamic `import()` so that listing models or running an HTTP model
 * never loads onnxruntime, sharp or ws.
 */
export interface AdapterDescriptor {
  /** The name used in a model config's `adapter`. */
  readonly name: string;
  /** Alternative spellings accepted in `adapter` (the file names). */
  readonly aliases?: readonly string[];
  /** Whether the adapter can stream audio upstream as it arrives (the live gateway's realtime path). */
  readonly realtime: boolean;
  /**
   * Rate of the decoded mono PCM the adapter consumes, when it takes samples
   * rather than file bytes; the runner then decodes every audio part at this
   * rate with ffmpeg.
   */
  readonly pcmRateHz?: number;
  /**
   * The tasks whose samples it can answer (a specialist: `ppocr` reads text, the local ASR engines
   * transcribe); absent for generalists, which take any task. `run` refuses other tasks before the first call.
   */
  readonly tasks?: readonly string[];
  /** The local speech-recognition engine behind it, which `evalgate transcribe` runs directly; absent for other adapters. */
  readonly asrEngine?: AsrKind;
  /** Builds the batch model (imported lazily). */
  readonly load: (config: ModelConfig, deps: AdapterDeps) => Promise<ModelV1>;
  /** Builds the realtime model for the live gateway; present exactly when `realtime` is true. */
  readonly loadRealtime?: (config: ModelConfig, deps: AdapterDeps) => Promise<RealtimeModelV1>;
}
