// A pointwise judge rubric: the prompt a judge model is given for one answer,
// how its reply is read into a number, how often an unreadable reply is asked
// again, and the scale the run reports. Presets (judge-presets.ts) reproduce
// published rubrics; a reply no rule can read is never turned into a number.
import type { UpstreamRef } from '../tasks/upstream-ref.js';

/** How a judge's reply is read. Each rule is a pure function of the reply text. */
export type JudgeParseRule =
  /** AudioBench: the last whitespace-separated token as a number (`float(output.split()[-1])`), within the scale. */
  | 'last-token-number'
  /** MM-Vet: the first space-separated token as a number (`content.split(" ")[0].strip()`), within the scale. */
  | 'first-token-number'
  /** VoiceBench open: the whole reply as a number, else the first `[[n]]` (`float(score)`, then `extract_rating`), within the scale. */
  | 'number-or-double-bracket'
  /** Big Bench Audio: the reply is CORRECT (1) or INCORRECT (0), case and surrounding punctuation ignored. */
  | 'correct-incorrect';

/** Every parse rule, for validation and docs. */
export const judgeParseRules: readonly JudgeParseRule[] = ['last-token-number', 'first-token-number', 'number-or-double-bracket', 'correct-incorrect'];

/** What to do when a reply cannot be read. */
export interface JudgeReask {
  /** Further asks after the first unreadable reply (0: the sample fails at once). */
  readonly max: number;
  /** Appended to the prompt on re-asks (MM-Vet's "Predict the correctness of the answer (digit): "); none: the same prompt. */
  readonly promptSuffix?: string;
  /** Added to the temperature on each re-ask after the first (MM-Vet: +0.5); 0 or none: unchanged. */
  readonly temperatureStep?: number;
}

/** One rubric. */
export interface JudgeRubric {
  /** Name on the command line (`--rubric`). */
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly description: string;
  /** Behaviour version: changes whenever the prompt, the rule or the scale does. */
  readonly version: string;
  /**
   * The judge prompt. `{question}`, `{reference}` and `{prediction}` are
   * replaced once each, left to right, by plain substitution (no format
   * escapes), so a brace in an answer is never read as a placeholder.
   */
  readonly template: string;
  /** System message, when the upstream sends one. */
  readonly system?: string;
  /** Whether the prompt needs the sample's reference (a sample without one then fails at the judge stage). */
  readonly needsReference: boolean;
  /**
   * How the reference is written into the prompt: `plain` joins a list with
   * " / "; `mm-vet` joins a list with `<OR>` and spaces `<AND>`/`<OR>` as
   * MM-Vet's evaluator does (`.replace("<AND>", " <AND> ")`).
   */
  readonly referenceStyle: 'plain' | 'mm-vet';
  /** Temperature of the first ask of each judge sample. */
  readonly temperature: number;
  /** Output-token cap of each ask. */
  readonly maxOutputTokens: number;
  /** Independent judge samples per answer; the sample's score is their mean (VoiceBench: 3). */
  readonly samples: number;
  /** How a reply is read. */
  readonly parse: JudgeParseRule;
  /** The raw scale the rule accepts: a number outside it is unreadable, never clamped. */
  readonly scale: { readonly min: number; readonly max: number };
  /** The reported per-sample score is mean(raw) × multiplier (AudioBench: ×20, so 0–100). */
  readonly multiplier: number;
  /** Re-asks after an unreadable reply. */
  readonly reask: JudgeReask;
  /** Where the prompt, the rule and the scale come from (empty for a rubric of this project). */
  readonly upstream: readonly UpstreamRef[];
}

// A decimal number as Python's float() reads the judges' replies in practice
// (sign, digits, optional fraction, optional exponent). No inf/nan: no judge
// scale contains them.
const decimal = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function inScale(text: string, scale: JudgeRubric['scale']): number | undefined {
  const t = text.trim();
  if (!decimal.test(t)) return undefined;
  const x = Number(t);
  return Number.isFinite(x) && x >= scale.min && x <= scale.max ? x : undefined;
}

/**
 * Reads one judge reply under `rubric`'s rule: the raw score, or undefined when
 * the reply cannot be read. Never a default, never a guess.
 */
export function parseJudgeReply(rubric: Pick<JudgeRubric, 'parse' | 'scale'>, reply: string): number | undefined {
  const text = reply.trim();
  switch (rubric.parse) {
    case 'last-token-number': {
      const tokens = text.split(/\s+/u).filter((t) => t !== '');
      const last = tokens[tokens.length - 1];
      return last === undefined ? undefined : inScale(last, rubric.scale);
    }
    case 'first-token-number': {
      // Upstream splits on a single space and strips the first piece.
      const first = text.split(' ')[0];
      return first === undefined ? undefined : inScale(first, rubric.scale);
    }
    case 'number-or-double-bracket': {
      const whole = inScale(text, rubric.scale);
      if (whole !== undefined) return whole;
      const m = /\[\[(\d+)\]\]/u.exec(text);
      return m?.[1] === undefined ? undefined : inScale(m[1], rubric.scale);
    }
    case 'correct-incorrect': {
      const word = text.replace(/^[\s*"'`.:!]+|[\s*"'`.:!]+$/gu, '').toUpperCase();
      if (word === 'CORRECT') return 1;
      if (word === 'INCORRECT') return 0;
      return undefined;
    }
  }
}

/** The reference as `rubric` writes it into the prompt ('' for none). */
export function formatJudgeReference(rubric: Pick<JudgeRubric, 'referenceStyle'>, reference: string | readonly string[] | null): string {
  if (reference === null) return '';
  if (rubric.referenceStyle === 'mm-vet') {
    const joined = typeof reference === 'string' ? reference : reference.join('<OR>');
    return joined.replaceAll('<AND>', ' <AND> ').replaceAll('<OR>', ' <OR> ');
  }
  return typeof reference === 'string' ? reference : reference.join(' / ');
}

/** What a prompt is filled from. */
export interface JudgeInput {
  /** The sample's question (empty when it has none). */
  readonly question: string;
  /** The reference answer(s), joined for display. */
  readonly reference: string;
  /** The judged model's answer. */
  readonly prediction: string;
}

/**
 * The prompt for one answer. Placeholders are replaced in one pass, so text
 * inserted for one placeholder is never scanned for another (an answer that
 * contains "{reference}" stays as it is).
 */
export function renderJudgePrompt(template: string, input: JudgeInput): string {
  return template.replace(/\{(question|reference|prediction)\}/gu, (_m, key: keyof JudgeInput) => input[key]);
}
