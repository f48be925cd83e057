import type { Command } from 'commander';
import { DEFAULT_EXTRACTOR, EXTRACTOR_NAMES } from '../../../scorers/mcq/mcq-extractors.js';
import { isNormalizerName, NORMALIZER_NAMES } from '../../../scorers/normalizers/normalizer-registry.js';
import type { ScoreItem, ScoreTaskResult } from '../../../scorers/score-task.js';
import { BLEU_SMOOTH_DEFAULTS } from '../../../scorers/translation/bleu.js';
import { BLEU_TOKENIZERS, getBleuTokenizer } from '../../../scorers/translation/bleu-tokenizers.js';
import { orList, scoreCommandTaskNames, taskSpecs } from '../../../scorers/tasks/index.js';
import { runAction } from '../run-action.js';

interface ScoreOptions {
  task: string;
  references: string;
  predictions: string;
  normalizer?: string;
  unit?: string;
  extractor?: string;
  excludeUnanswered?: boolean;
  strict?: boolean;
  alignment?: string | boolean;
  tokenize?: string;
  smoothMethod?: string;
  smoothValue?: string;
  lowercase?: boolean;
  labels?: string;
  synonyms?: string;
  json?: boolean;
}

type Bad = (file: string, line: number, field: string, detail: string) => Error;

interface JsonlRow {
  readonly line: number;
  readonly value: Record<string, unknown>;
}

async function readJsonl(file: string, bad: Bad): Promise<JsonlRow[]> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw bad(file, 0, 'file', `cannot read: ${(err as Error).message}`);
  }
  const rows: JsonlRow[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw bad(file, i + 1, 'line', `malformed JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(file, i + 1, 'line', 'expected a JSON object');
    rows.push({ line: i + 1, value: value as Record<string, unknown> });
  }
  return rows;
}

function idOf(row: JsonlRow, file: string, bad: Bad): string {
  const id = row.value.id;
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  throw bad(file, row.line, 'id', 'missing or not a string');
}

function formatTable(result: ScoreTaskResult): string {
  const rows: [string, string][] = [];
  for (const [k, v] of Object.entries(result.metrics)) {
    rows.push([k, typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)]);
  }
  rows.push(['samples', String(result.samples.length)], ['missing', String(result.missing.length)]);
  const w = Math.max(...rows.map(([k]) => k.length));
  // The result's settings (task, normalizer, then a task's own: asr unit, mcq extractor), in the order the task wrote them.
  const head = Object.entries(result)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
    .map(([k, v]) => `${k} ${v}`);
  // Named strings a task reports beside its metrics (ast's sacrebleu signatures), one line each, so the
  // text output says how the numbers were made as the JSON does.
  const named = Object.entries(result).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
      ? Object.entries(v as Record<string, string>).map(([n, s]) => `${k}.${n}  ${s}`)
      : [],
  );
  return [`${head.join('  ')}`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`), ...named].join('\n');
}

/** The `--synonyms` file: a JSON object mapping each label to the other words that name it. */
async function readSynonyms(file: string, input: (detail: string) => Error): Promise<Record<string, string[]>> {
  const { readFile } = await import('node:fs/promises');
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw input(`--synonyms ${file}: ${(err as Error).message}`);
  }
  const ok =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => Array.isArray(v) && v.every((w) => typeof w === 'string' && w !== ''));
  if (!ok) throw input(`--synonyms ${file}: must be a JSON object of label → list of non-empty strings, e.g. {"happy": ["joy"]}`);
  return value as Record<string, string[]>;
}

