import type { StoredArenaAnswer, StoredArenaBattle, StoredBattleVote } from '../store/arena-battle-repo.js';
import type { ArenaMedia } from '../store/database.js';
import type { BattleSide, LiveSide } from './battle-events.js';
import type { BattleLinks } from './battle-links.js';

// What a battle looks like to its voter (docs/api.md "Arena"). The rule that
// matters: before the vote nothing names a model. Not the sides, not the
// media links, not a failed side's error (a provider's message can say
// "model gpt-4o does not exist"): only its code. After the vote the names,
// and the errors' messages, are shown.

/** A media file as a client sees it: a signed link, never a server path. */
export interface BattleMediaView {
  /** `audio`, `image` or `video`. */
  readonly kind: string;
  /** Mime type of the file. */
  readonly mime: string;
  /** Signed link, usable without a header. */
  readonly url: string;
  /** When the link stops working (ISO 8601). */
  readonly urlExpiresAt: string;
}

/** One side as a client sees it. */
export interface BattleSideView {
  /** `pending`, `ok` or `failed`. */
  readonly status: 'pending' | 'ok' | 'failed';
  /** The answer (`ok`), or what streamed so far (`pending`, when this process answers it). */
  readonly text?: string;
  /** Answer media (audio answers). */
  readonly media?: readonly BattleMediaView[];
  /** A failed side's error: the code, and after the vote the message. */
  readonly error?: { readonly code: string; readonly message?: string };
  /** Request start to first text, ms. */
  readonly latencyFirstTokenMs?: number | null;
  /** Request start to the whole answer, ms. */
  readonly latencyTotalMs?: number | null;
}

/** `GET /v1/arena/battles/:id`. */
export interface BattleView {
  /** Battle id. */
  readonly id: string;
  /** `text`, `audio`, `image` or `video`. */
  readonly modality: string;
  /** When it was created (ISO 8601). */
  readonly createdAt: string;
  /** The prompt. */
  readonly prompt: { readonly text: string | null; readonly media: readonly BattleMediaView[] };
  /** The dataset a preset prompt was drawn from (never its capability tags). */
  readonly preset: { readonly dataset: string } | null;
  /** The two sides, A on the left. */
  readonly sides: Readonly<Record<BattleSide, BattleSideView>>;
  /** Whether a vote is accepted now. */
  readonly votable: boolean;
  /** The stored vote. */
  readonly vote: { readonly vote: string; readonly bothBad: boolean; readonly createdAt: string } | null;
  /** The model of each side, once voted on. */
  readonly models: { readonly A: string; readonly B: string } | null;
}

/** Signed links for stored media; `name` is `prompt-N` or `<side>-N`. */
export function mediaViews(links: BattleLinks, battleId: string, prefix: string, media: readonly ArenaMedia[]): BattleMediaView[] {
  return media.map((m, i) => {
    const signed = links.mediaUrl(battleId, `${prefix}-${i}`);
    return { kind: m.kind, mime: m.mime, url: signed.url, urlExpiresAt: signed.expiresAt.toISOString() };
  });
}

/** Everything the view is made of. */
export interface BattleViewInput {
  readonly battle: StoredArenaBattle;
  readonly answers: readonly StoredArenaAnswer[];
  readonly vote: StoredBattleVote | undefined;
  /** This process's live state of the sides, when it is answering them. */
  readonly live?: Readonly<Record<BattleSide, Readonly<LiveSide>>>;
  /** The preset dataset's name. */
  readonly presetDataset?: string;
}

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

/** The battle as its voter sees it now. */
export function battleView(input: BattleViewInput, links: BattleLinks): BattleView {
  const { battle, answers, vote, live } = input;
  const voted = vote !== undefined;
  const side = (s: BattleSide): BattleSideView => {
    const row = answers.find((a) => a.side === s);
    if (!row) {
      const text = live?.[s]?.status === 'pending' ? live[s].text : '';
      return { status: 'pending', ...(text ? { text } : {}) };
    }
    if (row.status === 'failed') {
      const code = row.error?.code ?? 'EVALGATE_ERR_MODEL_CALL_FAILED';
      return { status: 'failed', error: voted ? { code, message: row.error?.message ?? '' } : { code } };
    }
    return {
      status: 'ok',
      text: row.output_text ?? '',
      media: mediaViews(links, battle.id, s, row.output_media),
      latencyFirstTokenMs: row.latency_first_token_ms,
      latencyTotalMs: row.latency_total_ms,
    };
  };
  const sides = { A: side('A'), B: side('B') };
  return {
    id: battle.id,
    modality: battle.modality,
    createdAt: iso(battle.created_at),
    prompt: { text: battle.prompt_text, media: mediaViews(links, battle.id, 'prompt', battle.prompt_media) },
    preset: battle.preset_dataset_id ? { dataset: input.presetDataset ?? battle.preset_dataset_id } : null,
    sides,
    votable: !voted && sides.A.status === 'ok' && sides.B.status === 'ok',
    vote: vote ? { vote: vote.vote, bothBad: vote.both_bad, createdAt: iso(vote.created_at) } : null,
    models: voted ? { A: battle.model_a, B: battle.model_b } : null,
  };
}
