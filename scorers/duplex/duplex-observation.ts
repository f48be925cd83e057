import { z } from 'zod';

// What the duplex runner recorded of one scenario (gateway/duplex/): the
// model's channel as the user would have heard it, reduced to Silero VAD
// spans and the local ASR expert's timed words. It is stored as the sample's
// prediction text (JSON), so scoring is a pure function of it and a stored
// run can be rescored. Nothing of the user's audio is in it: on a sealed set
// the user's speech spans would give away the scenario's event times (its
// reference), which viewers must not see.

const s = z.number().finite();
const span = z.tuple([s, s]);

/** The observation schema, version 1. */
export const duplexObservationSchema = z.object({
  v: z.literal(1),
  /** Length of the recording (the user's file, or longer when the model spoke past its end), s. */
  recording_s: s.positive(),
  /** The model's words, heard by the ASR expert: [text, onset s, offset s]. */
  model_words: z.array(z.tuple([z.string(), s, s])),
  /** Silero VAD speech spans of the model's channel, [start, end] s. */
  model_spans: z.array(span),
  /** First model audio on the timeline, s; null when it never spoke. */
  first_audio_s: s.nullable(),
  /** The expert's transcript of the whole model channel. */
  transcript: z.string(),
});

/** One recorded scenario. */
export type DuplexObservation = z.infer<typeof duplexObservationSchema>;

/** Parses a stored observation; throws a RangeError naming the sample when it is not one. */
export function parseDuplexObservation(text: string, sampleId: string): DuplexObservation {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RangeError(`duplex: the prediction of sample ${sampleId} is not a recorded observation (not JSON)`);
  }
  const r = duplexObservationSchema.safeParse(raw);
  if (!r.success)
    throw new RangeError(`duplex: the prediction of sample ${sampleId} is not a recorded observation (${r.error.issues[0]?.message ?? 'invalid'})`);
  return r.data;
}
