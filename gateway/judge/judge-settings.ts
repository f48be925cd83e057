// What a judged run records about its judge, and the identity (config hash)
// that makes `evalgate judge` with the same judge, rubric and source run
// continue the same judged run instead of starting another.
import { createHash } from 'node:crypto';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import { EvalgateError } from '../errors.js';
import { findJudgeRubric, judgeRubricNames } from '../../scorers/judge/judge-presets.js';
import type { JudgeRubric } from '../../scorers/judge/judge-rubric.js';
import { formatUpstream } from '../../scorers/tasks/upstream-ref.js';
import { stableJson } from '../runner/response-cache.js';
import { redactModelConfig } from '../runner/prepare-run.js';

/**
 * The judge settings stored in a judged run's `config.judge`. compare warns
 * when two runs differ in `modelId`, `promptTemplate`, `temperature`,
 * `samples` or `parseRule` (gateway/judge/judge-setting-differences.ts).
 */
export interface JudgeSettings {
  /** Rubric name (`audiobench-open`, `mm-vet`…). */
  readonly rubric: string;
  /** Rubric behaviour version. */
  readonly rubricVersion: string;
  /** The judge's model id (configuration or preset). */
  readonly modelId: string;
  /** Its adapter. */
  readonly adapter: string;
  /** The provider's model name, when the adapter has one. */
  readonly providerModel: string | null;
  /** The exact prompt template. */
  readonly promptTemplate: string;
  /** System message, or null. */
  readonly system: string | null;
  /** Temperature of each first ask. */
  readonly temperature: number;
  /** Judge samples per answer (their mean is the score). */
  readonly samples: number;
  /** Output-token cap per ask. */
  readonly maxOutputTokens: number;
  /** How replies are read (scorers/judge/judge-rubric.ts). */
  readonly parseRule: string;
  /** The raw scale the rule accepts. */
  readonly scale: { readonly min: number; readonly max: number };
  /** Reported score = mean(raw) × multiplier. */
  readonly multiplier: number;
  /** Re-asks after an unreadable reply. */
  readonly reask: { readonly max: number; readonly promptSuffix: string | null; readonly temperatureStep: number };
  /** Upstream files the rubric reproduces (`repo@commit path symbol`). */
  readonly upstream: readonly string[];
}

/** The recorded settings for `rubric` judged by `model`. */
export function judgeSettingsOf(rubric: JudgeRubric, model: ModelConfig): JudgeSettings {
  return {
    rubric: rubric.name,
    rubricVersion: rubric.version,
    modelId: model.id,
    adapter: model.adapter,
    providerModel: model.model ?? null,
    promptTemplate: rubric.template,
    system: rubric.system ?? null,
    temperature: rubric.temperature,
    samples: rubric.samples,
    maxOutputTokens: rubric.maxOutputTokens,
    parseRule: rubric.parse,
    scale: rubric.scale,
    multiplier: rubric.multiplier,
    reask: { max: rubric.reask.max, promptSuffix: rubric.reask.promptSuffix ?? null, temperatureStep: rubric.reask.temperatureStep ?? 0 },
    upstream: rubric.upstream.map(formatUpstream),
  };
}

/**
 * The judged run's identity: the source run, the judge's model configuration
 * (secret-looking options redacted) and the settings. Same hash, same judged
 * run: re-running `evalgate judge` continues it.
 */
export function judgeConfigHash(sourceRunId: string, model: ModelConfig, settings: JudgeSettings): string {
  const ident = { kind: 'judge-score', sourceRunId, judgeModel: redactModelConfig(model), judge: settings };
  return createHash('sha256').update(stableJson(ident)).digest('hex');
}

/** Where the rubric choice came from. */
export interface RubricChoice {
  /** The rubric. */
  readonly rubric: JudgeRubric;
  /** `--rubric`, `judge.rubrics.<dataset>`, `judge.rubrics.<task>` or `judge.rubric`. */
  readonly from: string;
}

/**
 * The rubric for judging a run: `--rubric`, else the configuration's
 * `judge.rubrics` entry for the run's dataset name, else for its task, else
 * `judge.rubric`. An unknown name is EVALGATE_ERR_BAD_INPUT listing the presets.
 */
export function chooseRubric(config: EvalgateConfig, opts: { rubric?: string; datasetName?: string | null; task: string }): RubricChoice {
  const byName = config.judge?.rubrics ?? {};
  const candidates: [string | undefined, string][] = [
    [opts.rubric, '--rubric'],
    [opts.datasetName && Object.hasOwn(byName, opts.datasetName) ? byName[opts.datasetName] : undefined, `judge.rubrics.${opts.datasetName ?? ''}`],
    [Object.hasOwn(byName, opts.task) ? byName[opts.task] : undefined, `judge.rubrics.${opts.task}`],
    [config.judge?.rubric, 'judge.rubric'],
  ];
  for (const [name, from] of candidates) {
    if (name === undefined) continue;
    const rubric = findJudgeRubric(name);
    if (!rubric) {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `unknown rubric "${name}" (from ${from}); rubrics: ${judgeRubricNames.join(', ')}` });
    }
    return { rubric, from };
  }
  throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
    detail: `no rubric for this run: pass --rubric (${judgeRubricNames.join(', ')}) or set judge.rubric / judge.rubrics in the configuration`,
  });
}

/** The judge's model id: `--judge`, else the configuration's `judge.model`. */
export function chooseJudgeModelId(config: EvalgateConfig, judge?: string): string {
  const id = judge ?? config.judge?.model;
  if (!id) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'no judge model: pass --judge ID or set judge.model in the configuration' });
  return id;
}
