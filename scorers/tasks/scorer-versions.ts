// The exact scorer components a run's numbers come from. A run stores this
// (runs.config.scorerVersions) and compare warns when two runs' differ, so
// numbers produced by different upstream definitions are never silently mixed.
import { DEFAULT_EXTRACTOR, extractors, isExtractorName } from '../mcq/mcq-extractors.js';
import { isNormalizerName, normalizers } from '../normalizers/normalizer-registry.js';
import { getTask } from './index.js';

/** Versions of the scorer components one task's scoring used. */
export interface ScorerVersions {
  /** The task name. */
  readonly task: string;
  /** Normalizer version (`whisper-en@v20250625`), the task's default when the options name none. */
  readonly normalizer: string;
  /** Answer extractor version, for tasks scored against a choice. */
  readonly extractor?: string;
  /** Metric implementation version (`jiwer@v4.0.0`). */
  readonly metric: string;
  /** The metric's settings, for tasks that sign them (ast: sacrebleu's signatures without `nrefs`). */
  readonly signature?: string;
}

const versionOf = (name: string, known: boolean, version: (n: string) => string): string => (known ? version(name) : `${name}@unknown`);

/**
 * The scorer versions `task` uses under `options` (a run's stored scorer
 * options; unknown keys ignored). Throws a RangeError for an unknown task.
 */
export function scorerVersions(task: string, options: Readonly<Record<string, unknown>> = {}): ScorerVersions {
  const spec = getTask(task);
  if (!spec) throw new RangeError(`unknown task "${task}"`);
  const unit = options.unit === 'word' || options.unit === 'char' || options.unit === 'mixed' ? options.unit : undefined;
  const normalizer = typeof options.normalizer === 'string' ? options.normalizer : spec.defaultNormalizer({ unit });
  const out: { task: string; normalizer: string; extractor?: string; metric: string; signature?: string } = {
    task: spec.name,
    normalizer: versionOf(normalizer, isNormalizerName(normalizer), (n) => normalizers[n as keyof typeof normalizers].version),
    metric: spec.metricSource({ unit }).version,
  };
  // Only tasks whose options take an extractor (mcq) use one; mmau matches choice texts.
  if (spec.sample.target === 'choice' && 'extractor' in spec.options.parse({ extractor: DEFAULT_EXTRACTOR })) {
    const extractor = typeof options.extractor === 'string' ? options.extractor : DEFAULT_EXTRACTOR;
    out.extractor = versionOf(extractor, isExtractorName(extractor), (n) => extractors[n as keyof typeof extractors].version);
  }
  if (spec.metricSignature) {
    // Options the task rejects are scoring's error to report; the record then simply has no signature.
    try {
      out.signature = spec.metricSignature(options);
    } catch {
      // no signature
    }
  }
  return out;
}

/** A scorer component whose recorded versions differ among runs. */
export interface ScorerVersionDifference {
  /** `normalizer`, `extractor`, `metric` or `signature`. */
  readonly component: 'normalizer' | 'extractor' | 'metric' | 'signature';
  /** The distinct versions, in the runs' order. */
  readonly versions: readonly string[];
}

/**
 * Components whose versions differ among runs' records. A run without a record
 * (recorded before versions were stored) or without that component is unknown
 * and never makes a difference; `records` are read defensively (stored JSON).
 */
export function differingScorerVersions(records: readonly unknown[]): ScorerVersionDifference[] {
  const out: ScorerVersionDifference[] = [];
  for (const component of ['normalizer', 'extractor', 'metric', 'signature'] as const) {
    const versions = new Set<string>();
    for (const r of records) {
      const v = r && typeof r === 'object' ? (r as Record<string, unknown>)[component] : undefined;
      if (typeof v === 'string') versions.add(v);
    }
    if (versions.size > 1) out.push({ component, versions: [...versions] });
  }
  return out;
}
