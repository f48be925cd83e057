import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InferenceSessionLike } from '../../experts/onnx/inference-session-like.js';
import { getSession, ortTensorFactory } from '../../experts/onnx/onnx-runtime.js';
import { createAsr } from '../../experts/asr/create-asr.js';
import { WhisperOnnxAsr, createWhisperOnnxAsr } from '../../experts/asr/whisper-onnx-asr.js';
import { WhisperTokenizer, type WhisperGenerationConfig } from '../../experts/asr/whisper-tokenizer.js';
import { buildOnnxModel, floats, int64s, node, value, type NodeSpec } from './onnx-model-builder.js';

// A 13-token Whisper vocabulary: five text pieces (byte-level BPE: "Ã©" is é), then the specials.
const TEXT = ['Ġhello', 'Ġworld', ',', 'Ġcaf', 'Ã©'];
const SPECIAL = ['<|endoftext|>', '<|startoftranscript|>', '<|en|>', '<|fr|>', '<|translate|>', '<|transcribe|>', '<|notimestamps|>', '<|0.00|>'];
const V = TEXT.length + SPECIAL.length;
const id = (t: string): number => [...TEXT, ...SPECIAL].indexOf(t);

const tokenizerJson = {
  model: { type: 'BPE', vocab: Object.fromEntries(TEXT.map((t, i) => [t, i])) },
  added_tokens: SPECIAL.map((content, i) => ({ id: TEXT.length + i, content, special: true })),
};
const generationConfig: WhisperGenerationConfig = {
  decoder_start_token_id: id('<|startoftranscript|>'),
  eos_token_id: id('<|endoftext|>'),
  no_timestamps_token_id: id('<|notimestamps|>'),
  lang_to_id: { '<|en|>': id('<|en|>'), '<|fr|>': id('<|fr|>') },
  task_to_id: { translate: id('<|translate|>'), transcribe: id('<|transcribe|>') },
  suppress_tokens: [],
  begin_suppress_tokens: [id('<|endoftext|>')],
  max_length: 448,
  is_multilingual: true,
};

/** Next-token table: row = previous token, column = score of the next one. */
function bigram(pairs: [string, string, number][]): Float32Array {
  const t = new Float32Array(V * V);
  for (const [a, b, s] of pairs) t[id(a) * V + id(b)] = s;
  return t;
}
// Loud windows say " hello, world" (a timestamp token scores highest after "hello" and must be suppressed);
// silent windows say " café". From <|startoftranscript|> alone, loud audio "sounds" French, silence English.
const LOUD = bigram([
  ['<|notimestamps|>', 'Ġhello', 1],
  ['Ġhello', '<|0.00|>', 2],
  ['Ġhello', ',', 1],
  [',', 'Ġworld', 1],
  ['Ġworld', '<|endoftext|>', 1],
  ['<|startoftranscript|>', '<|fr|>', 1],
]);
const QUIET = bigram([
  ['<|notimestamps|>', 'Ġcaf', 1],
  ['Ġcaf', 'Ã©', 1],
  ['Ã©', '<|endoftext|>', 1],
  ['<|startoftranscript|>', '<|en|>', 1],
]);

/**
 * A tiny encoder (max log-mel per bin → [1, 1, 80]) and a decoder whose
 * logits blend the two tables by how loud the window was. The merged variant
 * also takes and returns a key/value cache (1 head of size 80).
 */
function whisperDir(merged: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), `whisper-${merged ? 'merged' : 'plain'}-`));
  writeFileSync(
    join(dir, 'encoder_model.onnx'),
    buildOnnxModel({
      inputs: [value('input_features', 'float', [1, 80, 3000])],
      outputs: [value('last_hidden_state', 'float', [1, 1, 80])],
      nodes: [node('ReduceMax', ['input_features'], ['m'], { axes: [2], keepdims: 1 }), node('Transpose', ['m'], ['last_hidden_state'], { perm: [0, 2, 1] })],
    }),
  );
  const logitsNodes: NodeSpec[] = [
    node('Gather', ['loud', 'input_ids'], ['gl'], { axis: 0 }),
    node('Gather', ['quiet', 'input_ids'], ['gq'], { axis: 0 }),
    node('ReduceMean', ['encoder_hidden_states'], ['em'], { keepdims: 1 }),
    node('Mul', ['em', 'hundred'], ['em100']),
    node('Sigmoid', ['em100'], ['s']),
    node('Sub', ['one', 's'], ['ns']),
    node('Mul', ['gl', 's'], ['a']),
    node('Mul', ['gq', 'ns'], ['b']),
    node('Add', ['a', 'b'], ['logits']),
  ];
  const initializers = [floats('loud', [V, V], LOUD), floats('quiet', [V, V], QUIET), floats('hundred', [], [100]), floats('one', [], [1])];
  const kv = (kind: string, part: string): string => `past_key_values.0.${kind}.${part}`;
  writeFileSync(
    join(dir, merged ? 'decoder_model_merged.onnx' : 'decoder_model.onnx'),
    buildOnnxModel(
      merged
        ? {
            inputs: [
              value('input_ids', 'int64', [1, 'l']),
              value('encoder_hidden_states', 'float', [1, 's', 80]),
              ...['decoder', 'encoder'].flatMap((k) => ['key', 'value'].map((p) => value(kv(k, p), 'float', [1, 1, 'p', 80]))),
              value('use_cache_branch', 'bool', [1]),
            ],
            outputs: [
              value('logits', 'float', [1, 'l', V]),
              ...['decoder', 'encoder'].flatMap((k) => ['key', 'value'].map((p) => value(`present.0.${k}.${p}`, 'float', [1, 1, 'q', 80]))),
            ],
            initializers: [...initializers, int64s('axes13', [2], [1, 3]), int64s('axes1', [1], [1]), floats('zeros', [80], new Array<number>(80).fill(0))],
            nodes: [
              ...logitsNodes,
              // New self-attention entries: one zero row per input token, appended to the past.
              node('Cast', ['input_ids'], ['idsf'], { to: 1 }),
              node('Unsqueeze', ['idsf', 'axes13'], ['ids4']),
              node('Mul', ['ids4', 'zeros'], ['fresh']),
              node('Concat', [kv('decoder', 'key'), 'fresh'], ['present.0.decoder.key'], { axis: 2 }),
              node('Concat', [kv('decoder', 'value'), 'fresh'], ['present.0.decoder.value'], { axis: 2 }),
              node('Unsqueeze', ['encoder_hidden_states', 'axes1'], ['present.0.encoder.key']),
              node('Unsqueeze', ['encoder_hidden_states', 'axes1'], ['present.0.encoder.value']),
            ],
          }
        : {
            inputs: [value('input_ids', 'int64', [1, 'l']), value('encoder_hidden_states', 'float', [1, 's', 80])],
            outputs: [value('logits', 'float', [1, 'l', V])],
            initializers,
            nodes: logitsNodes,
          },
    ),
  );
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfig));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ d_model: 80, decoder_attention_heads: 1, decoder_layers: 1, num_mel_bins: 80 }));
  return dir;
}

