// vqa human answers through the store, on PGlite and PostgreSQL: migration
// 20261204210000_sample_human_answers (up and down), manifest import (digest
// and verify cover them), the sealed view withholding them like `reference`,
// the batch runner's per-sample and report scoring, and live sample binding.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDigest } from '../../datasets/dataset-digest.js';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { findBoundSample, scoreBoundSample } from '../../gateway/live/sample-binding.js';
import { perSampleScorer } from '../../gateway/runner/execute-run.js';
import { buildRunReport, loadScoreTask } from '../../gateway/runner/score-run.js';
import { importDataset, listSamples, publicSampleView, verifyDataset } from '../../gateway/store/dataset-repo.js';
import { predictionsForScoring } from '../../gateway/store/prediction-repo.js';
import { getRun } from '../../gateway/store/run-repo.js';
import { listPendingSamples } from '../../gateway/store/run-scope-repo.js';
import { migrations } from '../../migrations/index.js';
import { scoreOcr } from '../../scorers/tasks/ocr.js';
import { vqaAccuracy } from '../../scorers/vqa/vqa-accuracy.js';
import { seedRun } from '../compare/seed-runs.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

const ten = (...pairs: [string, number][]): string[] => pairs.flatMap(([a, k]) => Array<string>(k).fill(a));
const HUMAN = {
  h1: ten(['2', 6], ['two', 3], ['ZQXHUMAN-two dogs', 1]),
  h2: ten(['yes', 10]),
  h3: ten(['red', 2], ['blue', 8]),
};
const lines = [
  { id: 'h1', task: 'vqa', image: 'img/a.png', question: 'How many dogs?', answers: HUMAN.h1 },
  { id: 'h2', task: 'vqa', image: 'img/a.png', question: 'Is it sunny?', answers: HUMAN.h2 },
  { id: 'h3', task: 'vqa', image: 'img/a.png', question: 'What color?', answers: HUMAN.h3 },
  { id: 'r1', task: 'vqa', image: 'img/a.png', question: 'What does the sign say?', reference: ['EXIT', 'exit'] },
];
const PREDICTIONS: Record<string, string> = { h1: 'Two.', h2: 'Yes', h3: 'red', r1: 'EXlT' };

