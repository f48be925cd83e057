import { describe, expect, it } from 'vitest';
import { manifestSampleSchema, toStoredSample } from '../../datasets/manifest-schema.js';
import type { DuplexObservation } from '../../scorers/duplex/duplex-observation.js';
import { scoreScenario } from '../../scorers/duplex/score-scenario.js';
import type { TurnTakingScenario } from '../../scorers/duplex/turn-taking-scenario.js';
import { scoreDuplex } from '../../scorers/tasks/duplex.js';

// Hand-computed values of each scenario's rule (scorers/duplex/score-scenario.ts).

function obs(words: Array<[string, number, number]>, spans: Array<[number, number]>, recording = 12): DuplexObservation {
  return {
    v: 1,
    recording_s: recording,
    model_words: words,
    model_spans: spans,

    first_audio_s: spans[0]?.[0] ?? null,
    transcript: words.map((w) => w[0]).join(' '),
  };
}

const pause: TurnTakingScenario = { scenario: 'pause-handling', events: { turn_end_s: 5, pauses: [[2, 3.5]] } };
const smooth: TurnTakingScenario = { scenario: 'smooth-turn-taking', events: { turn_end_s: 3 } };
const interrupt: TurnTakingScenario = { scenario: 'user-interruption', events: { first_turn_end_s: 2, barge_in_s: 5, turn_end_s: 6.5 } };
const backchannel: TurnTakingScenario = { scenario: 'backchannel', events: { turn_end_s: 20 } };

