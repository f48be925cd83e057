import type { BattleMediaView } from './battle-view.js';

/** The two sides of a battle, A shown on the left. */
export type BattleSide = 'A' | 'B';

/** Events of `GET /v1/arena/battles/:id/events` after the first `battle.state` (docs/api.md "Arena"). */
export type BattleEvent =
  | { readonly type: 'answer.delta'; /** Side. */ readonly side: BattleSide; /** Text appended. */ readonly delta: string }
  | { readonly type: 'answer.reset'; /** Side whose streamed text is void (the attempt failed and is retried). */ readonly side: BattleSide }
  | {
      readonly type: 'answer.done';
      /** Side. */
      readonly side: BattleSide;
      /** Always `ok`. */
      readonly status: 'ok';
      /** The whole answer (replaces the deltas). */
      readonly text: string;
      /** Answer media (audio answers), with signed links added per subscriber. */
      readonly media: readonly BattleMediaView[];
      /** Request start to first text, ms (streaming adapters only). */
      readonly latencyFirstTokenMs: number | null;
      /** Request start to the whole answer, ms. */
      readonly latencyTotalMs: number | null;
    }
  | {
      readonly type: 'answer.failed';
      /** Side. */
      readonly side: BattleSide;
      /** Always `failed`. */
      readonly status: 'failed';
      /** Only the code: the message may name the model. */
      readonly error: { readonly code: string };
    }
  | { readonly type: 'battle.ready'; /** Whether both sides are stored `ok`. */ readonly votable: boolean };

/** What this process knows of one side while its answer is generated. */
export interface LiveSide {
  /** `pending` until stored. */
  status: 'pending' | 'ok' | 'failed';
  /** Text streamed so far (the current attempt's). */
  text: string;
}

/**
 * The in-memory state of the battles this process is answering, and their
 * subscribers. Bounded: a battle leaves the map `lingerMs` after both sides
 * are stored (later readers get the stored rows), and its partial text is
 * bounded by the model's output token cap. Listeners are called
 * synchronously; a slow SSE client is the route's problem (it drops itself
 * when its socket backs up, docs/arena.md).
 */
export class BattleEvents {
  readonly #live = new Map<string, { sides: Record<BattleSide, LiveSide>; listeners: Set<(e: BattleEvent) => void>; timer?: NodeJS.Timeout }>();
  readonly #lingerMs: number;

  constructor(opts: { readonly lingerMs?: number } = {}) {
    this.#lingerMs = opts.lingerMs ?? 60_000;
  }

  /** Starts tracking a battle whose answers this process will generate. */
  open(battleId: string): void {
    this.#live.set(battleId, { sides: { A: { status: 'pending', text: '' }, B: { status: 'pending', text: '' } }, listeners: new Set() });
  }

  /** The sides as this process knows them, or undefined when it is not answering that battle (any more). */
  sides(battleId: string): Readonly<Record<BattleSide, Readonly<LiveSide>>> | undefined {
    return this.#live.get(battleId)?.sides;
  }

  /** Subscribes to a live battle; returns the unsubscribe function, or undefined when the battle is not live here. */
  subscribe(battleId: string, listener: (e: BattleEvent) => void): (() => void) | undefined {
    const live = this.#live.get(battleId);
    if (!live) return undefined;
    live.listeners.add(listener);
    return () => live.listeners.delete(listener);
  }

  /** Records an event in the state and sends it to every subscriber. */
  emit(battleId: string, event: BattleEvent): void {
    const live = this.#live.get(battleId);
    if (!live) return;
    if (event.type === 'answer.delta') live.sides[event.side].text += event.delta;
    else if (event.type === 'answer.reset') live.sides[event.side].text = '';
    else if (event.type === 'answer.done') Object.assign(live.sides[event.side], { status: 'ok', text: event.text });
    else if (event.type === 'answer.failed') Object.assign(live.sides[event.side], { status: 'failed', text: '' });
    for (const l of [...live.listeners]) l(event);
    if (event.type === 'battle.ready') {
      live.listeners.clear();
      live.timer = setTimeout(() => this.#live.delete(battleId), this.#lingerMs);
      live.timer.unref();
    }
  }

  /** Forgets every battle (the app is closing). */
  clear(): void {
    for (const l of this.#live.values()) if (l.timer) clearTimeout(l.timer);
    this.#live.clear();
  }
}
