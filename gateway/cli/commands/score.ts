import type { Command } from 'commander';
import { DEFAULT_EXTRACTOR, EXTRACTOR_NAMES } from '../../../scorers/mcq/extractor-names.js';
import { isNormalizerName, NORMALIZER_NAMES, type NormalizerName } from '../../../scorers/normalizers/normalizer-names.js';
import type { ScoreItem, ScoreTaskResult } from '../../../scorers/score-task.js';
import { BLEU_TOKENIZERS, getBleuTokenizer } from '../../../scorers/translation/bleu-tokenizers.js';
import type { TaskName } from '../../../scorers/tasks/index.js';
import type { AsrCorpusCounter } from '../../../scorers/wer/asr-corpus-counter.js';
import type { TokenUnit } from '../../../scorers/wer/tokenize.js';
import { isPredictionFormat, PREDICTION_FORMATS } from '../../score-input/prediction-rows.js';
import type { ReferenceRow } from '../../score-input/read-references.js';
import { orList, SCORE_TASK_NAMES } from '../../score-input/score-task-names.js';
import { runAction } from '../run-action.js';

interface ScoreOptions {
  task?: string;
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
  format?: string;
  key?: string;
  match?: string;
  json?: boolean;
}

function formatTable(result: ScoreTaskResult, sampleCount: number): string {
  const rows: [string, string][] = [];
  for (const [k, v] of Object.entries(result.metrics)) {
    rows.push([k, typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)]);
  }
  rows.push(['samples', String(sampleCount)], ['missing', String(result.missing.length)]);
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

/** Whether every row is of `task`. */
function allRowsOf(rows: ReadonlyMap<string, ReferenceRow>, task: TaskName): boolean {
  for (const row of rows.values()) if (row.task !== task) return false;
  return true;
}

/** Everything `score` passes a task besides the samples: the validated flags (each task keeps the ones it reads). */
type ScoreFlags = Readonly<Record<string, unknown>> & { readonly unit: string };

/** Scores one task's items; prints its table (and asr's aligned worst samples when asked). */
async function scoreSection(task: TaskName, items: ScoreItem[], flags: ScoreFlags, opts: ScoreOptions): Promise<{ doc: object; text: string }> {
  const { EvalgateError } = await import('../../errors.js');
  const alignmentAsked = opts.alignment !== undefined && opts.alignment !== false;
  if (task === 'asr' && !alignmentAsked) {
    // asr's own aggregate without alignments, called without loading the task registry (zod: ~0.1 s of start-up);
    // the flags were checked above. tests/scorers/wer-fast-path.test.ts compares it with the registry's.
    const { scoreAsrCorpus } = await import('../../../scorers/wer/asr-corpus-counts.js');
    const result = scoreAsrCorpus(items, {
      normalizer: flags.normalizer as NormalizerName | undefined,
      unit: flags.unit as TokenUnit,
      keepSamples: opts.json === true,
    });
    return { doc: result, text: formatTable(result, items.length) };
  }
  const spec = (await import('../../../scorers/tasks/index.js')).taskSpecs[task];
  const wantAlignment = spec.alignment === true && alignmentAsked;
  // The text table shows corpus metrics only, so per-sample entries are built for --json alone.
  const result = spec.aggregate(items, { ...flags, keepAlignments: wantAlignment, keepSamples: opts.json === true || wantAlignment });
  const { alignment, ...doc } = result;
  if (!wantAlignment || !alignment) return { doc, text: formatTable(result, items.length) };
  const n = opts.alignment === true ? 10 : Number.parseInt(String(opts.alignment), 10);
  const errors = alignment.sentences.map((c, k) => ({ k, e: c.substitutions + c.deletions + c.insertions }));
  const worst = errors
    .filter((x) => x.e > 0)
    .sort((a, b) => b.e - a.e || a.k - b.k)
    .slice(0, n)
    .map((x) => x.k);
  const { visualizeAlignment } = await import('../../../scorers/wer/visualize-alignment.js');
  const shown = visualizeAlignment(alignment, { onlySentences: worst, isCer: flags.unit !== 'word', showMeasures: true }).replace(
    /=== SENTENCE (\d+) ===/g,
    (_m, k: string) => {
      // visualizeAlignment numbers the sentences of `alignment` from 1, one per item.
      const item = items[Number(k) - 1];
      if (!item) throw new EvalgateError('EVALGATE_ERR_INTERNAL', { detail: `alignment sentence ${k} has no item (${items.length} scored)` });
      return `=== SENTENCE ${k} (id ${item.id}) ===`;
    },
  );
  return { doc: { ...doc, alignment: shown }, text: `${formatTable(result, items.length)}\n\n${shown}` };
}