function noise(seconds: number, seed = 7): Float32Array {
  let s = seed;
  return Float32Array.from({ length: seconds * 16000 }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 0.6;
  });
}

describe('WhisperTokenizer', () => {
  it('decodes byte-level BPE to UTF-8 and skips special tokens', () => {
    const tok = new WhisperTokenizer(tokenizerJson);
    expect(tok.decode([id('<|startoftranscript|>'), id('Ġcaf'), id('Ã©'), id(','), id('<|endoftext|>')])).toBe(' café,');
    expect(tok.idOf('<|en|>')).toBe(id('<|en|>'));
  });
});

describe.each([false, true])('Whisper ONNX (optimum layout, merged decoder: %s)', (merged) => {
  it('transcribes 30-s windows separately and joins them, forcing the language and task', async () => {
    const dir = whisperDir(merged);
    const asr = await createAsr({ kind: 'whisper-onnx', modelDir: dir, language: 'en' });
    const audio = new Float32Array(45 * 16000);
    audio.set(noise(30));
    expect(await asr.transcribe(audio, 16000)).toEqual({ text: 'hello, world café', language: 'en' });
  });

  it('detects the language from <|startoftranscript|> when none is given', async () => {
    const asr = await createWhisperOnnxAsr(whisperDir(merged));
    expect(await asr.transcribe(noise(5), 16000)).toEqual({ text: 'hello, world', language: 'fr' });
    expect(await asr.transcribe(new Float32Array(8000), 8000)).toEqual({ text: 'café', language: 'en' });
  });
});

describe('Whisper decoding loop', () => {
  it('feeds the forced prompt first, then one token per step with the merged decoder’s cache', async () => {
    const dir = whisperDir(true);
    const tensor = await ortTensorFactory();
    const real = await getSession(join(dir, 'decoder_model_merged.onnx'));
    // A feed missing its dimension records undefined, which the expected calls below reject.
    const calls: { ids: number | undefined; past: number | undefined; cache: boolean }[] = [];
    const spy: InferenceSessionLike = {
      inputNames: real.inputNames,
      outputNames: real.outputNames,
      run: (feeds) => {
        calls.push({
          ids: feeds.input_ids?.dims[1],
          past: feeds['past_key_values.0.decoder.key']?.dims[2],
          cache: (feeds.use_cache_branch!.data as Uint8Array)[0] === 1,
        });
        return real.run(feeds);
      },
    };
    const asr = new WhisperOnnxAsr(await getSession(join(dir, 'encoder_model.onnx')), spy, tensor, new WhisperTokenizer(tokenizerJson), generationConfig, {
      nMels: 80,
      language: 'en',
      dims: { heads: 1, headDim: 80 },
    });
    expect((await asr.transcribe(noise(3), 16000)).text).toBe('hello, world');
    // Prompt of 4 (SOT, en, transcribe, notimestamps); then hello, ",", world, EOT one at a time.
    expect(calls).toEqual([
      { ids: 4, past: 0, cache: false },
      { ids: 1, past: 4, cache: true },
      { ids: 1, past: 5, cache: true },
      { ids: 1, past: 6, cache: true },
    ]);
  });

  it('refuses a language an English-only model lacks, and explains a missing folder', async () => {
    const tensor = await ortTensorFactory();
    const dir = whisperDir(false);
    const englishOnly = { ...generationConfig, is_multilingual: false };
    const asr = new WhisperOnnxAsr(
      await getSession(join(dir, 'encoder_model.onnx')),
      await getSession(join(dir, 'decoder_model.onnx')),
      tensor,
      new WhisperTokenizer(tokenizerJson),
      englishOnly,
      { nMels: 80, language: 'fr' },
    );
    await expect(asr.transcribe(noise(1), 16000)).rejects.toThrow(/English-only/);
    await expect(createAsr({ kind: 'whisper-onnx', modelDir: '/nonexistent/whisper' })).rejects.toThrow(
      /encoder_model\.onnx.*optimum-cli export onnx.*Nothing is downloaded/,
    );
  });
});