describe('scoreScenario', () => {
  it('pause-handling: words during the pause take over; an answer after the turn does not', () => {
    const took = scoreScenario(
      pause,
      obs(
        [
          ['well', 2.3, 2.6],
          ['i', 2.7, 2.8],
          ['think', 2.9, 3.3],
          ['so', 3.4, 3.6],
        ],
        [[2.2, 3.7]],
      ),
    );
    expect(took).toMatchObject({ pause_tor: 1, behaviour_ok: 0, pause_events: [1] });
    // 4 words over 1.3 s: a turn. After turn_end_s (5) the same speech is a patient answer.
    const waited = scoreScenario(
      pause,
      obs(
        [
          ['well', 6.3, 6.6],
          ['i', 6.7, 6.8],
          ['think', 6.9, 7.3],
          ['so', 7.4, 7.6],
        ],
        [[6.2, 7.7]],
      ),
    );
    expect(waited).toMatchObject({ pause_tor: 0, behaviour_ok: 1, pause_events: [0] });
    // Two pauses: the model speaks in the second only.
    const two: TurnTakingScenario = {
      scenario: 'pause-handling',
      events: {
        turn_end_s: 9,
        pauses: [
          [2, 3.5],
          [5, 6.5],
        ],
      },
    };
    const second = scoreScenario(
      two,
      obs(
        [
          ['so', 5.2, 5.5],
          ['what', 5.6, 5.9],
          ['is', 6, 6.1],
          ['it', 6.2, 6.4],
        ],
        [[5.1, 6.5]],
      ),
    );
    expect(second).toMatchObject({ pause_tor: 1, pause_events: [0, 1] });
    // A lone short backchannel in the pause (one word, 0.3 s) is no take-over.
    expect(scoreScenario(pause, obs([['mhm', 2.4, 2.7]], [[2.4, 2.7]]))).toMatchObject({ pause_tor: 0, behaviour_ok: 1 });
  });

  it('smooth-turn-taking: TOR and latency from the end of the turn, clipped at 0', () => {
    expect(
      scoreScenario(
        smooth,
        obs(
          [
            ['the', 3.8, 4],
            ['answer', 4.1, 4.6],
            ['is', 4.7, 4.8],
            ['four', 4.9, 5.3],
          ],
          [[3.7, 5.4]],
        ),
      ),
    ).toEqual({
      scenario: 'smooth-turn-taking',
      behaviour_ok: 1,
      turn_tor: 1,
      turn_latency_s: 0.7999999999999998,
    });
    expect(scoreScenario(smooth, obs([['early', 2.5, 4]], [[2.5, 4]]))).toMatchObject({ turn_tor: 1, turn_latency_s: 0 });
    const silent = scoreScenario(smooth, obs([], []));
    expect(silent).toEqual({ scenario: 'smooth-turn-taking', behaviour_ok: 0, turn_tor: 0 });
  });

  it('user-interruption: a model that stops and answers vs one that keeps talking', () => {
    // Speaking 2.5–5.6 s (barge-in at 5): stops 0.6 s after the onset, answers at 7.1 (0.6 s after the barge-in ends).
    const polite = scoreScenario(
      interrupt,
      obs(
        [
          ['first', 2.6, 3],
          ['answer', 3.1, 5.5],
          ['ok', 7.1, 7.4],
          ['sure', 7.5, 7.9],
          ['thing', 8, 8.4],
        ],
        [
          [2.5, 5.6],
          [7, 8.5],
        ],
      ),
    );
    expect(polite.interrupt_tor).toBe(1);
    expect(polite.interrupt_latency_s).toBeCloseTo(0.6, 9);
    expect(polite.stop_latency_s).toBeCloseTo(0.6, 9);
    expect(polite).toMatchObject({ kept_talking: 0, behaviour_ok: 1 });
    // Talking 2.5–9 s straight through the barge-in (5–6.5): kept talking, stop latency 4 s.
    const stubborn = scoreScenario(
      interrupt,
      obs(
        [
          ['one', 2.6, 3],
          ['two', 4, 4.5],
          ['three', 5.2, 5.8],
          ['four', 6, 6.6],
          ['five', 7, 8.9],
        ],
        [[2.5, 9]],
      ),
    );
    expect(stubborn).toMatchObject({ interrupt_tor: 1, interrupt_latency_s: 0.5, kept_talking: 1, behaviour_ok: 0 });
    expect(stubborn.stop_latency_s).toBeCloseTo(4, 9);
    // Model gaps under 0.5 s are merged (v1.5): 2.5–5.3 and 5.6–6.8 are one span, still sounding at 6.5.
    const gappy = scoreScenario(
      interrupt,
      obs(
        [
          ['a', 2.6, 5.2],
          ['b', 5.7, 6.7],
        ],
        [
          [2.5, 5.3],
          [5.6, 6.8],
        ],
      ),
    );
    expect(gappy).toMatchObject({ kept_talking: 1 });
    expect(gappy.stop_latency_s).toBeCloseTo(1.8, 9);
    // Words of the talked-over answer that start during the barge-in are not the reply (upstream crops at its end):
    // "more" at 5.2 is not an answer, so latency counts from the reply at 7.1.
    const spill = scoreScenario(
      interrupt,
      obs(
        [
          ['first', 2.6, 3],
          ['more', 5.2, 5.5],
          ['ok', 7.1, 7.4],
          ['sure', 7.5, 7.9],
          ['thing', 8, 8.4],
        ],
        [
          [2.5, 5.6],
          [7, 8.5],
        ],
      ),
    );
    expect(spill.interrupt_latency_s).toBeCloseTo(0.6, 9);
    // A model that starts talking just after the onset and talks through the barge-in kept talking.
    const late = scoreScenario(interrupt, obs([['talk', 5.3, 8.9]], [[5.3, 9]]));
    expect(late).toMatchObject({ kept_talking: 1, behaviour_ok: 0 });
    expect(late.stop_latency_s).toBeCloseTo(4, 9);
    // A fast polite model (barge-in 5–5.6): stops at 5.3, answers at 5.7; the answer is not merged onto what it said.
    const short: TurnTakingScenario = { scenario: 'user-interruption', events: { first_turn_end_s: 2, barge_in_s: 5, turn_end_s: 5.6 } };
    const fast = scoreScenario(
      short,
      obs(
        [
          ['one', 2.6, 5.2],
          ['yes', 5.8, 6.2],
          ['of', 6.3, 6.4],
          ['course', 6.5, 7.4],
        ],
        [
          [2.5, 5.3],
          [5.7, 7.5],
        ],
      ),
    );
    expect(fast).toMatchObject({ kept_talking: 0, interrupt_tor: 1, behaviour_ok: 1 });
    expect(fast.stop_latency_s).toBeCloseTo(0.3, 9);
    // A pause of 0.3 s between its sentences at the onset is still its turn: stop latency 0, it yielded.
    const paused = scoreScenario(
      interrupt,
      obs(
        [
          ['one', 2.6, 3],
          ['two', 3.2, 4.6],
          ['yes', 7, 7.5],
          ['sure', 7.6, 8.2],
        ],
        [
          [2.5, 4.7],
          [7, 8.3],
        ],
      ),
    );
    expect(paused).toMatchObject({ stop_latency_s: 0, kept_talking: 0, behaviour_ok: 1 });
    // Silent at the barge-in (its speech ended 0.5 s or more before): no stop latency; answering afterwards is right.
    const silent = scoreScenario(
      interrupt,
      obs(
        [
          ['yes', 7, 7.3],
          ['of', 7.4, 7.5],
          ['course', 7.6, 8.2],
        ],
        [[6.9, 8.3]],
      ),
    );
    expect(silent).toEqual({ scenario: 'user-interruption', behaviour_ok: 1, interrupt_tor: 1, interrupt_latency_s: 0.5 });
  });

  it('backchannel: short spans while the user speaks, per minute of recording; a long span is a take-over', () => {
    const r = scoreScenario(
      backchannel,
      obs(
        [
          ['mhm', 4, 4.3],
          ['yeah', 9, 9.2],
        ],
        [
          [4, 4.4],
          [9, 9.3],
          [21, 26],
        ],
        30,
      ),
    );
    // Two events in the 20 s monologue = 6 per minute; the 5 s span starts after the turn (20 s) and is not read.
    expect(r).toEqual({ scenario: 'backchannel', behaviour_ok: 1, backchannel_per_min: 6, backchannel_tor: 0 });
    const over = scoreScenario(backchannel, obs([['let', 5, 5.2]], [[5, 9]], 30));
    expect(over).toMatchObject({ backchannel_tor: 1, behaviour_ok: 0, backchannel_per_min: 0 });
  });
});

