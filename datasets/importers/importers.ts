import { importAishell } from './import-aishell.js';
import { importCommonVoice } from './import-common-voice.js';
import { importGenericJsonl } from './import-generic-jsonl.js';
import { importKaldiDataDir } from './import-kaldi-data-dir.js';
import { importLibriSpeech } from './import-librispeech.js';
import { importNemoManifest } from './import-nemo-manifest.js';
import { importOcrBench } from './import-ocrbench.js';
import { importVideoMme } from './import-video-mme.js';
import type { Importer } from './imported-set.js';

/** Every source layout `evalgate datasets import <format>` reads, by format name. */
export const importers = {
  librispeech: importLibriSpeech,
  kaldi: importKaldiDataDir,
  nemo: importNemoManifest,
  'common-voice': importCommonVoice,
  aishell: importAishell,
  ocrbench: importOcrBench,
  'video-mme': importVideoMme,
  jsonl: importGenericJsonl,
} as const satisfies Record<string, Importer>;

/** A format name. */
export type ImportFormat = keyof typeof importers;

/** Format names, for help text and validation. */
export const importFormats = Object.keys(importers) as ImportFormat[];
