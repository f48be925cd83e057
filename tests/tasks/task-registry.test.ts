// The task registry is the one list: the CLI's --help, the manifest schema and
// docs/scoring.md must name exactly its tasks, and each spec must score as
// scoreTask did before the registry existed.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { manifestSampleSchema } from '../../datasets/manifest-schema.js';
import { scoreOutcomes } from '../../gateway/compare/score-outcomes.js';
import type { SampleOutcome } from '../../gateway/compare/load-run-outcomes.js';
import { defaultPromptTemplates } from '../../gateway/models/prompt-templates.js';
import { scoreTask, type ScoreItem } from '../../scorers/score-task.js';
import { getTask, isTaskName, orList, scoreCommandTaskNames, taskNames, tasks, type TaskName } from '../../scorers/tasks/index.js';
import { spawnCli } from '../helpers/run-cli.js';

/** The text of a `--task` option in a command's --help output, wrapped lines joined. */
function taskOptionHelp(help: string): string {
  const lines = help.split('\n');
  const i = lines.findIndex((l) => /--task <task>/.test(l));
  expect(i, help).toBeGreaterThanOrEqual(0);
  const out = [defined(lines[i], 'the --task line').replace(/^.*--task <task>\s*/, '')];
  for (const l of lines.slice(i + 1)) {
    if (!/^\s{10,}\S/.test(l) || /^\s*-/.test(l)) break;
    out.push(l.trim());
  }
  return out.join(' ');
}

/** Task-like words a help text names, in order. */
function namesIn(text: string, candidates: readonly string[]): string[] {
  return [...text.matchAll(/[a-z][a-z0-9-]*/g)].map((m) => m[0]).filter((w) => candidates.includes(w));
}

describe('the task registry is the one list', () => {
  it('lists asr, ocr, vqa and mcq, each under its own name', () => {
    expect(taskNames).toEqual(['asr', 'ocr', 'vqa', 'mcq', 'mmau', 'ast', 'cls', 'duplex']);
    for (const t of taskNames) {
      expect(tasks[t].name).toBe(t);
      expect(getTask(t)).toBe(tasks[t]);
      expect(isTaskName(t)).toBe(true);
    }
    expect(getTask('bleu')).toBeUndefined();
    expect(isTaskName('toString')).toBe(false);
    expect(orList(taskNames)).toBe('asr, ocr, vqa, mcq, mmau, ast, cls or duplex');
  });

  it('CLI --help of run and datasets import lists exactly the registry tasks; score lists its subset', async () => {
    // The words that could appear: the registry's plus any task name a stale list might still carry.
    const candidates = [...taskNames, 'ast', 'cls', 'bleu'];
    const run = await spawnCli(['run', '--help']);
    expect(run.code).toBe(0);
    expect(namesIn(taskOptionHelp(run.stdout), candidates)).toEqual([...taskNames]);
    const imp = await spawnCli(['datasets', 'import', '--help']);
    expect(imp.code).toBe(0);
    expect(namesIn(taskOptionHelp(imp.stdout), candidates)).toEqual([...taskNames]);
    const score = await spawnCli(['score', '--help']);
    expect(score.code).toBe(0);
    expect(namesIn(taskOptionHelp(score.stdout), candidates)).toEqual([...scoreCommandTaskNames]);
    expect(scoreCommandTaskNames).toEqual(['asr', 'ocr', 'vqa', 'mcq', 'mmau', 'ast', 'cls']);
  });

  it('the manifest schema accepts exactly the registry tasks', () => {
    expect([...manifestSampleSchema.shape.task.options]).toEqual([...taskNames]);
    const bad = manifestSampleSchema.safeParse({ id: 'x', task: 'bleu', reference: 'a' });
    expect(bad.success).toBe(false);
  });

  it('docs/scoring.md has a tasks table naming exactly the registry tasks, with their primary metrics', async () => {
    const doc = await readFile(new URL('../../docs/scoring.md', import.meta.url), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('Tasks\n'));
    expect(section, 'docs/scoring.md needs a "## Tasks" section').toBeDefined();
    const rows = section!.split('\n').filter((l) => /^\| `[^`]+` \|/.test(l));
    expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)![1])).toEqual([...taskNames]);
    for (const [k, t] of taskNames.entries()) {
      const primary = rows[k]?.split('|')[5];
      expect(primary).toContain(`\`${tasks[t].primaryMetric()}\``);
    }
  });

  it("gateway prompt defaults are the specs' prompts", () => {
    for (const t of taskNames) expect(defaultPromptTemplates[t]).toBe(tasks[t].defaultPrompt);
  });
});

