import { z } from 'zod';
import { canonicalJson } from './dataset-digest.js';
import { scenarioEventsSchema, scenarioNames, scenarioProblems } from '../scorers/duplex/turn-taking-scenario.js';
import { taskNames, tasks, type TaskSampleSpec } from '../scorers/tasks/index.js';

// One schema for a manifest line. Field names are snake_case because the
// file format is shared with Python harnesses.

const relPath = z.string().min(1, 'must be a non-empty path');

/** Dataset-level fields a manifest line may carry (cls's scorer settings), by field: the schema `evalgate score` checks them with too. */
export const datasetLevelFields = {
  /** cls: the dataset's label set, in report order. */
  labels: z.array(z.string().min(1)).min(2),
  /** cls: other words naming each label, e.g. {"happy": ["joy"]}. */
  label_synonyms: z.record(z.string().min(1), z.array(z.string().min(1))),
} as const;

/** The fields of a manifest line, before the checks across fields. */
const lineShape = z
  .object({
    /** Unique within the manifest. */
    id: z.string().min(1, 'must be a non-empty string'),
    /** What is being evaluated: a task of the registry (scorers/tasks/). */
    task: z.enum(taskNames),
    /** Audio file, relative to the manifest. */
    audio: relPath.optional(),
    /** Image file, relative to the manifest. */
    image: relPath.optional(),
    /** Several images, relative to the manifest. */
    images: z.array(relPath).min(1).optional(),
    /** Video file, relative to the manifest. */
    video: relPath.optional(),
    /** Expected output: one string, or a list of acceptable strings. */
    reference: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
    /** vqa: the human answers (VQAv2/VizWiz/TextVQA annotations, usually ten), scored with VQA accuracy; instead of `reference`. */
    answers: z.array(z.string()).min(1).optional(),
    /** cls: the dataset's label set, in report order. A dataset-level field: every line that carries it must agree. */
    labels: datasetLevelFields.labels.optional(),
    /** cls: other words naming each label, e.g. {"happy": ["joy"]}. Dataset-level, like `labels`. */
    label_synonyms: datasetLevelFields.label_synonyms.optional(),
    /** Question for VQA / multiple choice. */
    question: z.string().optional(),
    /** Options for multiple choice, in letter order (A, B, C, …). */
    choices: z.array(z.string()).min(2).optional(),
    /** Correct option letter for multiple choice. */
    answer: z
      .string()
      .regex(/^[A-Z]$/, 'must be one capital letter')
      .optional(),
    /** BCP-47-ish language code, e.g. `en`, `zh`. */
    lang: z.string().optional(),
    /** Capability labels, e.g. `asr/accented`. */
    tags: z.array(z.string().min(1)).default([]),
    /** Media duration in seconds. */
    duration_s: z.number().nonnegative().optional(),
    /** Start of the segment to use within `audio`/`video`, in seconds (Kaldi `segments`). */
    start_s: z.number().nonnegative().optional(),
    /** End of that segment, in seconds; must be after `start_s`. */
    end_s: z.number().positive().optional(),
    /** duplex: which turn-taking test the audio is (pause-handling, smooth-turn-taking, user-interruption, backchannel). */
    scenario: z.enum(scenarioNames).optional(),
    /** duplex: the event times of the user's audio, seconds (turn_end_s; pauses, first_turn_end_s, barge_in_s by scenario). */
    events: scenarioEventsSchema.optional(),
  })
  .strict();

