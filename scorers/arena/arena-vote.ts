/**
 * One pairwise vote of the arena, from a person or from a judge model. Plain
 * data: the arena storage (later) turns its rows into these and hands them to
 * `computeArenaRatings`.
 */

/** The five levels of a pairwise preference, as FlagEval's arena and Arena-Hard-Auto's judge use them. */
export type FiveLevelVote = 'A>>B' | 'A>B' | 'A=B' | 'B>A' | 'B>>A';

/** Who cast a vote. Ratings are computed per source; mixing them must be asked for. */
export type VoteSource = 'human' | 'judge';

/** The five levels in order, strongest preference for A first. */
export const FIVE_LEVEL_VOTES: readonly FiveLevelVote[] = Object.freeze(['A>>B', 'A>B', 'A=B', 'B>A', 'B>>A']);

/**
 * Style of one answer, for style control (FastChat `conv_metadata`:
 * `sum_assistant_*_tokens`, `header_count_*`, `list_count_*`, `bold_count_*`).
 * `markdownStyleCounts` gives the three markdown counts of a text.
 */
export interface AnswerStyle {
  /** Answer length; FastChat counts tokens, any consistent unit works (only ratios enter). */
  readonly length: number;
  /** Markdown headers (h1–h6). */
  readonly headers: number;
  /** Markdown list items (ordered and unordered). */
  readonly lists: number;
  /** Markdown bold spans (** and __). */
  readonly bold: number;
}

/** One battle's outcome. */
export interface ArenaVote {
  /** The model shown as side A. */
  readonly modelA: string;
  /** The model shown as side B. */
  readonly modelB: string;
  /** The preference on the five-level scale. */
  readonly vote: FiveLevelVote;
  /** A person ('human') or a judge model ('judge'). */
  readonly source: VoteSource;
  /** Who voted (a key id or a judge id); needed only by the per-voter outlier test. */
  readonly voterKey?: string;
  /** Both answers' style; needed only for style control. */
  readonly style?: { readonly a: AnswerStyle; readonly b: AnswerStyle };
}

/** True for the five levels, so callers can validate untrusted input before rating. */
export function isFiveLevelVote(value: unknown): value is FiveLevelVote {
  return typeof value === 'string' && (FIVE_LEVEL_VOTES as readonly string[]).includes(value);
}