describe('task metrics metadata', () => {
  it('asr: wer (word unit) or cer (char, mixed), lower is better, permutation test', () => {
    const asr = tasks.asr;
    expect(asr.primaryMetric()).toBe('wer');
    expect(asr.primaryMetric({ unit: 'word' })).toBe('wer');
    expect(asr.primaryMetric({ unit: 'char' })).toBe('cer');
    expect(asr.primaryMetric({ unit: 'mixed' })).toBe('cer');
    for (const name of ['wer', 'cer', 'mer', 'wil']) {
      expect(asr.metrics.find((m) => m.name === name)).toMatchObject({ direction: 'lower', pairedTest: 'permutation' });
    }
    expect(asr.metrics.find((m) => m.name === 'wip')).toMatchObject({ direction: 'higher' });
  });

  it('ocr: anls primary, every metric higher is better; 0/1 metrics take McNemar', () => {
    expect(tasks.ocr.primaryMetric()).toBe('anls');
    expect(tasks.ocr.metrics.map((m) => m.name)).toEqual(['anls', 'anls_lmms', 'ocrbench', 'exact_match', 'norm_edit_dis']);
    expect(tasks.ocr.metrics.every((m) => m.direction === 'higher')).toBe(true);
    expect(tasks.ocr.metrics.find((m) => m.name === 'anls')!.pairedTest).toBe('permutation');
    expect(tasks.ocr.metrics.find((m) => m.name === 'exact_match')!.pairedTest).toBe('mcnemar');
  });

  it('vqa: vqa_accuracy for human answers, then ocr metrics (one definition) for reference lists; its own prompt; `score --task vqa`', () => {
    expect(tasks.vqa.metrics.map((m) => m.name)).toEqual(['vqa_accuracy', ...tasks.ocr.metrics.map((m) => m.name)]);
    expect(tasks.vqa.metrics.slice(1)).toEqual(tasks.ocr.metrics);
    expect(tasks.vqa.options).toBe(tasks.ocr.options);
    expect(tasks.vqa.primaryMetric()).toBe('anls');
    expect(tasks.vqa.defaultPrompt).not.toBe(tasks.ocr.defaultPrompt);
    expect(tasks.vqa.scoreCommand).toBe(true);
  });

  it('mcq: accuracy, higher is better, McNemar', () => {
    expect(tasks.mcq.primaryMetric()).toBe('accuracy');
    expect(tasks.mcq.metrics).toEqual([expect.objectContaining({ name: 'accuracy', direction: 'higher', pairedTest: 'mcnemar' })]);
  });

  it('mmau: accuracy, higher is better, McNemar', () => {
    expect(tasks.mmau.primaryMetric()).toBe('accuracy');
    expect(tasks.mmau.metrics).toEqual([expect.objectContaining({ name: 'accuracy', direction: 'higher', pairedTest: 'mcnemar' })]);
  });

  it('ast: bleu primary; bleu, chrf and chrf_pp higher is better (permutation)', () => {
    expect(tasks.ast.primaryMetric()).toBe('bleu');
    expect(tasks.ast.metrics.map((m) => m.name)).toEqual(['bleu', 'chrf', 'chrf_pp']);
    expect(tasks.ast.metrics.every((m) => m.direction === 'higher' && m.pairedTest === 'permutation')).toBe(true);
  });

  it('cls: accuracy primary (McNemar), macro_f1 higher is better (permutation)', () => {
    expect(tasks.cls.primaryMetric()).toBe('accuracy');
    expect(tasks.cls.metrics.map((m) => [m.name, m.direction, m.pairedTest])).toEqual([
      ['accuracy', 'higher', 'mcnemar'],
      ['macro_f1', 'higher', 'permutation'],
    ]);
  });

  it('every primary metric is described, and the aggregate reports it', () => {
    // Keyed by TaskName, so a task without items fails to compile.
    const items: Record<TaskName, ScoreItem[]> = {
      asr: [{ id: 'a', reference: 'a b c', prediction: 'a c' }],
      ocr: [{ id: 'a', reference: ['Coca Cola'], prediction: 'CocaCola' }],
      vqa: [{ id: 'a', reference: ['58213'], prediction: '58213' }],
      mcq: [{ id: 'a', answer: 'B', choices: ['x', 'y'], prediction: 'B' }],
      mmau: [{ id: 'a', answer: 'B', choices: ['x', 'y'], prediction: 'y' }],
      ast: [{ id: 'a', reference: ['the cat sat', 'a cat sat'], prediction: 'the cat sat' }],
      cls: [{ id: 'a', reference: 'happy', choices: ['happy', 'sad'], prediction: 'Happy.' }],
      duplex: [
        {
          id: 'a',
          reference: '{"events":{"turn_end_s":2},"scenario":"smooth-turn-taking"}',
          prediction: JSON.stringify({
            v: 1,
            recording_s: 5,
            model_words: [['yes', 2.5, 3.8]],
            model_spans: [[2.4, 3.9]],
            first_audio_s: 2.4,
            transcript: 'yes',
          }),
        },
      ],
    };
    for (const t of taskNames) {
      const spec = tasks[t];
      const primary = spec.primaryMetric();
      expect(
        spec.metrics.some((m) => m.name === primary),
        t,
      ).toBe(true);
      expect(spec.aggregate(items[t]).metrics, t).toHaveProperty(primary);
    }
  });

  it("compare's direction and test for each task are today's (asr lower/permutation, ocr and vqa anls, mcq McNemar)", () => {
    const outcome = (o: Partial<SampleOutcome>): SampleOutcome =>
      ({
        sampleId: '1',
        sampleKey: 'k',
        status: 'ok',
        prediction: 'a b',
        reference: null,
        answer: null,
        choices: null,
        lang: null,
        tags: [],
        media: [],
        latencyTotalMs: null,
        ...o,
      }) as SampleOutcome;
    const header = { normalizer: null, scoring: {} };
    expect(scoreOutcomes('asr', [outcome({ reference: 'a b c' })], header)).toMatchObject({ metric: 'wer', lowerIsBetter: true, accuracyTest: false });
    expect(scoreOutcomes('asr', [outcome({ reference: 'a b c' })], { normalizer: null, scoring: { unit: 'char' } })).toMatchObject({
      metric: 'cer',
      lowerIsBetter: true,
      accuracyTest: false,
    });
    for (const t of ['ocr', 'vqa']) {
      expect(scoreOutcomes(t, [outcome({ reference: ['a b'] })], header)).toMatchObject({ metric: 'anls', lowerIsBetter: false, accuracyTest: false });
    }
    const mcq = scoreOutcomes('mcq', [outcome({ answer: 'A', choices: ['x', 'y'], prediction: 'A' })], header);
    expect(mcq).toMatchObject({ metric: 'accuracy', lowerIsBetter: false, accuracyTest: true });
    expect(mcq.byKey.get('k')).toMatchObject({ item: { numerator: 1, denominator: 1 }, score: 1, errors: 'extracted A' });
    const asr = scoreOutcomes('asr', [outcome({ reference: 'a b c', prediction: 'a x' })], header).byKey.get('k')!;
    expect(asr).toMatchObject({ item: { numerator: 2, denominator: 3 }, errors: 'S=1 D=1 I=0' });
  });
});

