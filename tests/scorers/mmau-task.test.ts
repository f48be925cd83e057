// MMAU's string-match rule (Sakshi113/MMAU evaluation.py string_match at 74682927):
// hand-made cases, upstream's own outputs pinned by mmau-oracle.py, scoreTask, and
// `evalgate score --task mmau` through the built CLI.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreTask } from '../../scorers/score-task.js';
import { mmauAnswerText, mmauStringMatch, mmauTokens, scoreMmau } from '../../scorers/tasks/mmau.js';
import { tasks } from '../../scorers/tasks/index.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { cliBin, spawnCli } from '../helpers/run-cli.js';

const PEOPLE = ['A child', 'A woman', 'An adult man', 'A robot'];

describe('mmauTokens (set(re.findall(r"\\b\\w+\\b", text.lower())))', () => {
  it('lower-cases and splits on anything that is not a Python word character', () => {
    expect([...mmauTokens("The DOG-barking, don't stop_now! 3.5")]).toEqual(['the', 'dog', 'barking', 'don', 't', 'stop_now', '3', '5']);
    expect(mmauTokens('a A a.').size).toBe(1);
    expect([...mmauTokens('是钢琴 ΣΟΦΊΑ')]).toEqual(['是钢琴', 'σοφία']);
  });

  it('combining marks are not \\w in Python, so they split a word', () => {
    // हिंदी: the vowel sign ि (Mc) and the anusvara ं (Mn) break the word, as in Python's re.
    expect([...mmauTokens('हिंदी')]).toEqual(['ह', 'द']);
  });
});

describe('mmauStringMatch', () => {
  it('every token of the correct choice must be in the prediction, in any order and case', () => {
    expect(mmauStringMatch('Man', 'The speaker is a man.', ['Man', 'Woman', 'Child', 'Robot'])).toBe(true);
    expect(mmauStringMatch('Dog barking', 'barking dog', ['Dog barking', 'Cat meowing', 'Dog growling'])).toBe(true);
    expect(mmauStringMatch('An adult man', 'an adult MAN!', PEOPLE)).toBe(true);
    expect(mmauStringMatch('An adult man', 'A man', PEOPLE)).toBe(false);
    expect(mmauStringMatch('A child', 'child', PEOPLE)).toBe(false);
  });

  it('a token only a wrong choice has makes the answer wrong', () => {
    expect(mmauStringMatch('Man', 'A woman, not a man', ['Man', 'Woman', 'Child', 'Robot'])).toBe(false);
    expect(mmauStringMatch('Yes', 'Yes and no', ['Yes', 'No'])).toBe(false);
    expect(mmauStringMatch('3', '3 or 4', ['1', '2', '3', '4'])).toBe(false);
    // "a" belongs to "A child" / "A woman" / "A robot" but not to the answer.
    expect(mmauStringMatch('An adult man', 'An adult man, a', PEOPLE)).toBe(false);
  });

  it('tokens a wrong choice shares with the answer do not count against it', () => {
    // "dog" is in the wrong choice "Dog growling" too; only "growling" is the wrong choice's own token.
    expect(mmauStringMatch('Dog barking', 'dog-barking', ['Dog barking', 'Cat meowing', 'Dog growling'])).toBe(true);
    expect(mmauStringMatch('Dog barking', 'The dog is barking, not growling', ['Dog barking', 'Cat meowing', 'Dog growling'])).toBe(false);
    expect(mmauStringMatch('C major', 'c major', ['C major', 'C minor', 'G major'])).toBe(true);
    expect(mmauStringMatch('C major', 'C', ['C major', 'C minor', 'G major'])).toBe(false);
  });

  it('a choice with the same token set as the answer is not a wrong choice', () => {
    expect(mmauStringMatch('Yes', 'Yes', ['Yes', 'yes!', 'No'])).toBe(true);
  });

  it('an empty or punctuation-only prediction is wrong; an answer without tokens needs only a clean prediction', () => {
    expect(mmauStringMatch('Yes', '', ['Yes', 'No'])).toBe(false);
    expect(mmauStringMatch('Yes', '!!!', ['Yes', 'No'])).toBe(false);
    expect(mmauStringMatch('?', 'anything', ['?', 'No'])).toBe(true);
    expect(mmauStringMatch('?', 'no', ['?', 'No'])).toBe(false);
  });

  it('a bare letter is not the choice text', () => {
    expect(mmauStringMatch('Man', 'A', ['Man', 'Woman', 'Child', 'Robot'])).toBe(false);
    expect(mmauStringMatch('Man', '(A) Man', ['Man', 'Woman', 'Child', 'Robot'])).toBe(true);
  });

  it('Unicode lower-casing and word characters as Python', () => {
    expect(mmauStringMatch('Café', 'CAFÉ', ['Café', 'Bar'])).toBe(true);
    expect(mmauStringMatch('ΣΟΦΊΑ', 'σοφία', ['ΣΟΦΊΑ', 'Bar'])).toBe(true);
    // İ lower-cases to i + U+0307 (not \w): "istanbul" lacks the token "i".
    expect(mmauStringMatch('İstanbul', 'istanbul', ['İstanbul', 'Ankara'])).toBe(false);
    expect(mmauStringMatch('snake_case', 'snake case', ['snake_case', 'camelCase'])).toBe(false);
    expect(mmauStringMatch('钢琴', '是钢琴', ['钢琴', '吉他'])).toBe(false);
  });
});

