import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsrModelError } from './asr-engine.js';

/**
 * Token tables of CTC models and greedy CTC decoding: best class per frame,
 * merge repeats, drop blanks (the decoding sherpa-onnx, NeMo and HF wav2vec2
 * use by default).
 */

/** A CTC output vocabulary. */
export interface CtcVocabulary {
  /** Token string per class id. */
  readonly tokens: readonly string[];
  /** Class id of the CTC blank. */
  readonly blankId: number;
}

const BLANK_NAMES = ['<blk>', '<blank>', '<pad>', '<eps>'];

/**
 * Loads `tokens.txt` (sherpa-onnx / NeMo: "token id" per line, or one token
 * per line) or, failing that, `vocab.json` (HF wav2vec2: {token: id}).
 */
export async function loadCtcVocabulary(modelDir: string): Promise<CtcVocabulary> {
  const tokensTxt = join(modelDir, 'tokens.txt');
  const vocabJson = join(modelDir, 'vocab.json');
  const tokens: string[] = [];
  if (existsSync(tokensTxt)) {
    const lines = (await readFile(tokensTxt, 'utf8')).split(/\r?\n/).filter((l) => l.length > 0);
    lines.forEach((line, i) => {
      const [, tok, id] = /^(.*)\s+(\d+)$/.exec(line) ?? [];
      // A line that is only a number is a token whose text is a digit, not an id.
      if (tok && id !== undefined) tokens[Number(id)] = tok;
      else tokens[i] = line;
    });
  } else if (existsSync(vocabJson)) {
    const map = JSON.parse(await readFile(vocabJson, 'utf8')) as Record<string, number>;
    for (const [tok, id] of Object.entries(map)) tokens[id] = tok;
  } else {
    throw new AsrModelError(modelDir, 'no tokens.txt (sherpa-onnx / NeMo layout) or vocab.json (HF wav2vec2 layout) next to model.onnx');
  }
  for (let i = 0; i < tokens.length; i++) tokens[i] ??= '';
  const named = tokens.findIndex((t) => BLANK_NAMES.includes(t));
  return { tokens, blankId: named >= 0 ? named : 0 };
}

/** The best class of frame `t` in scores laid out [frames × classes] (or [classes × frames] when `classMajor`). */
export function frameArgmax(scores: Float32Array, frames: number, classes: number, t: number, classMajor: boolean): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < classes; c++) {
    const s = classMajor ? scores[c * frames + t]! : scores[t * classes + c]!;
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best;
}

/**
 * Greedy CTC over scores laid out [frames × classes] (or [classes × frames]
 * when `classMajor`). Word pieces: "▁" (SentencePiece) and "|" (wav2vec2)
 * become spaces; other `<…>` specials are dropped.
 */
export function ctcGreedyDecode(
  scores: Float32Array,
  frames: number,
  classes: number,
  vocab: CtcVocabulary,
  classMajor = false,
): { text: string; ids: number[] } {
  const ids: number[] = [];
  let prev = -1;
  for (let t = 0; t < frames; t++) {
    const best = frameArgmax(scores, frames, classes, t, classMajor);
    if (best !== prev && best !== vocab.blankId) ids.push(best);
    prev = best;
  }
  let text = '';
  for (const id of ids) {
    const tok = vocab.tokens[id] ?? '';
    if (/^<.*>$/.test(tok) || /^\[.*\]$/.test(tok)) continue;
    text += tok.replace(/▁/g, ' ').replace(/\|/g, ' ');
  }
  return { text: text.replace(/\s+/g, ' ').trim(), ids };
}
