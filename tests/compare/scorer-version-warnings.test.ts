// compare warns when the runs' recorded scorer versions differ; runs recorded
// before versions were stored (no runs.config.scorerVersions) are unknown and
// never cause that warning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { formatComparison } from '../../gateway/compare/format-comparison.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { seedDataset, seedRun } from './seed-runs.js';

const refs: Record<string, string> = { a1: 'the cat sat on the mat', a2: 'hello world', a3: 'one two three four' };
const isVersionWarning = (w: string): boolean => w.startsWith('runs were scored with different');

describe('compare: scorer version warnings', () => {
  let ts: TestStore;
  const run: Record<string, string> = {};

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const { datasetId, ids } = await seedDataset(
      db,
      'asr-versions',
      Object.entries(refs).map(([key, reference]) => ({ key, task: 'asr' as const, reference })),
    );
    const current = scorerVersions('asr');
    // `legacy` predates stored versions; `older` was scored by a jiwer 3 era build (same options).
    const records: Record<string, unknown> = { legacy: undefined, a: current, b: current, older: { ...current, metric: 'jiwer@v3.0.4' } };
    for (const [name, versions] of Object.entries(records)) {
      const id = await seedRun(db, {
        model: `m-${name}`,
        kind: 'generalist',
        datasetId,
        ids,
        task: 'asr',
        predictions: Object.keys(refs).map((key) => ({ key, text: refs[key] })),
      });
      run[name] = id;
      if (versions)
        await db
          .updateTable('runs')
          .set({ config: JSON.stringify({ scorer: {}, scorerVersions: versions }) })
          .where('id', '=', id)
          .execute();
    }
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  it('no warning when the versions are equal, or when one run has none recorded', async () => {
    const db = ts.store.db;
    expect(compareRuns(await loadRunOutcomes(db, [run.a!, run.b!])).warnings.filter(isVersionWarning)).toEqual([]);
    expect(compareRuns(await loadRunOutcomes(db, [run.legacy!, run.older!])).warnings.filter(isVersionWarning)).toEqual([]);
  });

  it('warns, naming the component and both versions, when known versions differ', async () => {
    const db = ts.store.db;
    const c = compareRuns(await loadRunOutcomes(db, [run.a!, run.older!, run.legacy!]));
    expect(c.warnings.filter(isVersionWarning)).toEqual([
      'runs were scored with different metric versions (jiwer@v4.0.0 vs jiwer@v3.0.4): their recorded numbers follow different upstream definitions',
    ]);
    expect(formatComparison(c)).toContain('warning: runs were scored with different metric versions (jiwer@v4.0.0 vs jiwer@v3.0.4)');
  });
});
