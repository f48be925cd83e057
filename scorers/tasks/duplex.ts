import { z } from 'zod';
import { parseDuplexObservation } from '../duplex/duplex-observation.js';
import { fullDuplexBenchVersion } from '../duplex/full-duplex-bench-version.js';
import { scoreScenario, type ScenarioScore } from '../duplex/score-scenario.js';
import { parseScenarioReference, scenarioNames } from '../duplex/turn-taking-scenario.js';
import type { ScoredSample, ScoreItem, ScoreTaskResult, TaskScoreOptions } from '../score-task.js';
import { missingIds } from './sample-fields.js';
import { formatMetric, type MetricSpec, type TaskSpec } from './task-spec.js';
import type { VersionedScorer } from './upstream-ref.js';

// Turn-taking scenarios played live to a realtime model (`evalgate duplex`,
// gateway/duplex/). The runner stores what it recorded of the model's channel
// (scorers/duplex/duplex-observation.ts) as the prediction; the scenario's
// event times are the reference. Scoring follows Full-Duplex-Bench; the rule
// per scenario is in scorers/duplex/score-scenario.ts.
const FDB: VersionedScorer = {
  version: `full-duplex-bench@${fullDuplexBenchVersion.split('@')[1]!.slice(0, 7)}`,
  upstream: [
    { repo: 'DanielLin94144/Full-Duplex-Bench', ref: 'd7336bda1385872b83b48a8d45d9c0003836a60d', path: 'v1_v1.5/evaluation/eval_pause_handling.py' },
    { repo: 'DanielLin94144/Full-Duplex-Bench', ref: 'd7336bda1385872b83b48a8d45d9c0003836a60d', path: 'v1_v1.5/evaluation/eval_smooth_turn_taking.py' },
    { repo: 'DanielLin94144/Full-Duplex-Bench', ref: 'd7336bda1385872b83b48a8d45d9c0003836a60d', path: 'v1_v1.5/evaluation/eval_user_interruption.py' },
    { repo: 'DanielLin94144/Full-Duplex-Bench', ref: 'd7336bda1385872b83b48a8d45d9c0003836a60d', path: 'v1_v1.5/evaluation/eval_backchannel.py' },
    { repo: 'DanielLin94144/Full-Duplex-Bench', ref: 'd7336bda1385872b83b48a8d45d9c0003836a60d', path: 'v1_v1.5/evaluation/get_timing.py' },
    { repo: 'DanielLin94144/Full-Duplex-Bench', ref: 'd7336bda1385872b83b48a8d45d9c0003836a60d', path: 'v1_v1.5/get_transcript/asr.py' },
  ],
};

/** duplex reads no scorer options. */
const duplexOptions = z.object({});

/** One scored scenario. */
export type DuplexScoredSample = ScoredSample & Partial<ScenarioScore> & { readonly behaviour_ok: 0 | 1 };

/** Corpus metrics: each is present only when some sample carries it. */
export type DuplexMetrics = Readonly<Record<string, number>>;

/** The per-scenario metrics, averaged over the samples that carry them. */
const averaged = [
  'behaviour_ok',
  'pause_tor',
  'turn_tor',
  'turn_latency_s',
  'interrupt_tor',
  'interrupt_latency_s',
  'stop_latency_s',
  'kept_talking',
  'backchannel_per_min',
  'backchannel_tor',
] as const;

/** Metric name of each averaged field (behaviour_ok's mean is the primary metric). */
const metricName = (field: (typeof averaged)[number]): string => (field === 'behaviour_ok' ? 'behaviour_accuracy' : field);

