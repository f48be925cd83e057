import { basename, extname } from 'node:path';
import { MIME } from '../runner/build-request.js';
import type { Kysely } from 'kysely';
import { containMediaPath, isContainmentProblem } from '../../datasets/contain-media-path.js';
import { EvalgateError } from '../errors.js';
import { defaultPromptTemplates, renderPrompt } from '../models/prompt-templates.js';
import { findDataset } from '../store/dataset-repo.js';
import { drawPresetSample } from '../store/arena-battle-repo.js';
import type { ArenaModality, Database } from '../store/database.js';
import type { BattleMedia, BattleMediaStore } from './battle-media-store.js';

// A preset prompt: one sample drawn at random from a dataset of the battle's
// modality, as FlagEval's arena offers. The sample's question, rendered with
// its task's default prompt (the words a batch run would send), becomes the
// prompt; its media file is copied into the arena folder so the battle keeps
// its prompt whatever happens to the dataset; its tags become the battle's
// hidden capability tags.

/** A drawn preset. */
export interface BattlePreset {
  /** `datasets.id`. */
  readonly datasetId: string;
  /** Dataset name (shown with the battle). */
  readonly datasetName: string;
  /** Manifest id of the sample. */
  readonly sampleKey: string;
  /** The prompt text. */
  readonly text: string | null;
  /** The prompt media, stored in the arena folder. */
  readonly media: readonly BattleMedia[];
  /** Capability tags (stored, never returned). */
  readonly tags: readonly string[];
}

/**
 * Draws a sample of `modality` from a dataset (by name or id). A sealed
 * dataset's samples go to admin keys only, as everywhere else
 * (docs/security.md): a submitter could otherwise read a sealed set one
 * battle at a time.
 */
export async function drawBattlePreset(
  db: Kysely<Database>,
  datasetNameOrId: string,
  modality: ArenaModality,
  store: BattleMediaStore,
  access: { readonly isAdmin: boolean },
): Promise<BattlePreset> {
  const ds = await findDataset(db, datasetNameOrId);
  // A sealed set answers a non-admin as an unknown one does: the error does not tell which names exist.
  if (!ds || (ds.sealed && !access.isAdmin)) throw new EvalgateError('EVALGATE_ERR_NOT_FOUND', { what: 'Dataset', id: datasetNameOrId });
  const row = await drawPresetSample(db, ds.id, modality);
  if (!row) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `dataset ${ds.name} has no ${modality} sample to draw a preset prompt from` });
  const media: BattleMedia[] = [];
  const entry = row.media[0];
  if (entry && modality !== 'text') {
    // Recorded paths may be absolute server paths: only an admin is told them.
    const shown = access.isAdmin ? entry.path : basename(entry.path);
    if (!ds.root_dir) throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: shown });
    // The file recorded at import, by the same rule as the media route and the runner.
    const recorded = row.media_files[0];
    const real = await containMediaPath(ds.root_dir, entry.path, recorded ? { recorded } : {});
    if (isContainmentProblem(real)) throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: shown });
    media.push(await store.placeFile(real.realPath, modality, MIME[extname(real.realPath).toLowerCase()] ?? 'application/octet-stream'));
  }
  const template = defaultPromptTemplates[row.task] ?? '{question}';
  const text = renderPrompt(template, row).trim();
  return { datasetId: ds.id, datasetName: ds.name, sampleKey: row.sample_key, text: text === '' ? null : text, media, tags: row.tags };
}
