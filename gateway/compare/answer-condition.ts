/**
 * How a run's model answered: in text, or in speech heard by a local ASR
 * expert (issue 17; `config.speech`). The same model in both conditions is
 * two entries wherever runs are compared or ranked, never one run replacing
 * the other: the label is the model id, with " (speech)" for spoken answers.
 */
export type AnswerCondition = 'text' | 'speech';

/** The condition recorded in a run's config. */
export function answerConditionOf(config: Readonly<Record<string, unknown>> | null | undefined): AnswerCondition {
  return config?.speech ? 'speech' : 'text';
}

/** The model as comparisons show and group it: `gpt-4o`, or `gpt-4o (speech)`. */
export function conditionModelLabel(modelId: string, config: Readonly<Record<string, unknown>> | null | undefined): string {
  return answerConditionOf(config) === 'speech' ? `${modelId} (speech)` : modelId;
}

/** The model id behind a label of {@link conditionModelLabel} (arena ratings are per model, whichever condition). */
export function modelIdOfLabel(label: string): string {
  return label.endsWith(' (speech)') ? label.slice(0, -' (speech)'.length) : label;
}