/** Scores recorded scenarios. A missing recording scores 0 (it did nothing right); one that is not an observation throws. */
export function scoreDuplex(items: readonly ScoreItem[], _options: TaskScoreOptions = {}): ScoreTaskResult<DuplexMetrics, DuplexScoredSample> {
  const samples = items.map((it): DuplexScoredSample => {
    const sc = parseScenarioReference(it.reference, it.id);
    if (it.prediction === null) return { id: it.id, missing: true, prediction: '', scenario: sc.scenario, behaviour_ok: 0 };
    const values = scoreScenario(sc, parseDuplexObservation(it.prediction, it.id));
    return { id: it.id, missing: false, prediction: it.prediction, ...values };
  });
  const metrics: Record<string, number> = { n: samples.length };
  for (const field of averaged) {
    const xs = samples.map((s) => s[field]).filter((x): x is number => typeof x === 'number');
    if (xs.length > 0) metrics[metricName(field)] = xs.reduce((a, b) => a + b, 0) / xs.length;
  }
  for (const name of scenarioNames) metrics[`n_${name}`] = samples.filter((s) => s.scenario === name).length;
  return { task: 'duplex', normalizer: 'none', metrics, samples, missing: missingIds(items) };
}

const metric = (name: string, description: string, direction: MetricSpec['direction'], pairedTest: MetricSpec['pairedTest']): MetricSpec => ({
  name,
  description,
  direction,
  pairedTest,
});

/** Turn-taking scenarios played in real time to a realtime model. */
export const duplexTask = {
  name: 'duplex',
  description: 'turn-taking scenarios played live to a realtime model (Full-Duplex-Bench: pauses, turn-taking, interruption, backchannel)',
  sample: {
    target: 'scenario',
    requiredMedia: 'audio',
    media: ['audio'],
    fields: z.object({ reference: z.string() }),
  },
  options: duplexOptions,
  defaultPrompt: '',
  scoreCommand: false,
  scoreSample: (item, options) => {
    const [s] = scoreDuplex([item], options).samples;
    if (s === undefined) throw new Error(`the duplex scorer returned no sample for item ${item.id}`);
    return s;
  },
  aggregate: scoreDuplex,
  metrics: [
    metric('behaviour_accuracy', "share of scenarios where the model did what the scenario asks (evalgate's summary across tasks)", 'higher', 'mcnemar'),
    metric('pause_tor', 'pause handling: take-over rate during mid-sentence pauses', 'lower', 'mcnemar'),
    metric('turn_tor', 'smooth turn-taking: take-over rate after the user ends', 'higher', 'mcnemar'),
    metric('turn_latency_s', 'smooth turn-taking: first word onset minus the end of the user turn, clipped at 0, s', 'lower', 'permutation'),
    metric('interrupt_tor', 'user interruption: the model answered after the barge-in', 'higher', 'mcnemar'),
    metric('interrupt_latency_s', "user interruption: first word after the barge-in minus the barge-in's end, s", 'lower', 'permutation'),
    metric('stop_latency_s', 'user interruption: barge-in onset to the end of the model speech sounding then, s', 'lower', 'permutation'),
    metric('kept_talking', 'user interruption: the model was still speaking when the barge-in ended', 'lower', 'mcnemar'),
    metric('backchannel_per_min', 'backchannel: short model spans (3 s or less) per minute while the user speaks', 'higher', 'permutation'),
    metric('backchannel_tor', 'backchannel: the model took over the monologue', 'lower', 'mcnemar'),
  ],
  primaryMetric: () => 'behaviour_accuracy',
  pairedItem: (s) => ({
    numerator: s.behaviour_ok,
    denominator: 1,
    score: s.behaviour_ok,
    errors: s.behaviour_ok === 1 ? '' : `${s.scenario ?? 'scenario'}: not as asked`,
  }),
  defaultNormalizer: () => 'none',
  metricSource: () => FDB,
  metricSources: [FDB],
  headline: (m) =>
    `behaviour ${formatMetric(m.behaviour_accuracy)}, pause TOR ${formatMetric(m.pause_tor)}, turn TOR ${formatMetric(m.turn_tor)}, stop latency ${formatMetric(m.stop_latency_s)} s`,
} as const satisfies TaskSpec<'duplex', DuplexScoredSample, DuplexMetrics>;
