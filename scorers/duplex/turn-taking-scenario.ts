import { z } from 'zod';

// A turn-taking scenario (issue 17): the user's audio plus the times of the
// events the model is judged against, in seconds from the start of the file.
// Manifest lines of task `duplex` carry `scenario` and `events`; on import the
// two become the sample's reference (canonical JSON), so the digest, the
// sealed rules and every reader of references cover them like any reference.

/** The Full-Duplex-Bench tasks a scenario can test. */
export const scenarioNames = ['pause-handling', 'smooth-turn-taking', 'user-interruption', 'backchannel'] as const;

/** A scenario kind. */
export type ScenarioName = (typeof scenarioNames)[number];

const seconds = z.number().finite().nonnegative();

/** The `events` of a manifest line: times in seconds from the start of the audio. */
export const scenarioEventsSchema = z
  .object({
    /** End of the user's (last) speech: the turn the model may take. */
    turn_end_s: seconds,
    /** pause-handling: the silences inside the user's sentence, [start, end]. */
    pauses: z
      .array(z.tuple([seconds, seconds]))
      .min(1)
      .optional(),
    /** user-interruption: end of the question the model answers before the barge-in. */
    first_turn_end_s: seconds.optional(),
    /** user-interruption: onset of the user's barge-in. */
    barge_in_s: seconds.optional(),
  })
  .strict();

/** The events of one scenario. */
export type ScenarioEvents = z.infer<typeof scenarioEventsSchema>;

/** A scenario as stored (the sample's reference). */
export interface TurnTakingScenario {
  readonly scenario: ScenarioName;
  readonly events: ScenarioEvents;
}

/** The problems of a scenario's events for its kind, as [field path, message]; empty when consistent. */
export function scenarioProblems(scenario: ScenarioName, e: ScenarioEvents): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (e.turn_end_s <= 0) out.push(['events.turn_end_s', 'must be after the start of the audio']);
  if (scenario === 'pause-handling' && !e.pauses) out.push(['events.pauses', 'required for scenario pause-handling']);
  for (const [i, [s, t]] of (e.pauses ?? []).entries()) {
    if (t <= s) out.push([`events.pauses.${i}`, 'a pause must end after it starts']);
    if (t > e.turn_end_s) out.push([`events.pauses.${i}`, 'a pause must lie inside the user turn (before turn_end_s)']);
    const prev = e.pauses?.[i - 1];
    if (prev && s < prev[1]) out.push([`events.pauses.${i}`, 'pauses must be in order and not overlap']);
  }
  if (scenario === 'user-interruption') {
    if (e.barge_in_s === undefined) out.push(['events.barge_in_s', 'required for scenario user-interruption']);
    if (e.first_turn_end_s === undefined) out.push(['events.first_turn_end_s', 'required for scenario user-interruption']);
    if (e.first_turn_end_s !== undefined && e.barge_in_s !== undefined && e.barge_in_s <= e.first_turn_end_s) {
      out.push(['events.barge_in_s', 'must be after first_turn_end_s']);
    }
    if (e.barge_in_s !== undefined && e.turn_end_s <= e.barge_in_s) out.push(['events.turn_end_s', 'must be after barge_in_s']);
  } else {
    if (e.barge_in_s !== undefined) out.push(['events.barge_in_s', `is for scenario user-interruption, not ${scenario}`]);
    if (e.first_turn_end_s !== undefined) out.push(['events.first_turn_end_s', `is for scenario user-interruption, not ${scenario}`]);
  }
  if (scenario !== 'pause-handling' && e.pauses) out.push(['events.pauses', `is for scenario pause-handling, not ${scenario}`]);
  return out;
}

const storedSchema = z.object({ scenario: z.enum(scenarioNames), events: scenarioEventsSchema }).strict();

/**
 * The scenario a duplex sample's reference holds. Throws a RangeError naming
 * the sample when it holds none (a reference written by another task).
 */
export function parseScenarioReference(reference: unknown, sampleId: string): TurnTakingScenario {
  const text = Array.isArray(reference) && reference.length === 1 ? reference[0] : reference;
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const r = storedSchema.safeParse(parsed);
  if (!r.success) throw new RangeError(`duplex: sample ${sampleId} holds no turn-taking scenario as its reference`);
  return r.data;
}
