import type { ModelInputPart } from '../models/spec/model-v1.js';
import type { DetectedTurn } from './turn-detector.js';

/** A user turn being assembled before a response is asked for. */
export interface PendingTurn {
  /** Its user items, in order. */
  readonly itemIds: string[];
  /** PCM16 audio chunks at the session rate. */
  readonly audio: Int16Array[];
  audioSamples: number;
  /** Stream offsets of the detected or committed speech, seconds. */
  speechStartS: number | null;
  speechEndS: number | null;
  /** performance.now() at the end of speech (0 until known): latencies count from here. */
  endOfSpeechMs: number;
  /** Text, image and video parts. */
  readonly parts: ModelInputPart[];
}

const emptyTurn = (): PendingTurn => ({ itemIds: [], audio: [], audioSamples: 0, speechStartS: null, speechEndS: null, endOfSpeechMs: 0, parts: [] });

/**
 * A session's conversation: the order of its items (for previous_item_id),
 * the ids in use, the system prompt (instructions plus system items), and the
 * user turn being assembled until a response takes it.
 */
export class Conversation {
  /** Session instructions (`session.update`); system items add to them. */
  instructions: string | undefined;
  #lastItemId: string | null = null;
  readonly #itemIds = new Set<string>();
  readonly #systemTexts: string[] = [];
  #turn: PendingTurn = emptyTurn();

  /** The turn being assembled. */
  get pending(): Readonly<PendingTurn> {
    return this.#turn;
  }

  /** Whether an item id is in use (client-chosen ids must not repeat one). */
  has(itemId: string): boolean {
    return this.#itemIds.has(itemId);
  }

  /** Appends an item to the conversation order; returns the item before it. */
  add(itemId: string): string | null {
    const previous = this.#lastItemId;
    this.#lastItemId = itemId;
    this.#itemIds.add(itemId);
    return previous;
  }

  /** Committed audio (VAD or explicit commit) joins the pending turn as a user item; returns the item before it. */
  addAudioTurn(t: DetectedTurn): string | null {
    const previous = this.add(t.itemId);
    const turn = this.#turn;
    turn.itemIds.push(t.itemId);
    turn.audio.push(t.audio);
    turn.audioSamples += t.audio.length;
    turn.speechStartS ??= t.startS;
    turn.speechEndS = t.endS;
    turn.endOfSpeechMs = performance.now();
    return previous;
  }

  /** A user item of parts (and optionally audio) joins the pending turn; returns the item before it. */
  addUserItem(itemId: string, parts: readonly ModelInputPart[], audio?: Int16Array): string | null {
    const turn = this.#turn;
    turn.parts.push(...parts);
    if (audio && audio.length > 0) {
      turn.audio.push(audio);
      turn.audioSamples += audio.length;
      turn.endOfSpeechMs = performance.now();
    }
    turn.itemIds.push(itemId);
    return this.add(itemId);
  }

  /** A system item: its text parts join the system prompt; returns the item before it. */
  addSystemItem(itemId: string, parts: readonly ModelInputPart[]): string | null {
    for (const p of parts) if (p.type === 'text') this.#systemTexts.push(p.text);
    return this.add(itemId);
  }

  /** Takes the pending turn (a response answers it); the next one starts empty. */
  takeTurn(): PendingTurn {
    const turn = this.#turn;
    this.#turn = emptyTurn();
    return turn;
  }

  /** The system prompt: these instructions (or the session's) and the system items' texts; '' when none. */
  systemPrompt(instructions?: string): string {
    return [instructions ?? this.instructions, ...this.#systemTexts].filter((t): t is string => Boolean(t)).join('\n\n');
  }
}