describe('scoreSample and aggregate equal scoreTask', () => {
  const asrItems: ScoreItem[] = [
    { id: 'u1', reference: 'this is a test', prediction: 'this is test' },
    { id: 'u2', reference: 'hello world', prediction: 'hello big world' },
    { id: 'u3', reference: '我爱北京 ok', prediction: null },
  ];
  const ocrItems: ScoreItem[] = [
    { id: 'o1', reference: ['Coca Cola', 'Coca Cola Company'], prediction: 'CocaCola' },
    { id: 'o2', reference: 'x^2', prediction: 'X^2', datasetName: 'HME100k' },
    { id: 'o3', reference: 'Total $18.40', prediction: null },
  ];
  const mcqItems: ScoreItem[] = [
    { id: 'm1', answer: 'C', choices: ['a', 'b', 'c', 'd'], prediction: 'The answer is C.' },
    { id: 'm2', answer: 'A', choices: ['a', 'b', 'c', 'd'], prediction: 'I cannot tell from this video what happens next at all, sorry.' },
    { id: 'm3', answer: 'B', choices: ['a', 'b'], prediction: '(B) b' },
  ];

  it.each([
    ['asr', {}, asrItems],
    ['asr', { unit: 'mixed' as const }, asrItems],
    ['asr', { unit: 'char' as const, normalizer: 'whisper-basic' as const }, asrItems],
    ['ocr', {}, ocrItems],
    ['ocr', { normalizer: 'whisper-basic' as const }, ocrItems],
    ['mcq', {}, mcqItems],
    ['mcq', { extractor: 'lmms' as const, excludeUnanswered: true }, mcqItems],
  ] as const)('%s with options %j', (task, options, items) => {
    const spec = tasks[task];
    const direct = scoreTask(items, { ...options, task });
    expect(spec.aggregate(items, options)).toEqual(direct);
    for (const [k, item] of items.entries()) {
      expect(spec.scoreSample(item, options)).toEqual(scoreTask([item], { ...options, task }).samples[0]);
      if (task !== 'asr') expect(spec.scoreSample(item, options)).toEqual(direct.samples[k]);
    }
  });

  it('vqa scores reference lists as ocr', () => {
    expect(tasks.vqa.aggregate(ocrItems)).toEqual({ ...scoreTask(ocrItems, { task: 'ocr' }), task: 'vqa' });
  });
});
