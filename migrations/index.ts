import type { Migration } from 'kysely';
import * as initialSchema from './20261128000000_initial_schema.js';
import * as runHeartbeat from './20261128120000_run_heartbeat.js';
import * as streamSessionHeartbeat from './20261128130000_stream_session_heartbeat.js';
import * as runClaims from './20261204120000_run_claims.js';
import * as sampleMediaFiles from './20261204160000_sample_media_files.js';
import * as taskAsText from './20261204170000_task_as_text.js';
import * as sampleHumanAnswers from './20261204210000_sample_human_answers.js';
import * as datasetDigestVersion from './20261205010000_dataset_digest_version.js';
import * as arena from './20261206000000_arena.js';
import * as utteranceSpeech from './20261207000000_utterance_speech.js';

/**
 * Every migration, keyed by its file name. Append-only: add a new file
 * `<timestamp>_<name>.ts` and one line here; never edit a migration that has
 * shipped. A static list (rather than reading the folder) works the same from
 * compiled code and under vitest.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '20261128000000_initial_schema': initialSchema,
  '20261128120000_run_heartbeat': runHeartbeat,
  '20261128130000_stream_session_heartbeat': streamSessionHeartbeat,
  '20261204120000_run_claims': runClaims,
  '20261204160000_sample_media_files': sampleMediaFiles,
  '20261204170000_task_as_text': taskAsText,
  '20261204210000_sample_human_answers': sampleHumanAnswers,
  '20261205010000_dataset_digest_version': datasetDigestVersion,
  '20261206000000_arena': arena,
  '20261207000000_utterance_speech': utteranceSpeech,
});
