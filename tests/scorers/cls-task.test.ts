// cls: the label a free-text answer names (whole words, longest first, two
// different labels → unanswered) and the classification metrics, checked on a
// confusion matrix computed by hand (python3 here has no scikit-learn to ask).
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBin, spawnCli } from '../helpers/run-cli.js';
import { scoreTask, type ScoreItem } from '../../scorers/score-task.js';
import { classScores, clsTask, findLabels, labelMatcher, matchLabel, normalizeLabelText, scoreCls } from '../../scorers/tasks/cls.js';
import { tasks } from '../../scorers/tasks/index.js';

const emotions = labelMatcher(['happy', 'sad', 'angry', 'neutral'], { happy: ['joy', 'joyful'], angry: ['anger'] });

describe('cls label matching', () => {
  it('normalizes case, punctuation and symbols to spaced words', () => {
    expect(normalizeLabelText('  HAPPY!!! (mostly) ')).toBe('happy mostly');
    expect(normalizeLabelText('Non-Speech/Music')).toBe('non speech music');
  });

  it('is case-insensitive and ignores punctuation', () => {
    expect(matchLabel('HAPPY!!!', emotions)).toEqual({ predicted: 'happy', found: ['happy'], unanswered: null });
    expect(matchLabel('"Sad."', emotions).predicted).toBe('sad');
    expect(matchLabel('The emotion is: Angry.', emotions).predicted).toBe('angry');
    const ns = labelMatcher(['speech', 'non-speech']);
    expect(matchLabel('Non speech', ns).predicted).toBe('non-speech');
    expect(matchLabel('NON-SPEECH!', ns).predicted).toBe('non-speech');
  });

  it('reads synonyms as their label', () => {
    expect(matchLabel('Joy.', emotions).predicted).toBe('happy');
    expect(matchLabel('The speaker sounds full of anger', emotions).predicted).toBe('angry');
    // A synonym and its own label together are one label, not two.
    expect(matchLabel('joyful, i.e. happy', emotions)).toEqual({ predicted: 'happy', found: ['happy'], unanswered: null });
  });

  it('an answer naming two different labels is unanswered; the same label twice is not', () => {
    expect(matchLabel('happy or sad', emotions)).toEqual({ predicted: null, found: ['happy', 'sad'], unanswered: 'several-labels' });
    expect(matchLabel('joy, then anger', emotions)).toEqual({ predicted: null, found: ['happy', 'angry'], unanswered: 'several-labels' });
    expect(matchLabel('Happy. Definitely happy.', emotions).predicted).toBe('happy');
    expect(matchLabel('I cannot tell', emotions)).toEqual({ predicted: null, found: [], unanswered: 'no-label' });
    expect(matchLabel('', emotions).unanswered).toBe('no-label');
  });

  it('does not find a label inside another word', () => {
    const gender = labelMatcher(['male', 'female']);
    expect(matchLabel('The speaker is female.', gender).predicted).toBe('female');
    expect(matchLabel('FEMALE', gender).found).toEqual(['female']);
    expect(matchLabel('sadness', emotions).unanswered).toBe('no-label');
    expect(matchLabel('unhappy', emotions).unanswered).toBe('no-label');
  });

  it('matches multi-word labels as a whole, longest first at a position', () => {
    const events = labelMatcher(['dog', 'dog barking', 'car horn', 'speech with music', 'speech']);
    expect(findLabels('A dog barking loudly', events)).toEqual(['dog barking']);
    expect(findLabels('Speech with music in the background', events)).toEqual(['speech with music']);
    expect(findLabels('a dog', events)).toEqual(['dog']);
    expect(findLabels('a car, then a horn', events)).toEqual([]);
    expect(findLabels('car-horn', events)).toEqual(['car horn']);
    // Two different labels, each found whole: unanswered.
    expect(matchLabel('a dog barking near speech', events).unanswered).toBe('several-labels');
  });

  it('refuses a phrase that names two labels', () => {
    expect(() => labelMatcher(['happy', 'sad'], { happy: ['blue'], sad: ['Blue!'] })).toThrow(/names both/);
    expect(() => labelMatcher(['happy', 'Happy'])).toThrow(RangeError);
  });
});

// Hand-computed: labels happy, sad, angry (happy = joy).
//   true\pred  happy sad angry unanswered
//   happy        2    1    0     0
//   sad          0    1    0     1
//   angry        0    1    1     1
// happy: tp 2 fp 0 fn 1 → P 1, R 2/3, F1 4/5; sad: tp 1 fp 2 fn 1 → P 1/3, R 1/2, F1 2/5;
// angry: tp 1 fp 0 fn 2 → P 1, R 1/3, F1 1/2; macro-F1 (0.8 + 0.4 + 0.5) / 3; accuracy 4/8.
const items: ScoreItem[] = [
  { id: '1', reference: 'happy', prediction: 'Happy!' },
  { id: '2', reference: 'Happy', prediction: 'joy' },
  { id: '3', reference: 'happy', prediction: 'sad' },
  { id: '4', reference: 'sad', prediction: 'It sounds sad.' },
  { id: '5', reference: 'sad', prediction: 'happy or sad' },
  { id: '6', reference: 'angry', prediction: 'ANGRY' },
  { id: '7', reference: 'angry', prediction: "I think it's sad." },
  { id: '8', reference: 'angry', prediction: null },
];
const options = { labels: ['happy', 'sad', 'angry'], synonyms: { happy: ['joy'] } };