/** `evalgate score`: scores a predictions file against a references manifest. */
export default function register(program: Command): void {
  program
    .command('score')
    .description('score predictions (JSONL {id, prediction}) against references (dataset manifest JSONL)')
    .requiredOption('--task <task>', scoreCommandTaskNames.join(' | '))
    .requiredOption('--references <file>', 'manifest JSONL: id + reference (string or list) or answer + choices')
    .requiredOption('--predictions <file>', 'JSONL lines {"id": …, "prediction": …}')
    .option('--normalizer <name>', `${NORMALIZER_NAMES.join(' | ')} (default none; wenet-zh for --unit mixed)`)
    .option('--unit <unit>', 'asr token unit: word | char | mixed', 'word')
    .option('--extractor <name>', `mcq answer extractor: ${EXTRACTOR_NAMES.join(' | ')}`, DEFAULT_EXTRACTOR)
    .option('--exclude-unanswered', 'mcq: accuracy over answered samples only (Video-MME option)')
    .option('--strict', 'fail when a reference has no prediction (default: score it as empty output)')
    .option('--alignment [n]', 'asr: print jiwer-style aligned pairs for the n worst samples (default 10)')
    .option('--tokenize <name>', `ast: BLEU tokenizer, ${BLEU_TOKENIZERS.join(' | ')} (default 13a)`)
    .option('--smooth-method <name>', 'ast: BLEU smoothing, exp | floor | add-k | none (default exp)')
    .option('--smooth-value <x>', 'ast: value for floor (default 0.1) or add-k (default 1)')
    .option('--lowercase', 'ast: case-insensitive BLEU (sacrebleu -lc)')
    .option('--labels <a,b,…>', "cls: the label set, comma-separated (default: the samples' choices)")
    .option('--synonyms <file.json>', 'cls: a JSON object of label → other words naming it, e.g. {"happy": ["joy"]}')
    .option('--json', 'print one JSON document {metrics, samples, missing, …}')
    .action(
      runAction(async (opts: ScoreOptions) => {
        const { EvalgateError } = await import('../../errors.js');
        const bad: Bad = (file, line, field, detail) => new EvalgateError('EVALGATE_ERR_MANIFEST_INVALID', { file, line, field, detail });
        const input = (detail: string) => new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
        const task = scoreCommandTaskNames.find((t) => t === opts.task);
        if (!task) throw input(`--task must be ${orList(scoreCommandTaskNames)}, not "${opts.task}"`);
        const spec = taskSpecs[task];
        if (opts.normalizer !== undefined && !isNormalizerName(opts.normalizer)) {
          throw input(`unknown normalizer "${opts.normalizer}"; use one of ${NORMALIZER_NAMES.join(', ')}`);
        }
        const unit = opts.unit ?? 'word';
        if (!['word', 'char', 'mixed'].includes(unit)) throw input(`--unit must be word, char or mixed, not "${unit}"`);
        const extractor = opts.extractor ?? DEFAULT_EXTRACTOR;
        if (!(EXTRACTOR_NAMES as readonly string[]).includes(extractor)) {
          throw input(`unknown extractor "${extractor}"; use one of ${EXTRACTOR_NAMES.join(', ')}`);
        }

        if (opts.tokenize !== undefined) {
          try {
            // Its message names a known-but-unsupported tokenizer (flores101…) as such, and lists the supported ones.
            getBleuTokenizer(opts.tokenize);
          } catch (err) {
            throw input(`--tokenize: ${(err as Error).message}`);
          }
        }
        if (opts.smoothMethod !== undefined && !Object.hasOwn(BLEU_SMOOTH_DEFAULTS, opts.smoothMethod)) {
          throw input(`--smooth-method must be exp, floor, add-k or none, not "${opts.smoothMethod}"`);
        }
        const smoothValue = opts.smoothValue === undefined ? undefined : Number(opts.smoothValue);
        if (smoothValue !== undefined && !Number.isFinite(smoothValue)) throw input(`--smooth-value takes a number, not "${opts.smoothValue}"`);
        const labels = opts.labels === undefined ? undefined : opts.labels.split(',').map((l) => l.trim());
        if (labels && (labels.length === 0 || labels.some((l) => l === '')))
          throw input(`--labels takes comma-separated non-empty labels, not "${opts.labels}"`);
        const synonyms = opts.synonyms === undefined ? undefined : await readSynonyms(opts.synonyms, input);

        const refRows = await readJsonl(opts.references, bad);
        const refs = new Map<string, { row: JsonlRow; item: Omit<ScoreItem, 'prediction'> }>();
        for (const row of refRows) {
          const id = idOf(row, opts.references, bad);
          if (refs.has(id)) {
            throw bad(opts.references, row.line, 'id', `duplicate id "${id}" (first on line ${refs.get(id)!.row.line})`);
          }
          const v = row.value;
          const datasetName = typeof v.dataset_name === 'string' ? v.dataset_name : typeof v.dataset === 'string' ? v.dataset : undefined;
          if (spec.sample.target === 'choice') {
            if (typeof v.answer !== 'string' || v.answer.trim() === '') throw bad(opts.references, row.line, 'answer', `${task} needs the correct answer`);
            if (v.choices !== undefined && !(Array.isArray(v.choices) && v.choices.every((c) => typeof c === 'string'))) {
              throw bad(opts.references, row.line, 'choices', 'must be a list of strings');
            }
            refs.set(id, { row, item: { id, answer: v.answer, choices: v.choices as string[] | undefined } });
          } else {
            const r = v.reference;
            const ok = typeof r === 'string' || (Array.isArray(r) && r.length > 0 && r.every((x) => typeof x === 'string'));
            if (!ok) throw bad(opts.references, row.line, 'reference', 'must be a string or a non-empty list of strings');
            if (spec.singleReference && Array.isArray(r) && r.length !== 1) {
              throw bad(opts.references, row.line, 'reference', `${task} takes one reference string`);
            }
            refs.set(id, { row, item: { id, reference: r as string | string[], datasetName } });
          }
        }

        const predRows = await readJsonl(opts.predictions, bad);
        const preds = new Map<string, { line: number; prediction: string }>();
        for (const row of predRows) {
          const id = idOf(row, opts.predictions, bad);
          if (!refs.has(id)) throw bad(opts.predictions, row.line, 'id', `unknown id "${id}" (not in ${opts.references})`);
          if (preds.has(id)) throw bad(opts.predictions, row.line, 'id', `duplicate id "${id}" (first on line ${preds.get(id)!.line})`);
          const p = row.value.prediction;
          if (typeof p !== 'string' && p !== null) throw bad(opts.predictions, row.line, 'prediction', 'must be a string');
          preds.set(id, { line: row.line, prediction: p ?? '' });
        }

        const items: ScoreItem[] = [];
        for (const [id, { row, item }] of refs) {
          const p = preds.get(id);
          if (!p) {
            if (opts.strict) throw bad(opts.references, row.line, 'id', `no prediction for "${id}" in ${opts.predictions} (--strict)`);
          }
          items.push({ ...item, prediction: p ? p.prediction : null });
        }

        const wantAlignment = spec.alignment === true && opts.alignment !== undefined && opts.alignment !== false;
        // Every flag goes to the task; its options schema keeps the ones it reads (all were checked above).
        const result = spec.aggregate(items, {
          normalizer: opts.normalizer,
          unit,
          extractor,
          excludeUnanswered: Boolean(opts.excludeUnanswered),
          keepAlignments: wantAlignment,
          ...(opts.tokenize === undefined ? {} : { tokenize: opts.tokenize }),
          ...(opts.smoothMethod === undefined ? {} : { smoothMethod: opts.smoothMethod }),
          ...(smoothValue === undefined ? {} : { smoothValue }),
          lowercase: Boolean(opts.lowercase),
          ...(labels ? { labels } : {}),
          ...(synonyms ? { synonyms } : {}),
        });
        const { alignment, ...doc } = result;
        let alignmentText = '';
        if (wantAlignment && alignment) {
          const n = opts.alignment === true ? 10 : Number.parseInt(String(opts.alignment), 10);
          if (!Number.isFinite(n) || n < 1) throw input(`--alignment takes a positive count, not "${String(opts.alignment)}"`);
          const errors = alignment.sentences.map((c, k) => ({ k, e: c.substitutions + c.deletions + c.insertions }));
          const worst = errors
            .filter((x) => x.e > 0)
            .sort((a, b) => b.e - a.e || a.k - b.k)
            .slice(0, n)
            .map((x) => x.k);
          const { visualizeAlignment } = await import('../../../scorers/wer/visualize-alignment.js');
          alignmentText = visualizeAlignment(alignment, { onlySentences: worst, isCer: unit !== 'word', showMeasures: true });
          alignmentText = alignmentText.replace(/=== SENTENCE (\d+) ===/g, (_m, k: string) => {
            // visualizeAlignment numbers the sentences of `alignment` from 1, one per item.
            const item = items[Number(k) - 1];
            if (!item) throw new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `alignment sentence ${k} has no item (${items.length} scored)` });
            return `=== SENTENCE ${k} (id ${item.id}) ===`;
          });
        }
        if (opts.json) return alignmentText ? { ...doc, alignment: alignmentText } : doc;
        return alignmentText ? `${formatTable(result)}\n\n${alignmentText}` : formatTable(result);
      }),
    );
}
