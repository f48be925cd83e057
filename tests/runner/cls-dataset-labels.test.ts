// cls's label set and synonyms set once for a whole dataset in its manifest
// (`labels`, `label_synonyms` on its lines): they must agree across lines, and
// they reach the scorer in `evalgate score` and in a batch run (recorded in the
// run's scorer options), exactly as the --labels/--synonyms options would.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetScorerOptions, parseManifestText } from '../../datasets/parse-manifest.js';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { findBoundSample, scoreBoundSample } from '../../gateway/live/sample-binding.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { scoreTask } from '../../scorers/score-task.js';
import { realdataDir } from '../helpers/realdata.js';
import { spawnCli } from '../helpers/run-cli.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { configWithModel } from './runner-fixtures.js';
import { sampleMarker, startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

const labels = ['happy', 'sad', 'angry'];
const synonyms = { happy: ['joy', 'joyful'], angry: ['mad'] };
const samples = [
  { id: 'e1', reference: 'happy', reply: 'The speaker sounds joyful.' },
  { id: 'e2', reference: 'sad', reply: 'sad' },
  { id: 'e3', reference: 'angry', reply: 'mad, clearly' },
  { id: 'e4', reference: 'happy', reply: 'sad' },
  { id: 'e5', reference: 'sad', reply: 'I cannot tell.' },
];
// Without the synonyms, "joyful" and "mad" name no label: what the dataset-level fields change.
const withSettings = scoreTask(
  samples.map((s) => ({ id: s.id, reference: s.reference, prediction: s.reply })),
  { task: 'cls', labels, synonyms },
);
const without = scoreTask(
  samples.map((s) => ({ id: s.id, reference: s.reference, prediction: s.reply })),
  { task: 'cls' },
);

let dir = '';
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
// The settings on the first line only, and repeated (equal) on the third.
const manifestRows = samples.map((s, i) => ({
  id: s.id,
  task: 'cls',
  image: 'img.jpg',
  question: `${sampleMarker(s.id)} Which emotion?`,
  reference: s.reference,
  ...(i === 0 || i === 2 ? { labels, label_synonyms: synonyms } : {}),
}));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalgate-cls-labels-'));
  await copyFile(join(realdataDir, 'en_rec.jpg'), join(dir, 'img.jpg'));
  await writeFile(join(dir, 'cls.jsonl'), jsonl(manifestRows));
  await writeFile(join(dir, 'preds.jsonl'), jsonl(samples.map((s) => ({ id: s.id, prediction: s.reply }))));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cls: dataset-level labels and synonyms in the manifest', () => {
  it('the fixture is one where the settings matter', () => {
    expect(withSettings.metrics.accuracy).toBe(3 / 5);
    expect(without.metrics.accuracy).not.toBe(withSettings.metrics.accuracy);
  });

  it('a manifest checks they agree on every line and belong to cls', () => {
    expect(datasetScorerOptions(parseManifestText(jsonl(manifestRows), 'm.jsonl', '/d'))).toEqual({ labels, synonyms });
    const differs = jsonl([manifestRows[0], { ...manifestRows[1], labels: ['happy', 'sad'] }]);
    expect(() => parseManifestText(differs, 'm.jsonl', '/d')).toThrow('m.jsonl:2: labels: differs from line 1');
    const onAsr = jsonl([{ id: 'a', task: 'asr', audio: 'a.wav', reference: 'x', labels }]);
    expect(() => parseManifestText(onAsr, 'm.jsonl', '/d')).toThrow('is for task cls, not asr');
  });

  it('evalgate score reads them from the references, and a flag overrides them', async () => {
    const r = await spawnCli(['score', '--references', 'cls.jsonl', '--predictions', 'preds.jsonl', '--json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { metrics: unknown }).metrics).toEqual(withSettings.metrics);
    await writeFile(join(dir, 'syn.json'), JSON.stringify({}));
    const flag = await spawnCli(['score', '--references', 'cls.jsonl', '--predictions', 'preds.jsonl', '--synonyms', 'syn.json', '--json'], { cwd: dir });
    expect((JSON.parse(flag.stdout) as { metrics: unknown }).metrics).toEqual(
      scoreTask(
        samples.map((s) => ({ id: s.id, reference: s.reference, prediction: s.reply })),
        { task: 'cls', labels, synonyms: {} },
      ).metrics,
    );
    await writeFile(join(dir, 'bad.jsonl'), jsonl([manifestRows[0], { ...manifestRows[1], label_synonyms: { happy: ['glad'] } }]));
    const bad = await spawnCli(['score', '--references', 'bad.jsonl', '--predictions', 'preds.jsonl'], { cwd: dir });
    expect(bad.stderr).toContain('bad.jsonl:2: label_synonyms: differs from line 1');
    // Key order does not matter (as at import); one label is not a label set (as at import).
    const swapped = { angry: synonyms.angry, happy: synonyms.happy };
    await writeFile(join(dir, 'swapped.jsonl'), jsonl(manifestRows.map((r, i) => (i === 2 ? { ...r, label_synonyms: swapped } : r))));
    const ok = await spawnCli(['score', '--references', 'swapped.jsonl', '--predictions', 'preds.jsonl'], { cwd: dir });
    expect(ok.stderr).toBe('');
    expect(() => parseManifestText(jsonl([manifestRows[0], { ...manifestRows[1], label_synonyms: swapped }]), 'm.jsonl', '/d')).not.toThrow();
    await writeFile(join(dir, 'one.jsonl'), jsonl(manifestRows.map((r, i) => (i === 0 ? { ...r, labels: ['happy'] } : r))));
    const one = await spawnCli(['score', '--references', 'one.jsonl', '--predictions', 'preds.jsonl'], { cwd: dir });
    expect(one.stderr).toContain('one.jsonl:1: labels: is not a cls setting, or is malformed');
  });

  describe('a batch run (PGlite, scripted OpenAI-compatible server)', () => {
    let ts: TestStore;
    let server: ScriptedServer;
    beforeAll(async () => {
      server = await startScriptedServer({ answers: Object.fromEntries(samples.map((s) => [s.id, s.reply])), latencyMs: 1 });
      ts = await createPgliteTestStore();
    });
    afterAll(async () => {
      await server?.close();
      await ts?.dispose();
    });

    it('records them as the run scorer options and scores with them', async () => {
      const prepared = await prepareRun(ts.store.db, configWithModel(server.baseUrl), { dataset: join(dir, 'cls.jsonl'), modelId: 'scripted' }, (m) =>
        createModel(m),
      );
      expect(prepared.config.scorer).toEqual({ labels, synonyms });
      const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 2, timeoutMs: 5000 });
      expect(result.report.counts).toMatchObject({ ok: 5 });
      expect(result.report.metrics?.accuracy).toBe(withSettings.metrics.accuracy);
      // compare scores the run's outcomes with its recorded options: the same accuracy as its report.
      const [outcomes] = await loadRunOutcomes(ts.store.db, [prepared.run.id]);
      const compared = compareRuns([outcomes!, outcomes!], { iterations: 20, seed: 1 });
      expect(compared.metric).toBe('accuracy');
      expect(compared.overall.runs[0]!.value.estimate).toBe(withSettings.metrics.accuracy);
      // Live scoring of a bound sample of the dataset uses them too: "joyful" names happy.
      const bound = await findBoundSample(ts.store.db, { dataset: prepared.config.dataset.name, sample: 'e1' });
      expect(scoreBoundSample(bound, 'She is joyful.')).toMatchObject({ correct: 1 });
      expect(scoreBoundSample({ ...bound, scoring: {} }, 'She is joyful.')).toMatchObject({ correct: 0 });
      // A run's own option wins over the dataset's.
      const own = await prepareRun(
        ts.store.db,
        configWithModel(server.baseUrl),
        { dataset: join(dir, 'cls.jsonl'), modelId: 'scripted', scorer: { synonyms: {} }, forceNew: true },
        (m) => createModel(m),
      );
      expect(own.config.scorer).toEqual({ labels, synonyms: {} });
    });
  });
});