describe('cls metrics', () => {
  it('accuracy, macro-F1, per-class precision/recall and the confusion matrix', () => {
    const r = scoreCls(items, options);
    expect(r.metrics.accuracy).toBe(0.5);
    expect(r.metrics.macro_f1).toBeCloseTo((0.8 + 0.4 + 0.5) / 3, 12);
    expect(r.metrics).toMatchObject({ correct: 4, answered: 6, unanswered: 2, n: 8 });
    const pc = Object.fromEntries(r.per_class.map((c) => [c.label, c]));
    expect(pc.happy).toMatchObject({ support: 3, precision: 1 });
    expect(pc.happy!.recall).toBeCloseTo(2 / 3, 12);
    expect(pc.happy!.f1).toBeCloseTo(0.8, 12);
    expect(pc.sad!.precision).toBeCloseTo(1 / 3, 12);
    expect(pc.sad).toMatchObject({ recall: 0.5, support: 2 });
    expect(pc.sad!.f1).toBeCloseTo(0.4, 12);
    expect(pc.angry).toMatchObject({ precision: 1, f1: 0.5, support: 3 });
    expect(pc.angry!.recall).toBeCloseTo(1 / 3, 12);
    expect(r.confusion).toEqual({
      rows: ['happy', 'sad', 'angry'],
      columns: ['happy', 'sad', 'angry', 'unanswered'],
      counts: [
        [2, 1, 0, 0],
        [0, 1, 0, 1],
        [0, 1, 1, 1],
      ],
    });
    expect(r.missing).toEqual(['8']);
    expect(r.samples.map((s) => s.predicted)).toEqual(['happy', 'happy', 'sad', 'sad', null, 'angry', 'sad', null]);
    expect(r.samples[1]).toMatchObject({ label: 'happy', correct: true });
    expect(r.samples[4]).toMatchObject({ unanswered: 'several-labels', found: ['happy', 'sad'], correct: false });
    expect(r.samples[7]).toMatchObject({ missing: true, unanswered: 'no-label' });
  });

  it('macro-F1 averages over the whole label set: an absent class scores 0 (scikit-learn zero_division)', () => {
    const r = scoreCls([{ id: 'a', reference: 'dog', prediction: 'dog' }], { labels: ['dog', 'cat', 'bird'] });
    expect(r.metrics.macro_f1).toBeCloseTo(1 / 3, 12);
    expect(r.per_class.map((c) => [c.label, c.precision, c.recall, c.f1])).toEqual([
      ['dog', 1, 1, 1],
      ['cat', 0, 0, 0],
      ['bird', 0, 0, 0],
    ]);
  });

  it('a true label outside the set is its own row: a prediction there is a false positive', () => {
    // tp(dog) 1, fp(dog) 1 (the "horse" sample) → P 1/2, R 1, F1 2/3; cat never right → 0.
    const r = scoreCls(
      [
        { id: 'a', reference: 'dog', prediction: 'dog' },
        { id: 'b', reference: 'horse', prediction: 'dog' },
      ],
      { labels: ['dog', 'cat'] },
    );
    expect(r.confusion.rows).toEqual(['dog', 'cat', 'horse']);
    expect(r.confusion.counts).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [1, 0, 0],
    ]);
    expect(r.per_class[0]!.precision).toBe(0.5);
    expect(r.metrics.macro_f1).toBeCloseTo(2 / 3 / 2, 12);
  });

  it('classScores: unanswered (null) is a false negative of the true class only', () => {
    const s = classScores(['a', 'a', 'b'], [null, 'a', null], ['a', 'b']);
    expect(s).toEqual([
      { label: 'a', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
      { label: 'b', precision: 0, recall: 0, f1: 0, support: 1 },
    ]);
  });

  it("without `labels`: a sample's choices are its label set, else every label the samples name", () => {
    const withChoices = scoreCls([{ id: 'a', reference: 'Male', choices: ['male', 'female'], prediction: 'a male voice' }]);
    expect(withChoices.labels).toEqual(['male', 'female']);
    expect(withChoices.samples[0]).toMatchObject({ label: 'male', predicted: 'male', correct: true });
    const implied = scoreCls(
      [
        { id: 'a', reference: 'Happy', prediction: 'sad' },
        { id: 'b', reference: 'sad', prediction: 'happy' },
        { id: 'c', reference: 'happy', prediction: 'joy' },
      ],
      { synonyms: { Happy: ['joy'] } },
    );
    expect(implied.labels).toEqual(['Happy', 'sad']);
    expect(implied.samples.map((s) => [s.label, s.predicted])).toEqual([
      ['Happy', 'sad'],
      ['sad', 'Happy'],
      ['Happy', 'Happy'],
    ]);
    expect(implied.metrics.accuracy).toBeCloseTo(1 / 3, 12);
  });
});