/** A dataset manifest line. */
export const manifestSampleSchema = lineShape.superRefine((s, ctx) => {
  const spec: TaskSampleSpec = tasks[s.task].sample;
  if (spec.target !== 'scenario' && (s.scenario !== undefined || s.events !== undefined)) {
    ctx.addIssue({ code: 'custom', path: [s.scenario !== undefined ? 'scenario' : 'events'], message: `is for task duplex, not ${s.task}` });
  }
  if (spec.target === 'choice') {
    if (!s.choices) ctx.addIssue({ code: 'custom', path: ['choices'], message: `required for task ${s.task}` });
    if (!s.answer) ctx.addIssue({ code: 'custom', path: ['answer'], message: `required for task ${s.task}` });
    if (s.choices && s.answer && s.answer.charCodeAt(0) - 65 >= s.choices.length) {
      ctx.addIssue({ code: 'custom', path: ['answer'], message: `letter ${s.answer} is beyond the ${s.choices.length} choices` });
    }
  } else if (spec.target === 'scenario') {
    checkScenario(s, ctx);
  } else if (s.answers !== undefined) {
    // Human answers replace the reference list; only vqa scores them (VQA accuracy).
    if (s.task !== 'vqa') ctx.addIssue({ code: 'custom', path: ['answers'], message: `human answers are for task vqa, not ${s.task}` });
    if (s.reference !== undefined) ctx.addIssue({ code: 'custom', path: ['answers'], message: 'give either reference or answers, not both' });
  } else if (s.reference === undefined) {
    ctx.addIssue({ code: 'custom', path: ['reference'], message: `required for task ${s.task}` });
  }
  for (const field of ['labels', 'label_synonyms'] as const) {
    // The label set and synonyms are cls's scorer options, set for the whole dataset.
    if (s[field] !== undefined && s.task !== 'cls') ctx.addIssue({ code: 'custom', path: [field], message: `is for task cls, not ${s.task}` });
  }
  if (s.end_s !== undefined && s.end_s <= (s.start_s ?? 0)) {
    ctx.addIssue({ code: 'custom', path: ['end_s'], message: `must be after start_s (${s.start_s ?? 0})` });
  }
  if ((s.start_s !== undefined || s.end_s !== undefined) && !s.audio && !s.video) {
    ctx.addIssue({ code: 'custom', path: ['start_s'], message: 'a segment needs an audio or video file' });
  }
  const needs = spec.requiredMedia;
  const has = needs === 'image' ? Boolean(s.image) || Boolean(s.images) : needs ? Boolean(s[needs]) : true;
  if (needs && !has) ctx.addIssue({ code: 'custom', path: [needs], message: `required for task ${s.task}` });
});

/** A duplex line: scenario and events (which become its reference on import: toStoredSample), consistent with each other. */
function checkScenario(s: z.infer<typeof lineShape>, ctx: z.RefinementCtx): void {
  if (!s.scenario) ctx.addIssue({ code: 'custom', path: ['scenario'], message: `required for task ${s.task}` });
  if (!s.events) ctx.addIssue({ code: 'custom', path: ['events'], message: `required for task ${s.task}` });
  if (s.reference !== undefined) ctx.addIssue({ code: 'custom', path: ['reference'], message: `task ${s.task} takes scenario and events, not a reference` });
  // Event times count from the start of the file: a segment would shift them all.
  if (s.start_s !== undefined || s.end_s !== undefined)
    ctx.addIssue({ code: 'custom', path: ['start_s'], message: `task ${s.task} plays whole files; cut the audio instead` });
  if (!s.scenario || !s.events) return;
  for (const [path, message] of scenarioProblems(s.scenario, s.events)) ctx.addIssue({ code: 'custom', path: path.split('.'), message });
  if (s.duration_s !== undefined && s.events.turn_end_s > s.duration_s) {
    ctx.addIssue({ code: 'custom', path: ['events', 'turn_end_s'], message: `is past the end of the audio (duration_s ${s.duration_s})` });
  }
}

export type ManifestSample = z.infer<typeof manifestSampleSchema>;

/**
 * The sample as it is stored: a duplex line's scenario and events become its
 * reference (canonical JSON), so the digest, the sealed rules and every reader
 * of references cover them; other lines are unchanged.
 */
export function toStoredSample(s: ManifestSample): ManifestSample {
  if (s.scenario === undefined || s.events === undefined) return s;
  const { scenario, events, ...rest } = s;
  return { ...rest, reference: canonicalJson({ scenario, events }) };
}