async function writeSet(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eg-vqa-'));
  await (await import('node:fs/promises')).mkdir(join(dir, 'img'));
  await writeFile(join(dir, 'img', 'a.png'), Buffer.from('png-bytes'));
  const path = join(dir, 'manifest.jsonl');
  await writeFile(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return path;
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`vqa human answers on ${backend.name}`, () => {
    let ts: TestStore;
    let datasetId: string;
    beforeAll(async () => {
      ts = await backend.create({ migrate: true });
      const ds = await importDataset(ts.store.db, await parseManifest(await writeSet()), { name: 'vqa-set', sealed: true, probeDurationS: null });
      datasetId = ds.id;
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    it('import stores the human answers (null for a reference sample); the digest covers them and verify agrees', async () => {
      const rows = await listSamples(ts.store.db, datasetId);
      expect(rows.map((r) => [r.sample_key, r.human_answers])).toEqual([
        ['h1', HUMAN.h1],
        ['h2', HUMAN.h2],
        ['h3', HUMAN.h3],
        ['r1', null],
      ]);
      const h1 = rows[0]!;
      const ds = await ts.store.db.selectFrom('datasets').selectAll().where('id', '=', datasetId).executeTakeFirstOrThrow();
      // A new import is digested under the dataset's recorded digest version (2: media content, not paths).
      expect(ds.digest_version).toBe(2);
      const input = { id: h1.sample_key, task: h1.task, media: h1.media, question: h1.question, tags: h1.tags };
      expect(sampleDigest({ ...input, answers: h1.human_answers }, 2)).toBe(h1.sample_digest);
      expect(sampleDigest(input, 2)).not.toBe(h1.sample_digest);
      const report = await verifyDataset(ts.store.db, ds);
      expect(report.changed).toEqual([]);
      expect(report.ok).toBe(true);
    });

    it('the sealed view withholds human answers exactly as it withholds the reference', async () => {
      const [h1] = await listSamples(ts.store.db, datasetId, { keys: ['h1'] });
      const hidden = publicSampleView(h1!, { sealed: true, isAdmin: false });
      expect(hidden).not.toHaveProperty('humanAnswers');
      expect(hidden).not.toHaveProperty('reference');
      expect(JSON.stringify(hidden)).not.toContain('ZQXHUMAN');
      expect(publicSampleView(h1!, { sealed: true, isAdmin: true }).humanAnswers).toEqual(HUMAN.h1);
      expect(publicSampleView(h1!, { sealed: false, isAdmin: false }).humanAnswers).toEqual(HUMAN.h1);
    });

    it('the runner scores each sample and the report with VQA accuracy (human answers) and ANLS (reference)', async () => {
      const { db } = ts.store;
      const ids = new Map((await listSamples(db, datasetId)).map((r) => [r.sample_key, r.id]));
      // Per-sample scoring as a run does it, on the samples the run's scope lists.
      const pending = await listPendingSamples(db, { id: '00000000-0000-0000-0000-000000000000', datasetId, task: 'vqa' });
      expect(pending.map((s) => [s.key, s.humanAnswers ?? null])).toEqual([
        ['h1', HUMAN.h1],
        ['h2', HUMAN.h2],
        ['h3', HUMAN.h3],
        ['r1', null],
      ]);
      const score = perSampleScorer('vqa', await loadScoreTask())!;
      for (const s of pending.filter((p) => p.humanAnswers)) {
        const rows = score(s, PREDICTIONS[s.key]!);
        expect(rows.find((r) => r.metric === 'vqa_accuracy')?.value).toBe(vqaAccuracy(s.humanAnswers!, PREDICTIONS[s.key]!).accuracy);
        // Score rows never carry the human answers.
        expect(JSON.stringify(rows)).not.toContain('ZQXHUMAN');
      }
      // The run report, from the stored predictions.
      const runId = await seedRun(db, {
        model: `m-${backend.name}`,
        kind: 'generalist',
        datasetId,
        ids,
        task: 'vqa',
        predictions: Object.entries(PREDICTIONS).map(([key, text]) => ({ key, text })),
      });
      expect((await predictionsForScoring(db, runId)).map((r) => r.humanAnswers)).toEqual([HUMAN.h1, HUMAN.h2, HUMAN.h3, null]);
      const report = await buildRunReport(db, (await getRun(db, runId))!);
      const accs = (['h1', 'h2', 'h3'] as const).map((k) => vqaAccuracy(HUMAN[k], PREDICTIONS[k]!).accuracy);
      expect(accs[0]).toBe(1);
      expect(accs[1]).toBe(0);
      expect(report.metrics?.vqa_accuracy).toBe((accs[0]! + accs[1]! + accs[2]!) / 3);
      expect(report.metrics?.anls).toBe(scoreOcr([{ id: 'r1', reference: ['EXIT', 'exit'], prediction: 'EXlT' }]).metrics.anls);
      expect(report.warnings).toEqual([]);
    });

    it('live binding scores a vqa sample against its human answers', async () => {
      const bound = await findBoundSample(ts.store.db, { dataset: 'vqa-set', sample: 'h3' });
      expect(bound.humanAnswers).toEqual(HUMAN.h3);
      expect(scoreBoundSample(bound, 'Red')).toEqual({ vqa_accuracy: vqaAccuracy(HUMAN.h3, 'Red').accuracy });
      expect(scoreBoundSample(bound, 'Red')!.vqa_accuracy).toBeCloseTo(0.6, 12);
    });

    it('migration down drops the column, up adds it back empty', async () => {
      // This store holds a digest-v2 dataset, which the later digest-version migration refuses to go below
      // (it would lose the fact): so that refusal is checked here, and the column's down/up on a store whose
      // only dataset is digest v1, as every dataset was when this column's migration was the latest.
      const guarded = new Migrator({ db: ts.store.db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
      const refused = await guarded.migrateTo('20261204170000_task_as_text');
      expect(String(refused.error)).toMatch(/digest_version/);

      const fresh = await backend.create({ migrate: true });
      try {
        const { db } = fresh.store;
        const v1 = await importDataset(db, await parseManifest(await writeSet()), { name: 'vqa-v1', sealed: true, probeDurationS: null });
        await db.updateTable('datasets').set({ digest_version: 1 }).where('id', '=', v1.id).execute();
        const hasColumn = async (): Promise<boolean> => {
          const r = await sql<{
            n: number | string;
          }>`select count(*) as n from information_schema.columns where table_name = 'samples' and column_name = 'human_answers'`.execute(db);
          return Number(r.rows[0]?.n) === 1;
        };
        expect(await hasColumn()).toBe(true);
        const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
        const down = await migrator.migrateTo('20261204170000_task_as_text');
        expect(down.error).toBeUndefined();
        // Every later migration goes down first, newest first, then this one.
        expect(down.results?.map((r) => r.migrationName)).toEqual(
          Object.keys(migrations)
            .filter((m) => m > '20261204170000_task_as_text')
            .sort()
            .reverse(),
        );
        expect(down.results?.at(-1)?.migrationName).toBe('20261204210000_sample_human_answers');
        expect(await hasColumn()).toBe(false);
        const up = await migrator.migrateToLatest();
        expect(up.error).toBeUndefined();
        expect(await hasColumn()).toBe(true);
        const rows = await listSamples(db, v1.id);
        expect(rows.length).toBe(4);
        expect(rows.every((r) => r.human_answers === null)).toBe(true);
      } finally {
        await fresh.dispose();
      }
    });
  });
}
