// scorers/duplex against hand-computed values and against the figures
// Full-Duplex-Bench's own scripts print on their example data (run once at
// d7336bd: pause handling TOR 1.0; smooth turn-taking TOR 1.0, latency 1.35 s).
// The example transcripts' word timings are copied here as data. The span
// functions also agreed with upstream's `_merge`, `overlaps` and
// `response_gaps` on 300 random span lists (a one-off check, Python 3.11).
import { describe, expect, it } from 'vitest';
import { backchannelEvents } from '../../scorers/duplex/backchannel-events.js';
import { mergeSpeechSpans, MODEL_MERGE_GAP_SECONDS, USER_MERGE_GAP_SECONDS } from '../../scorers/duplex/merge-speech-spans.js';
import { overlapIntervals, responseGaps } from '../../scorers/duplex/overlap-intervals.js';
import { spokenDurationSeconds, takesTurn, turnLatencySeconds } from '../../scorers/duplex/takes-turn.js';
import type { SpeechSpan, TimedWord } from '../../scorers/duplex/timed-word.js';

const words = (rows: readonly (readonly [string, number, number | null])[]): TimedWord[] =>
  rows.map(([text, startSecond, endSecond]) => ({ text, startSecond, endSecond }));
const spans = (rows: readonly (readonly [number, number])[]): SpeechSpan[] => rows.map(([startSecond, endSecond]) => ({ startSecond, endSecond }));

// example_data/pause_handling_example/1/output.json (pause at 3.32–4.0 s).
const pauseExample = words([
  ['A', 0.0, 1.64],
  ['[UH]', 1.64, 2.14],
  ['abert', 2.14, 2.58],
  ['because', 2.58, 2.88],
  ['you', 2.88, 3.3],
  ['actually', 3.3, 3.58],
  ['got', 3.58, 3.74],
  ['a', 3.74, 3.92],
  ['question.', 3.92, 4.02],
  ['But', 4.02, 4.06],
  ['you', 4.06, 4.18],
  ['had.', 4.18, 4.68],
]);
// example_data/smooth_turn_taking_example/1: the user's turn ends at 2.0100000000000016 s; the model's first words.
const smoothExample = words([
  ['Yes,', 3.36, 3.9],
  ['it', 4.46, 4.6899999999999995],
  ['is', 4.6899999999999995, 4.84],
  ['my', 4.84, 5.04],
]);

describe('take-over (Full-Duplex-Bench turn rule)', () => {
  it('reproduces upstream on its examples: pause handling TOR 1; smooth turn-taking TOR 1 with latency 1.35 s', () => {
    expect(takesTurn(pauseExample)).toBe(1);
    expect(spokenDurationSeconds(pauseExample)).toBeCloseTo(4.68, 12);
    expect(takesTurn(smoothExample)).toBe(1);
    expect(turnLatencySeconds(smoothExample, 2.0100000000000016)).toBeCloseTo(1.35, 12);
  });

  it('silence is no turn; ≥ 1 s or more than 3 words is a turn; a short backchannel is not', () => {
    expect(takesTurn([])).toBe(0);
    expect(turnLatencySeconds([], 1)).toBeNull();
    // "mm-hm yeah" in 0.5 s: 2 words, under 1 s.
    expect(
      takesTurn(
        words([
          ['mm-hm', 5, 5.3],
          ['yeah', 5.3, 5.5],
        ]),
      ),
    ).toBe(0);
    // 3 words in 0.9 s: still not a turn (the rule is "more than 3").
    expect(
      takesTurn(
        words([
          ['a', 5, 5.3],
          ['b', 5.3, 5.6],
          ['c', 5.6, 5.9],
        ]),
      ),
    ).toBe(0);
    // 4 words in 0.9 s: a turn.
    expect(
      takesTurn(
        words([
          ['a', 5, 5.2],
          ['b', 5.2, 5.4],
          ['c', 5.4, 5.6],
          ['d', 5.6, 5.9],
        ]),
      ),
    ).toBe(1);
    // One word lasting exactly 1 s: a turn (the threshold is inclusive).
    expect(takesTurn(words([['hello', 5, 6]]))).toBe(1);
    // A last word without an end: its onset stands in (0.5 s, 2 words → no turn).
    expect(
      spokenDurationSeconds(
        words([
          ['a', 5, 5.2],
          ['b', 5.5, null],
        ]),
      ),
    ).toBeCloseTo(0.5, 12);
    expect(
      takesTurn(
        words([
          ['a', 5, 5.2],
          ['b', 5.5, null],
        ]),
      ),
    ).toBe(0);
  });

  it('latency is the first onset minus the user turn end, clipped at 0 when the model starts early', () => {
    const reply = words([
      ['sure', 3.0, 3.4],
      ['thing', 3.4, 4.2],
    ]);
    expect(turnLatencySeconds(reply, 2.25)).toBeCloseTo(0.75, 12);
    expect(turnLatencySeconds(reply, 3.5)).toBe(0);
  });
});

