// compare's check on judged runs: two judge-score runs whose judges differ in
// model, prompt, temperature, sample count or parse rule are not measuring
// with the same instrument, and the comparison says so.

/** The recorded judge fields compare checks, in the order it names them. */
export const comparedJudgeFields = ['modelId', 'promptTemplate', 'temperature', 'samples', 'parseRule'] as const;

/** A judge field whose recorded values differ among runs. */
export interface JudgeSettingDifference {
  /** The field (`modelId`, `promptTemplate`, `temperature`, `samples`, `parseRule`). */
  readonly field: (typeof comparedJudgeFields)[number];
  /** The distinct values, in the runs' order (prompt templates shortened). */
  readonly values: readonly string[];
}

const shown = (field: string, v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  // Two prompts are told apart by their starts (a rubric's header) and lengths, not printed whole.
  return field === 'promptTemplate' && s.length > 40 ? `${JSON.stringify(s.slice(0, 40))}… (${s.length} chars)` : s;
};

/**
 * Fields whose values differ among runs' `config.judge` records (read
 * defensively: stored JSON). A run without a record is not a judged run and
 * makes no difference; compare only puts runs of one task side by side.
 */
export function differingJudgeSettings(records: readonly unknown[]): JudgeSettingDifference[] {
  const judged = records.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object');
  if (judged.length < 2) return [];
  const out: JudgeSettingDifference[] = [];
  for (const field of comparedJudgeFields) {
    const values = new Map<string, string>();
    for (const r of judged) {
      const key = JSON.stringify(r[field] ?? null);
      if (!values.has(key)) values.set(key, shown(field, r[field] ?? null));
    }
    if (values.size > 1) out.push({ field, values: [...values.values()] });
  }
  return out;
}
