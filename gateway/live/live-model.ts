import type { ModelConfig } from '../config/config-schema.js';
import { answersInSpeech } from '../models/answers-in-speech.js';
import type { ModelV1 } from '../models/spec/model-v1.js';
import type { RealtimeModelV1 } from '../models/spec/realtime-model-v1.js';
import { speechNeedsExpert } from './live-hearing.js';

/**
 * What stands behind a live session: a realtime model that takes audio as it
 * arrives, or a batch model that gets one request per utterance (segmented by
 * VAD or an explicit commit).
 */
export type LiveModel =
  | { readonly kind: 'realtime'; /** The realtime adapter. */ readonly model: RealtimeModelV1 }
  | { readonly kind: 'batch'; /** The request/response adapter. */ readonly model: ModelV1 };

/** Builds a live model for a configured model. */
export type LiveModelProvider = (config: ModelConfig) => LiveModel | Promise<LiveModel>;

const providers = new Map<string, LiveModelProvider>();

/**
 * Registers a provider for an adapter name, consulted before the built-in
 * adapters. For embedding evalgate with in-process models (tests and the
 * gateway benchmark use a scripted one); returns a function that removes it.
 */
export function registerLiveModelProvider(adapter: string, provider: LiveModelProvider): () => void {
  providers.set(adapter, provider);
  return () => {
    if (providers.get(adapter) === provider) providers.delete(adapter);
  };
}

/**
 * Resolves a configured model to a live model; the built-in adapters are imported lazily.
 * `heard`: a local ASR expert hears this session's replies (see live-hearing.ts).
 */
export async function resolveLiveModel(config: ModelConfig, opts: { readonly heard?: boolean } = {}): Promise<LiveModel> {
  // A model answering in speech would otherwise be scored on its own transcript of it, which is
  // never the answer (docs/spoken-answers.md): refused unless an expert hears its replies.
  if (answersInSpeech(config) && !opts.heard) throw speechNeedsExpert(config.id);
  const provider = providers.get(config.adapter);
  if (provider) return provider(config);
  // Imported lazily: the adapters (and their heavy dependencies) stay out of start-up.
  const [mod, { isRealtimeAdapter }] = await Promise.all([import('../models/create-model.js'), import('../models/adapters.js')]);
  if (isRealtimeAdapter(config.adapter)) {
    return { kind: 'realtime', model: await mod.createRealtimeModel(config) };
  }
  return { kind: 'batch', model: await mod.createModel(config) };
}