describe('v1.5 timing (get_timing.py)', () => {
  it('merges spans whose gap is at most the threshold, in time order', () => {
    expect(
      mergeSpeechSpans(
        spans([
          [3, 4],
          [0, 1],
          [1.5, 2.25],
        ]),
        USER_MERGE_GAP_SECONDS,
      ),
    ).toEqual(
      spans([
        [0, 2.25],
        [3, 4],
      ]),
    );
    // Float arithmetic as upstream's: 1.6 − 1 is 0.6000000000000001, above the 0.6 gap, so these stay apart.
    expect(
      mergeSpeechSpans(
        spans([
          [0, 1],
          [1.6, 2],
        ]),
        USER_MERGE_GAP_SECONDS,
      ),
    ).toEqual(
      spans([
        [0, 1],
        [1.6, 2],
      ]),
    );
    expect(
      mergeSpeechSpans(
        spans([
          [0, 1],
          [1.61, 2],
        ]),
        USER_MERGE_GAP_SECONDS,
      ),
    ).toEqual(
      spans([
        [0, 1],
        [1.61, 2],
      ]),
    );
    expect(
      mergeSpeechSpans(
        spans([
          [0, 1],
          [1.4, 2],
          [2.4, 3],
        ]),
        MODEL_MERGE_GAP_SECONDS,
      ),
    ).toEqual(spans([[0, 3]]));
    expect(mergeSpeechSpans([], 0.5)).toEqual([]);
  });

  it('stop latency: the overlap from the barge-in onset until the model stops', () => {
    // The model speaks 1–6 s; the user barges in at 4.2 s and talks until 7 s; the model stops at 6 s.
    expect(
      overlapIntervals(
        spans([
          [0, 0.8],
          [4.2, 7],
        ]),
        spans([[1, 6]]),
      ),
    ).toEqual(spans([[4.2, 6]]));
    // A model that never stops overlaps until the user ends.
    expect(overlapIntervals(spans([[4.2, 7]]), spans([[1, 9]]))).toEqual(spans([[4.2, 7]]));
    // Two user spans overlapping one model span end at different times: both kept, sorted by end.
    expect(
      overlapIntervals(
        spans([
          [2, 3],
          [4, 5],
        ]),
        spans([[1, 6]]),
      ),
    ).toEqual(
      spans([
        [2, 3],
        [4, 5],
      ]),
    );
    // No overlap when they take turns.
    expect(overlapIntervals(spans([[0, 2]]), spans([[2.5, 4]]))).toEqual([]);
  });

  it('keeps the shortest of overlaps ending at the same millisecond', () => {
    // User 0–3 and 2.5–8 against model 1–3 and 5.5–8: one overlap per model span.
    expect(
      overlapIntervals(
        spans([
          [0, 3],
          [2.5, 8],
        ]),
        spans([
          [1, 3],
          [5.5, 8],
        ]),
      ),
    ).toEqual(
      spans([
        [1, 3],
        [5.5, 8],
      ]),
    );
    expect(
      overlapIntervals(
        spans([[0, 3]]),
        spans([
          [1, 3],
          [2, 3],
        ]),
      ),
    ).toEqual(spans([[2, 3]]));
  });

  it('response gaps: user end to the next model onset, keeping the latest user end per onset', () => {
    expect(
      responseGaps(
        spans([
          [0, 2],
          [2.8, 3.1],
          [7, 8],
        ]),
        spans([
          [3.6, 6],
          [8.25, 9],
        ]),
      ),
    ).toEqual(
      spans([
        [3.1, 3.6],
        [8, 8.25],
      ]),
    );
    // No model speech after the user's last span: no gap for it.
    expect(
      responseGaps(
        spans([
          [0, 2],
          [9, 10],
        ]),
        spans([[3, 4]]),
      ),
    ).toEqual(spans([[2, 3]]));
  });
});

describe('backchannel (eval_backchannel.py)', () => {
  const mmhm = words([
    ['mm-hm', 2.0, 2.3],
    ['yeah', 8.1, 8.4],
    ['right', 15.0, 15.2],
  ]);

  it('counts short model spans while the user speaks, per second and per minute', () => {
    const r = backchannelEvents(
      spans([
        [2.0, 2.4],
        [8.1, 8.5],
        [15.0, 15.3],
      ]),
      mmhm,
      30,
    );
    expect(r.events).toHaveLength(3);
    expect(r.tookTurn).toBe(0);
    expect(r.eventsPerSecond).toBeCloseTo(0.1, 12);
    expect(r.eventsPerMinute).toBeCloseTo(6, 12);
  });

  it('a span over 3 s is a turn and ends the count; a 1 s span flags a turn yet still counts', () => {
    const long = backchannelEvents(
      spans([
        [2.0, 2.4],
        [8.0, 11.5],
        [15.0, 15.3],
      ]),
      mmhm,
      30,
    );
    expect(long.events).toEqual(spans([[2.0, 2.4]]));
    expect(long.tookTurn).toBe(1);
    const oneSecond = backchannelEvents(spans([[2.0, 3.0]]), mmhm, 30);
    expect(oneSecond.events).toHaveLength(1);
    expect(oneSecond.tookTurn).toBe(1);
    // Three words inside a short span: a turn by words.
    const talky = backchannelEvents(
      spans([[2.0, 2.8]]),
      words([
        ['no', 2.0, 2.2],
        ['I', 2.2, 2.4],
        ['mean', 2.4, 2.7],
      ]),
      30,
    );
    expect(talky.tookTurn).toBe(1);
    // As upstream, the flag is the last short span's: a later plain backchannel resets it.
    expect(
      backchannelEvents(
        spans([
          [2.0, 3.0],
          [8.1, 8.5],
        ]),
        mmhm,
        30,
      ).tookTurn,
    ).toBe(0);
  });

  it('no model speech: no events, no turn; a recording length must be positive', () => {
    expect(backchannelEvents([], [], 10)).toEqual({ events: [], tookTurn: 0, eventsPerSecond: 0, eventsPerMinute: 0 });
    expect(() => backchannelEvents([], [], 0)).toThrow(RangeError);
  });
});
