// In-memory compare inputs for tests that score runs without a database:
// a run header and one prediction joined with its sample, with every field a
// test does not name set to its empty value.
import type { RunHeader, SampleOutcome } from '../../gateway/compare/load-run-outcomes.js';

/** A completed generalist run of `task` on dataset `d`, with model `m-<id>` unless `fields` say otherwise. */
export function runHeader(id: string, task: string, fields: Partial<RunHeader> = {}): RunHeader {
  return {
    id,
    modelId: `m-${id}`,
    modelKind: 'generalist',
    task,
    datasetId: 'd',
    datasetSealed: false,
    datasetDigest: null,
    promptTemplate: null,
    normalizer: null,
    scoring: {},
    status: 'completed',
    finishedAt: null,
    ...fields,
  };
}

/** An `ok` prediction of sample `sampleKey`; reference, answers, choices and latencies empty unless given. */
export function sampleOutcome(sampleKey: string, prediction: string, fields: Partial<SampleOutcome> = {}): SampleOutcome {
  return {
    sampleId: sampleKey,
    sampleKey,
    status: 'ok',
    prediction,
    reference: null,
    humanAnswers: null,
    answer: null,
    choices: null,
    lang: null,
    tags: [],
    media: [],
    latencyTotalMs: null,
    latencyRequestMs: null,
    latencyFirstTokenMs: null,
    audioSeconds: null,
    ...fields,
  };
}
