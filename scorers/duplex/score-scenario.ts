import { backchannelEvents } from './backchannel-events.js';
import type { DuplexObservation } from './duplex-observation.js';
import { MODEL_MERGE_GAP_SECONDS, mergeSpeechSpans } from './merge-speech-spans.js';
import { takesTurn, turnLatencySeconds } from './takes-turn.js';
import type { SpeechSpan, TimedWord } from './timed-word.js';
import type { ScenarioName, TurnTakingScenario } from './turn-taking-scenario.js';

// One recorded scenario scored by Full-Duplex-Bench's rules (full-duplex-bench-version.ts).
// Upstream scores each task's whole output channel because its input files
// end with the user's turn; evalgate's scenario files add trailing silence so
// a patient model can answer, so each task reads the part of the channel its
// question is about:
// - pause-handling: words starting before the end of the user's turn (a
//   model that waits and then answers has not taken over a pause);
// - smooth-turn-taking: every word (upstream), latency from the turn's end;
// - user-interruption:
//   the reply is the words starting at or after the end of the barge-in (upstream
//   crops the output there, get_transcript/asr.py), latency from that end;
//   and the stop latency: from the barge-in onset to the end of the model
//   speech under way during it, clipped at 0. Model gaps under 0.5 s are one
//   span (v1.5's MODEL_MERGE_GAP), so speech that ended less than 0.5 s before
//   the onset (a pause between sentences) or that began during the barge-in
//   counts; speech starting after the barge-in ends is the reply and is never
//   merged onto it. A model still speaking when the barge-in ends kept talking;
// - backchannel: VAD spans starting before the end of the user's turn, per
//   minute of that turn.
// `behaviour_ok` is evalgate's one number across tasks (the primary metric's
// per-sample value): the model did what the scenario asks of it (left the
// pause alone, took its turn, yielded to and answered the barge-in, did not
// take over a monologue).

/** Per-sample values of one scenario: the fields its task's metrics average. */
export interface ScenarioScore {
  readonly scenario: ScenarioName;
  /** 1 when the model did what the scenario asks of it. */
  readonly behaviour_ok: 0 | 1;
  /** pause-handling take-over (lower is better). */
  readonly pause_tor?: 0 | 1;
  /** pause-handling, per pause in order: the take-over rule on the words starting inside it (stored in the score rows' details, without times). */
  readonly pause_events?: readonly (0 | 1)[];
  /** smooth-turn-taking take-over (higher is better). */
  readonly turn_tor?: 0 | 1;
  /** smooth-turn-taking latency, s, when the turn was taken. */
  readonly turn_latency_s?: number;
  /** user-interruption: the model answered after the barge-in. */
  readonly interrupt_tor?: 0 | 1;
  /** user-interruption latency after the barge-in's end, s, when answered. */
  readonly interrupt_latency_s?: number;
  /** user-interruption: barge-in onset to the end of the model speech under way then, clipped at 0, s (absent when the model was silent then). */
  readonly stop_latency_s?: number;
  /** user-interruption: the model was still speaking when the barge-in ended. */
  readonly kept_talking?: 0 | 1;
  /** backchannel events per minute of recording. */
  readonly backchannel_per_min?: number;
  /** backchannel: upstream's take-over flag (a long span, or a short one that looks like a turn). */
  readonly backchannel_tor?: 0 | 1;
}

const wordsOf = (o: DuplexObservation): TimedWord[] => o.model_words.map(([text, startSecond, endSecond]) => ({ text, startSecond, endSecond }));
const spansOf = (spans: DuplexObservation['model_spans']): SpeechSpan[] => spans.map(([startSecond, endSecond]) => ({ startSecond, endSecond }));

/** Scores one recorded scenario. */
export function scoreScenario(sc: TurnTakingScenario, o: DuplexObservation): ScenarioScore {
  const words = wordsOf(o);
  const e = sc.events;
  switch (sc.scenario) {
    case 'pause-handling': {
      const tor = takesTurn(words.filter((w) => w.startSecond < e.turn_end_s));
      const perPause = (e.pauses ?? []).map(([from, to]) => takesTurn(words.filter((w) => w.startSecond >= from && w.startSecond < to)));
      return { scenario: sc.scenario, behaviour_ok: tor === 0 ? 1 : 0, pause_tor: tor, pause_events: perPause };
    }
    case 'smooth-turn-taking': {
      const tor = takesTurn(words);
      const latency = turnLatencySeconds(words, e.turn_end_s);
      return { scenario: sc.scenario, behaviour_ok: tor, turn_tor: tor, ...(latency !== null ? { turn_latency_s: latency } : {}) };
    }
    case 'user-interruption': {
      const bargeIn = e.barge_in_s!;
      // Upstream crops the output at the end of the interruption (get_transcript/asr.py): the reply to it.
      const after = words.filter((w) => w.startSecond >= e.turn_end_s);
      const tor = takesTurn(after);
      const latency = turnLatencySeconds(after, e.turn_end_s);
      // Speech that starts after the barge-in ends is the reply, never merged onto what was talked over.
      const before = spansOf(o.model_spans).filter((s) => s.startSecond < e.turn_end_s);
      const merged = mergeSpeechSpans(before, MODEL_MERGE_GAP_SECONDS);
      const sounding = merged.find((m) => m.startSecond < e.turn_end_s && m.endSecond > bargeIn - MODEL_MERGE_GAP_SECONDS);
      const stop = sounding
        ? { stop_latency_s: Math.max(0, sounding.endSecond - bargeIn), kept_talking: sounding.endSecond >= e.turn_end_s ? (1 as const) : (0 as const) }
        : {};
      const yielded = !sounding || stop.kept_talking === 0;
      return {
        scenario: sc.scenario,
        behaviour_ok: tor === 1 && yielded ? 1 : 0,
        interrupt_tor: tor,
        ...(latency !== null ? { interrupt_latency_s: latency } : {}),
        ...stop,
      };
    }
    case 'backchannel': {
      const spans = spansOf(o.model_spans).filter((s) => s.startSecond < e.turn_end_s);
      // Per minute of the monologue (upstream's recordings end with the user's turn).
      const r = backchannelEvents(spans, words, e.turn_end_s);
      return { scenario: sc.scenario, behaviour_ok: r.tookTurn === 0 ? 1 : 0, backchannel_per_min: r.eventsPerMinute, backchannel_tor: r.tookTurn };
    }
  }
}