describe('cls through the registry', () => {
  it('scoreTask({ task: "cls" }) is the spec, and scoreSample scores one item alike', () => {
    const direct = scoreTask(items, { task: 'cls', ...options });
    expect(direct).toEqual(scoreCls(items, options));
    expect(direct.task).toBe('cls');
    expect(tasks.cls).toBe(clsTask);
    for (const [k, it] of items.entries()) expect(clsTask.scoreSample(it, options)).toEqual(direct.samples[k]);
    // Unknown option keys are dropped; a bad label set is refused.
    expect(scoreTask(items, { task: 'cls', ...options, tokenize: '13a' }).metrics).toEqual(direct.metrics);
    expect(() => scoreTask(items, { task: 'cls', labels: [] })).toThrow();
  });

  it('pairedItem: 0/1 accuracy with the reason beside a wrong answer', () => {
    const r = scoreCls(items, options);
    expect(r.samples.map((s) => clsTask.pairedItem(s))).toEqual([
      { numerator: 1, denominator: 1, score: 1, errors: '' },
      { numerator: 1, denominator: 1, score: 1, errors: '' },
      { numerator: 0, denominator: 1, score: 0, errors: 'predicted sad' },
      { numerator: 1, denominator: 1, score: 1, errors: '' },
      { numerator: 0, denominator: 1, score: 0, errors: 'unanswered: happy, sad' },
      { numerator: 1, denominator: 1, score: 1, errors: '' },
      { numerator: 0, denominator: 1, score: 0, errors: 'predicted sad' },
      { numerator: 0, denominator: 1, score: 0, errors: 'unanswered' },
    ]);
    expect(clsTask.headline(r.metrics)).toBe('accuracy 0.500  macro-F1 0.567');
  });
});

describe('evalgate score --task cls (built CLI)', () => {
  let dir = '';
  beforeAll(async () => {
    if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run \`npm run build\` first`);
    dir = await mkdtemp(path.join(tmpdir(), 'evalgate-cls-'));
    const refs = [
      { id: 'c1', task: 'cls', audio: 'c1.wav', reference: 'happy' },
      { id: 'c2', task: 'cls', audio: 'c2.wav', reference: 'sad' },
      { id: 'c3', task: 'cls', audio: 'c3.wav', reference: 'angry' },
    ];
    const preds = [
      { id: 'c1', prediction: 'The speaker sounds joyful.' },
      { id: 'c2', prediction: 'Sad.' },
      { id: 'c3', prediction: 'Full of anger.' },
    ];
    const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await writeFile(path.join(dir, 'refs.jsonl'), jsonl(refs));
    await writeFile(path.join(dir, 'preds.jsonl'), jsonl(preds));
    await writeFile(path.join(dir, 'synonyms.json'), JSON.stringify({ happy: ['joyful'], angry: ['anger'] }));
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ happy: 'joyful' }));
  });
  const run = (args: string[]) =>
    spawnCli(['score', '--task', 'cls', '--references', 'refs.jsonl', '--predictions', 'preds.jsonl', '--json', ...args], { cwd: dir });

  it('--labels and --synonyms reach the scorer', async () => {
    const plain = await run(['--labels', 'happy,sad,angry,neutral']);
    expect(plain.code, plain.stderr).toBe(0);
    const without = JSON.parse(plain.stdout) as { labels: string[]; metrics: { correct: number; unanswered: number } };
    expect(without.labels).toEqual(['happy', 'sad', 'angry', 'neutral']);
    // Without synonyms only "Sad." names a label.
    expect(without.metrics).toMatchObject({ correct: 1, unanswered: 2 });
    const withSynonyms = await run(['--labels', 'happy,sad,angry,neutral', '--synonyms', 'synonyms.json']);
    expect(withSynonyms.code, withSynonyms.stderr).toBe(0);
    expect((JSON.parse(withSynonyms.stdout) as { metrics: { correct: number } }).metrics).toMatchObject({ correct: 3, unanswered: 0 });
  });

  it('a malformed synonyms file or an empty label is a bad-input error', async () => {
    const bad = await run(['--synonyms', 'bad.json']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('EVALGATE_ERR_BAD_INPUT');
    expect(bad.stderr).toContain('label → list of non-empty strings');
    const empty = await run(['--labels', 'happy,,sad']);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('--labels takes comma-separated non-empty labels');
  });
});
