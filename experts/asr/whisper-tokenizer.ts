/**
 * The decoding half of Whisper's tokenizer, read from a Hugging Face
 * `tokenizer.json` (byte-level BPE) and `generation_config.json`. Only
 * id → text is needed: the prompt is built from special-token ids.
 */

/** The fields of generation_config.json that decoding uses. */
export interface WhisperGenerationConfig {
  /** <|startoftranscript|>. */
  readonly decoder_start_token_id: number;
  /** <|endoftext|>. */
  readonly eos_token_id: number;
  /** <|notimestamps|>; ids above it are timestamps. */
  readonly no_timestamps_token_id?: number;
  /** "<|en|>" → id; absent for English-only models. */
  readonly lang_to_id?: Readonly<Record<string, number>>;
  /** "transcribe"/"translate" → id. */
  readonly task_to_id?: Readonly<Record<string, number>>;
  /** Tokens never generated. */
  readonly suppress_tokens?: readonly number[];
  /** Tokens not generated as the first token. */
  readonly begin_suppress_tokens?: readonly number[];
  /** Upper bound on the sequence length, prompt included. */
  readonly max_length?: number;
  /** Whether language/task tokens exist. */
  readonly is_multilingual?: boolean;
}

interface TokenizerJson {
  readonly model?: { readonly vocab?: Readonly<Record<string, number>> };
  readonly added_tokens?: readonly { readonly id: number; readonly content: string; readonly special?: boolean }[];
}

/** GPT-2's bytes_to_unicode, inverted: printable stand-in character → byte. */
function unicodeToByte(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  // Printable bytes stand for themselves; the rest take code points from 256 on.
  const map = new Map(bs.map((b) => [String.fromCharCode(b), b]));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) map.set(String.fromCharCode(256 + n++), b);
  }
  return map;
}

/** Turns Whisper token ids into text. */
export class WhisperTokenizer {
  readonly #tokens: string[] = [];
  readonly #special = new Set<number>();
  readonly #byteOf = unicodeToByte();
  readonly #decoder = new TextDecoder('utf-8');

  constructor(tokenizerJson: unknown) {
    const tj = tokenizerJson as TokenizerJson;
    if (!tj.model?.vocab) throw new Error('tokenizer.json has no model.vocab (expected a Hugging Face BPE tokenizer)');
    for (const [tok, id] of Object.entries(tj.model.vocab)) this.#tokens[id] = tok;
    for (const t of tj.added_tokens ?? []) {
      this.#tokens[t.id] = t.content;
      if (t.special !== false) this.#special.add(t.id);
    }
  }

  /** The id of a token string (e.g. "<|en|>"), if present. */
  idOf(token: string): number | undefined {
    const i = this.#tokens.indexOf(token);
    return i >= 0 ? i : undefined;
  }

  /** The token string of an id. */
  tokenOf(id: number): string | undefined {
    return this.#tokens[id];
  }

  /** Text of the ids, special tokens skipped, bytes reassembled as UTF-8. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (this.#special.has(id)) continue;
      const tok = this.#tokens[id];
      if (tok === undefined || /^<\|.*\|>$/.test(tok)) continue;
      for (const ch of tok) {
        const b = this.#byteOf.get(ch);
        if (b !== undefined) bytes.push(b);
        else bytes.push(...new TextEncoder().encode(ch));
      }
    }
    return this.#decoder.decode(Uint8Array.from(bytes));
  }
}