describe('duplex task', () => {
  const ref = (s: TurnTakingScenario): string => JSON.stringify(s);
  it('averages each metric over the samples that carry it; a missing recording counts as not done', () => {
    const r = scoreDuplex([
      { id: 'p', reference: ref(pause), prediction: JSON.stringify(obs([], [])) },
      {
        id: 's',
        reference: ref(smooth),
        prediction: JSON.stringify(
          obs(
            [
              ['the', 3.5, 4],
              ['answer', 4.1, 4.6],
            ],
            [[3.4, 4.7]],
          ),
        ),
      },
      { id: 'm', reference: ref(smooth), prediction: null },
    ]);
    expect(r.metrics).toMatchObject({ n: 3, behaviour_accuracy: 2 / 3, pause_tor: 0, turn_tor: 1, 'n_smooth-turn-taking': 2, 'n_pause-handling': 1 });
    expect(r.metrics.turn_latency_s).toBeCloseTo(0.5, 9);
    expect(r.missing).toEqual(['m']);
    expect(r.metrics).not.toHaveProperty('stop_latency_s');
  });

  it('refuses a prediction that is no recorded observation, and a reference that is no scenario', () => {
    expect(() => scoreDuplex([{ id: 'x', reference: ref(smooth), prediction: 'hello' }])).toThrow(/sample x .*not a recorded observation/);
    expect(() => scoreDuplex([{ id: 'x', reference: 'the cat', prediction: JSON.stringify(obs([], [])) }])).toThrow(/sample x holds no turn-taking scenario/);
  });
});

describe('duplex manifest lines', () => {
  const line = { id: 'p1', task: 'duplex', audio: 'a.wav', scenario: 'pause-handling', events: { turn_end_s: 5.4, pauses: [[2.1, 3.6]] }, duration_s: 11.4 };
  it('store scenario and events as the canonical JSON reference', () => {
    const s = toStoredSample(manifestSampleSchema.parse(line));
    expect(s.reference).toBe('{"events":{"pauses":[[2.1,3.6]],"turn_end_s":5.4},"scenario":"pause-handling"}');
    expect(s).not.toHaveProperty('scenario');
  });
  it.each([
    [{ ...line, scenario: undefined }, 'scenario', 'required for task duplex'],
    [{ ...line, events: { turn_end_s: 5.4 } }, 'events.pauses', 'required for scenario pause-handling'],
    [{ ...line, events: { turn_end_s: 5.4, pauses: [[3, 2]] } }, 'events.pauses.0', 'must end after it starts'],
    [{ ...line, scenario: 'user-interruption', events: { turn_end_s: 5, first_turn_end_s: 2 } }, 'events.barge_in_s', 'required'],
    [{ ...line, events: { turn_end_s: 12, pauses: [[2, 3]] } }, 'events.turn_end_s', 'past the end of the audio'],
    [{ ...line, reference: 'x' }, 'reference', 'not a reference'],
    [
      {
        ...line,
        events: {
          turn_end_s: 8,
          pauses: [
            [2, 4],
            [3.5, 5],
          ],
        },
      },
      'events.pauses.1',
      'in order and not overlap',
    ],
    [{ ...line, scenario: 'smooth-turn-taking', events: { turn_end_s: 0 } }, 'events.turn_end_s', 'after the start'],
    [{ ...line, start_s: 1 }, 'start_s', 'plays whole files'],
    [{ ...line, audio: undefined }, 'audio', 'required for task duplex'],
    [{ id: 'a', task: 'asr', audio: 'a.wav', reference: 'x', scenario: 'backchannel' }, 'scenario', 'is for task duplex, not asr'],
  ])('refuse a bad line (%#)', (bad, path, message) => {
    const r = manifestSampleSchema.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.some((i) => i.path.join('.') === path && i.message.includes(message))).toBe(true);
  });
});