/** `evalgate score`: scores a predictions file against a references manifest. */
export default function register(program: Command): void {
  program
    .command('score')
    .description(
      'score predictions (JSONL {id, prediction}) against references (dataset manifest JSONL); each row is scored as its own task, a mixed manifest in one section per task',
    )
    .option('--task <task>', `score only the rows of this task (rows without a task take it): ${SCORE_TASK_NAMES.join(' | ')}`)
    .requiredOption('--references <file>', 'manifest JSONL: id, task, and reference (string or list) or answer + choices')
    .requiredOption('--predictions <file>', 'JSONL {"id": …, "prediction": …}, lmms-eval --log_samples JSONL, or a VLMEvalKit xlsx/tsv/csv table')
    .option('--format <layout>', `predictions layout: ${PREDICTION_FORMATS.join(' | ')} (default: detected from the file)`)
    .option('--key <field>', 'field or column holding the id (default: id, lmms-eval doc_id, VLMEvalKit index; doc.<field> reaches into lmms-eval docs)')
    .option('--match <how>', 'join predictions to references by id, or by position (lmms-eval doc_id = the n-th row of the task, from 0)', 'id')
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
    .option('--json', 'print one JSON document {metrics, samples, missing, …}; a mixed manifest prints {sections: [one per task]}')
    .action(
      runAction(async (opts: ScoreOptions) => {
        const { EvalgateError } = await import('../../errors.js');
        const { badAt: bad } = await import('../../score-input/prediction-rows.js');
        const input = (detail: string) => new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail });
        let onlyTask: TaskName | undefined;
        if (opts.task !== undefined) {
          onlyTask = SCORE_TASK_NAMES.find((t) => t === opts.task);
          if (!onlyTask) throw input(`--task must be ${orList(SCORE_TASK_NAMES)}, not "${opts.task}"`);
        }
        if (opts.normalizer !== undefined && !isNormalizerName(opts.normalizer)) {
          throw input(`unknown normalizer "${opts.normalizer}"; use one of ${NORMALIZER_NAMES.join(', ')}`);
        }
        const unit = opts.unit ?? 'word';
        if (!['word', 'char', 'mixed'].includes(unit)) throw input(`--unit must be word, char or mixed, not "${unit}"`);
        const extractor = opts.extractor ?? DEFAULT_EXTRACTOR;
        if (!(EXTRACTOR_NAMES as readonly string[]).includes(extractor)) {
          throw input(`unknown extractor "${extractor}"; use one of ${EXTRACTOR_NAMES.join(', ')}`);
        }
        if (opts.alignment !== undefined && opts.alignment !== true && opts.alignment !== false) {
          const n = Number(opts.alignment);
          if (!Number.isInteger(n) || n < 1) throw input(`--alignment takes a positive count, not "${String(opts.alignment)}"`);
        }

        if (opts.tokenize !== undefined) {
          try {
            // Its message names a known-but-unsupported tokenizer (flores101…) as such, and lists the supported ones.
            getBleuTokenizer(opts.tokenize);
          } catch (err) {
            throw input(`--tokenize: ${(err as Error).message}`);
          }
        }
        // bleu.js (and the 4 modules it loads) only when the flag is given: the asr path starts faster.
        if (opts.smoothMethod !== undefined && !Object.hasOwn((await import('../../../scorers/translation/bleu.js')).BLEU_SMOOTH_DEFAULTS, opts.smoothMethod)) {
          throw input(`--smooth-method must be exp, floor, add-k or none, not "${opts.smoothMethod}"`);
        }
        const smoothValue = opts.smoothValue === undefined ? undefined : Number(opts.smoothValue);
        if (smoothValue !== undefined && !Number.isFinite(smoothValue)) throw input(`--smooth-value takes a number, not "${opts.smoothValue}"`);
        const labels = opts.labels === undefined ? undefined : opts.labels.split(',').map((l) => l.trim());
        if (labels && (labels.length === 0 || labels.some((l) => l === '')))
          throw input(`--labels takes comma-separated non-empty labels, not "${opts.labels}"`);
        const synonyms = opts.synonyms === undefined ? undefined : await readSynonyms(opts.synonyms, input);

        const match = opts.match ?? 'id';
        if (match !== 'id' && match !== 'position') throw input(`--match must be id or position, not "${match}"`);
        if (opts.format !== undefined && !isPredictionFormat(opts.format)) {
          throw input(`--format must be ${orList([...PREDICTION_FORMATS])}, not "${opts.format}"`);
        }
        const alignmentAsked = opts.alignment !== undefined && opts.alignment !== false;
        const plainAsrTable = unit === 'word' && (opts.normalizer ?? 'none') === 'none' && opts.json !== true && !alignmentAsked;
        if (plainAsrTable && match === 'id' && (opts.format ?? 'jsonl') === 'jsonl' && opts.key === undefined) {
          // Plain asr rows and their predictions in the same order (regular files, UTF-8): counted on bytes, in
          // step (~2× faster on 100k pairs). Anything else answers undefined and is read below as always.
          const { countAsrPairsInStep } = await import('../../score-input/asr-pairs-in-step.js');
          const fast = countAsrPairsInStep(opts.references, opts.predictions, onlyTask);
          if (fast) return formatTable(fast.result, fast.pairs);
        }
        const { readReferences } = await import('../../score-input/read-references.js');
        const refs = await readReferences(opts.references, onlyTask);
        if (refs.rows.size === 0) {
          throw bad(opts.references, 0, 'file', onlyTask ? `no rows of task ${onlyTask} (${refs.skipped.size} of other tasks)` : 'no rows to score');
        }
        const readOpts = { ...(opts.format ? { format: opts.format } : {}), ...(opts.key ? { key: opts.key } : {}) };
        const { joinPredictionsById, joinRows } = await import('../../score-input/join-predictions.js');
        let countedAsr: AsrCorpusCounter | undefined;
        if (match === 'position') {
          // Positions count the rows of one task (lmms-eval's doc_id is a doc's place in its task's split).
          const { matchByPosition, readPredictions } = await import('../../score-input/read-predictions.js');
          const read = await readPredictions(opts.predictions, readOpts);
          if (new Set([...refs.rows.values()].map((r) => r.task)).size > 1) throw input('--match position needs one task: pass --task');
          joinRows(refs, opts.references, matchByPosition(read, [...refs.rows.keys()], opts.predictions), opts.predictions);
        } else if (opts.json === true || alignmentAsked || !allRowsOf(refs.rows, 'asr')) {
          await joinPredictionsById(refs, opts.references, opts.predictions, readOpts);
        } else {
          // asr totals alone (the table): each pair is counted as its prediction is read, and neither text
          // is kept after (~30 MB less memory on 100k pairs, and memory first touched is slow). The totals
          // are sums over pairs, the same in any order; the rows left without a prediction are counted last.
          const [{ AsrCorpusCounter }, { asrDefaultNormalizerFor }, { getNormalizer }] = await Promise.all([
            import('../../../scorers/wer/asr-corpus-counter.js'),
            import('../../../scorers/wer/asr-corpus-counts.js'),
            import('../../../scorers/normalizers/normalizer-registry.js'),
          ]);
          const normalizer = (opts.normalizer as NormalizerName | undefined) ?? asrDefaultNormalizerFor(unit as TokenUnit);
          const counter = new AsrCorpusCounter(unit as TokenUnit, normalizer, getNormalizer(normalizer).normalize);
          countedAsr = counter;
          await joinPredictionsById(refs, opts.references, opts.predictions, readOpts, (ref) => {
            counter.add(ref.item.reference, ref.item.prediction);
            // counted: the texts are not read again (the row stays, answered, for --strict and missing)
            ref.item.reference = '';
            ref.item.prediction = '';
          });
        }

        // One section per task, in the order the manifest first names them.
        const sections = new Map<TaskName, ScoreItem[]>();
        for (const ref of refs.rows.values()) {
          if (ref.item.prediction === null && opts.strict) {
            throw bad(opts.references, ref.line, 'id', `no prediction for "${ref.item.id}" in ${opts.predictions} (--strict)`);
          }
          let items = sections.get(ref.task);
          if (!items) sections.set(ref.task, (items = []));
          items.push(ref.item);
        }
        if (countedAsr) {
          const items = sections.get('asr')!;
          const missing: string[] = [];
          for (const it of items) {
            if (it.prediction !== null) continue;
            countedAsr.add(it.reference, null);
            missing.push(it.id);
          }
          return formatTable(countedAsr.result([], missing), items.length);
        }

        const flags: ScoreFlags = {
          normalizer: opts.normalizer,
          unit,
          extractor,
          excludeUnanswered: Boolean(opts.excludeUnanswered),
          ...(opts.tokenize === undefined ? {} : { tokenize: opts.tokenize }),
          ...(opts.smoothMethod === undefined ? {} : { smoothMethod: opts.smoothMethod }),
          ...(smoothValue === undefined ? {} : { smoothValue }),
          lowercase: Boolean(opts.lowercase),
          ...(labels ? { labels } : {}),
          ...(synonyms ? { synonyms } : {}),
        };
        const scored: { doc: object; text: string }[] = [];
        // The manifest's task-wide settings (cls's labels and synonyms) apply unless a flag names its own.
        for (const [task, items] of sections) scored.push(await scoreSection(task, items, { ...refs.taskOptions[task], ...flags }, opts));
        // A single task prints as it always has; a mixed manifest prints one section per task.
        if (scored.length === 1) return opts.json ? scored[0]!.doc : scored[0]!.text;
        return opts.json ? { sections: scored.map((s) => s.doc) } : scored.map((s) => s.text).join('\n\n');
      }),
    );
}