describe("MMAU's own string_match, pinned (tests/scorers/mmau-oracle.py)", () => {
  const oracle = JSON.parse(readFileSync(new URL('./mmau-oracle.json', import.meta.url), 'utf8')) as {
    hand: number;
    cases: { answer: string; prediction: string; choices: string[]; match: boolean }[];
  };

  it('holds hand-made and random cases with both outcomes', () => {
    expect(oracle.cases.length).toBe(437);
    expect(oracle.cases.filter((c) => c.match).length).toBeGreaterThan(100);
    expect(oracle.cases.filter((c) => !c.match).length).toBeGreaterThan(100);
  });

  it('agrees on every case', () => {
    const wrong = oracle.cases.filter((c) => mmauStringMatch(c.answer, c.prediction, c.choices) !== c.match);
    expect(wrong).toEqual([]);
  });
});

describe('mmau task', () => {
  it('reads a letter answer (the manifest form) through the choices, and a text answer as is', () => {
    expect(mmauAnswerText('C', PEOPLE)).toBe('An adult man');
    expect(mmauAnswerText('An adult man', PEOPLE)).toBe('An adult man');
    // A letter past the choices is text.
    expect(mmauAnswerText('E', PEOPLE)).toBe('E');
  });

  it('scoreTask: accuracy over all samples, a missing prediction scored as empty (wrong)', () => {
    const r = scoreTask(
      [
        { id: 'q1', answer: 'C', choices: PEOPLE, prediction: 'It is an adult man speaking.' },
        { id: 'q2', answer: 'A woman', choices: PEOPLE, prediction: 'A woman' },
        { id: 'q3', answer: 'A', choices: PEOPLE, prediction: 'A' },
        { id: 'q4', answer: 'B', choices: PEOPLE, prediction: null },
      ],
      { task: 'mmau' },
    );
    expect(r.task).toBe('mmau');
    expect(r.metrics).toEqual({ accuracy: 0.5, correct: 2, n: 4 });
    expect(r.samples.map((s) => s.correct)).toEqual([true, true, false, false]);
    expect(r.samples[0]).toMatchObject({ answer: 'An adult man', missing: false });
    expect(r.missing).toEqual(['q4']);
  });

  it('spec: audio required, accuracy higher with McNemar, pairedItem 0/1, no extractor recorded', () => {
    const spec = tasks.mmau;
    expect(spec.sample).toMatchObject({ target: 'choice', requiredMedia: 'audio' });
    expect(spec.metrics).toEqual([expect.objectContaining({ name: 'accuracy', direction: 'higher', pairedTest: 'mcnemar' })]);
    const [ok, bad] = scoreMmau([
      { id: 'a', answer: 'A', choices: ['Yes', 'No'], prediction: 'yes' },
      { id: 'b', answer: 'A', choices: ['Yes', 'No'], prediction: 'no' },
    ]).samples;
    expect(spec.pairedItem(ok!)).toEqual({ numerator: 1, denominator: 1, score: 1, errors: '' });
    expect(spec.pairedItem(bad!)).toEqual({ numerator: 0, denominator: 1, score: 0, errors: 'no match' });
    expect(scorerVersions('mmau')).toEqual({ task: 'mmau', normalizer: 'none@1', metric: 'mmau-string-match@7468292' });
  });
});

describe('evalgate score --task mmau (built CLI)', () => {
  it('scores text and letter answers with MMAU accuracy', async () => {
    if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run \`npm run build\` first`);
    const dir = await mkdtemp(path.join(tmpdir(), 'evalgate-mmau-'));
    const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await writeFile(
      path.join(dir, 'refs.jsonl'),
      jsonl([
        { id: 'q1', answer: 'Man', choices: ['Man', 'Woman', 'Child', 'Robot'] },
        { id: 'q2', answer: 'B', choices: ['Man', 'Woman', 'Child', 'Robot'] },
        { id: 'q3', answer: 'Child', choices: ['Man', 'Woman', 'Child', 'Robot'] },
      ]),
    );
    await writeFile(
      path.join(dir, 'preds.jsonl'),
      jsonl([
        { id: 'q1', prediction: 'The speaker is a man.' },
        { id: 'q2', prediction: 'woman' },
        { id: 'q3', prediction: 'A child or a robot' },
      ]),
    );
    const r = await spawnCli(['score', '--task', 'mmau', '--references', 'refs.jsonl', '--predictions', 'preds.jsonl', '--json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { task: string; metrics: Record<string, number>; samples: { id: string; correct: boolean }[] };
    expect(doc.task).toBe('mmau');
    expect(doc.metrics).toEqual({ accuracy: 2 / 3, correct: 2, n: 3 });
    expect(doc.samples.map((s) => [s.id, s.correct])).toEqual([
      ['q1', true],
      ['q2', true],
      ['q3', false],
    ]);
  });
});
