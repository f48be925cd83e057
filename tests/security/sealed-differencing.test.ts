import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createApp } from '../../gateway/server/create-app.js';
import { backends, type TestStore } from '../helpers/test-stores.js';
import { seedDataset, seedRun, type SeedPrediction } from '../compare/seed-runs.js';

/**
 * The differencing attack on a sealed dataset (issue 13, finding 1): two
 * aggregates whose sample sets differ by one sample give that sample's score
 * away. Run C is run A again (a deterministic model) with one sample failed:
 * compare A,B vs A,B,C, or A's summary vs C's, would subtract into the score
 * of that sample. Run L was made with a limit (11 of 24 samples). A viewer
 * must see only aggregates over whole sets the dataset defines; admin sees all.
 */

const N = 24;
const keys = Array.from({ length: N }, (_, i) => `s${String(i).padStart(2, '0')}`);
const FAILED = 's05'; // in slice "first" (s00–s11); run A answers it right
// Accuracy on MCQ: A is right when i % 3 !== 0, B when i % 4 !== 0.
const aText = (i: number): string => (i % 3 ? 'B' : 'A');
const bText = (i: number): string => (i % 4 ? 'B' : 'C');

type Json = Record<string, unknown>;
interface Slice {
  slice: string;
  n: number;
  runs: { runId: string; value: { estimate: number } }[];
}

for (const backend of backends) {
  describe(`sealed differencing: only whole dataset-defined sets reach a viewer (${backend.name})`, () => {
    let ts: TestStore;
    let app: FastifyInstance;
    let viewer: string;
    let admin: string;
    let datasetId: string;
    const run = { a: '', b: '', c: '', limited: '' };

    beforeAll(async () => {
      ts = await backend.create();
      const db = ts.store.db;
      const seeded = await seedDataset(
        db,
        'sealed-diff',
        keys.map((key, i) => ({ key, task: 'mcq' as const, answer: 'B', choices: ['w', 'x', 'y', 'z'], tags: [i < 12 ? 'first' : 'second'], lang: 'en' })),
      );
      datasetId = seeded.datasetId;
      await db.updateTable('datasets').set({ sealed: true }).where('id', '=', datasetId).execute();
      const seed = async (model: string, kind: 'generalist' | 'specialist', predictions: SeedPrediction[], ok: number, accuracy: number): Promise<string> => {
        const id = await seedRun(db, { model, kind, datasetId, ids: seeded.ids, task: 'mcq', predictions });
        const failed = predictions.length - ok;
        await db
          .updateTable('runs')
          .set({ summary: JSON.stringify({ counts: { ok, failed, skipped: 0, pending: 0, total: predictions.length }, metrics: { accuracy } }) })
          .where('id', '=', id)
          .execute();
        return id;
      };
      const correct = (f: (i: number) => string, pick: (i: number) => boolean): number => keys.filter((_, i) => pick(i) && f(i) === 'B').length;
      run.a = await seed(
        'gen-a',
        'generalist',
        keys.map((key, i) => ({ key, text: aText(i) })),
        N,
        correct(aText, () => true) / N,
      );
      run.b = await seed(
        'spec-b',
        'specialist',
        keys.map((key, i) => ({ key, text: bText(i) })),
        N,
        correct(bText, () => true) / N,
      );
      // The same model as A, run again: one sample failed.
      run.c = await seed(
        'gen-c',
        'generalist',
        keys.map((key, i) => (key === FAILED ? { key, status: 'failed' as const } : { key, text: aText(i) })),
        N - 1,
        correct(aText, (i) => keys[i] !== FAILED) / (N - 1),
      );
      // `--limit 11`: 11 ≥ minSliceSize, yet not the whole set; all right, so it is the best specialist where it answered.
      run.limited = await seed(
        'spec-limited',
        'specialist',
        keys.slice(0, 11).map((key) => ({ key, text: 'B' })),
        11,
        1,
      );
      viewer = (await createApiKey(db, { scopes: ['viewer'] })).key;
      admin = (await createApiKey(db, { scopes: ['admin'] })).key;
      app = await createApp({ config: configSchema.parse({ server: { auth: true } }), store: ts.store });
    });
    afterAll(async () => {
      await app?.close();
      await ts?.dispose();
    });

    async function get(url: string, key: string): Promise<Json> {
      const res = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Json>();
    }
    const compare = (ids: string[], key: string, by = 'tag'): Promise<Json> => get(`/v1/compare?runs=${ids.join(',')}&by=${by}&iterations=20`, key);
    /** Every (slice, run) → estimate a compare document shows. */
    const estimates = (c: Json): Map<string, number> => {
      const out = new Map<string, number>();
      for (const s of [c.overall, ...(c.breakdown as Slice[])] as Slice[]) for (const r of s.runs) out.set(`${s.slice}/${r.runId}`, r.value.estimate);
      return out;
    };

    it('compare A,B (complete runs) shows the overall metric and every slice to a viewer', async () => {
      const c = await compare([run.a, run.b], viewer);
      expect((c.overall as Slice).n).toBe(N);
      expect((c.overall as Slice).runs).toHaveLength(2);
      expect((c.breakdown as Slice[]).map((s) => [s.slice, s.n])).toEqual([
        ['first', 12],
        ['second', 12],
      ]);
      expect(c.withheld).toEqual([]);
    });

    it('compare A,B,C (C failed one sample) withholds every partial aggregate and leaks no difference', async () => {
      const whole = estimates(await compare([run.a, run.b], viewer));
      for (const by of ['tag', 'lang', 'task']) {
        const c = await compare([run.a, run.b, run.c], viewer, by);
        expect(c.sharedSamples).toBe(N - 1);
        expect((c.overall as Slice).runs, `overall by ${by}`).toEqual([]);
        const withheld = (c.withheld as string[]).join('\n');
        expect(withheld).toContain(`the overall metric: covers ${N - 1} of ${N} samples: partial slices of a sealed set could be differenced`);
        for (const s of c.breakdown as Slice[]) expect(s.slice === 'second', `slice ${s.slice} by ${by} is partial`).toBe(true);
        if (by === 'tag') expect(withheld).toContain('slice "first": covers 11 of 12 samples');
        // What is shown is what A,B showed: nothing to subtract.
        for (const [slice, estimate] of estimates(c)) {
          if (!slice.endsWith(run.c)) expect(whole.get(slice), `${slice} by ${by}`).toBe(estimate);
        }
      }
      // Admin sees the 23-sample numbers, and they do differ: the attack is real without the policy.
      const forAdmin = await compare([run.a, run.b, run.c], admin);
      expect((forAdmin.overall as Slice).n).toBe(N - 1);
      const a23 = (forAdmin.overall as Slice).runs.find((r) => r.runId === run.a)!.value.estimate;
      expect(a23).not.toBe(whole.get(`all/${run.a}`));
    });

    it('run summaries and leaderboard entries of partial runs (failed sample, --limit) go to admin only', async () => {
      const summaries = async (key: string): Promise<Map<string, Json>> =>
        new Map(((await get('/v1/runs', key)).runs as { id: string; summary: Json }[]).map((r) => [r.id, r.summary]));
      const v = await summaries(viewer);
      expect(v.get(run.a)!.metrics).toMatchObject({ accuracy: expect.any(Number) });
      expect(v.get(run.b)!.metrics).not.toBeNull();
      expect(v.get(run.c)!.metrics).toBeNull();
      expect(v.get(run.limited)!.metrics).toBeNull();
      expect(v.get(run.limited)!.withheld).toEqual([`metrics: covers 11 of ${N} samples: partial slices of a sealed set could be differenced (admin only)`]);
      const ad = await summaries(admin);
      expect(ad.get(run.c)!.metrics).not.toBeNull();
      expect(ad.get(run.limited)!.metrics).not.toBeNull();

      type Board = {
        sealed: boolean;
        board: string;
        differs: string[];
        entries: { modelId: string; n: number; failed: number; tiedWith: string[] }[];
        withheld?: string[];
      };
      const boards = async (key: string, query = ''): Promise<Board[]> =>
        (await get(`/v1/leaderboard?task=mcq&dataset=sealed-diff&iterations=20${query}`, key)).boards as Board[];
      // The --limit run is not comparable with the full runs: it has a board of its own, which says so in counts only.
      const [vb, vLimited] = await boards(viewer);
      expect(vb!.board).toBe('main');
      expect(vb!.entries.map((e) => e.modelId).sort()).toEqual(['gen-a', 'spec-b']);
      expect(vb!.entries.flatMap((e) => e.tiedWith).every((m) => m === 'gen-a' || m === 'spec-b')).toBe(true);
      expect(vb!.withheld!.join('\n')).toContain(`entry of model gen-c: covers ${N - 1} of ${N} samples`);
      expect(vLimited!.board).toBe('separate');
      expect(vLimited!.differs).toEqual([`samples: 11 of ${N} (main board: ${N} of ${N})`]);
      expect(vLimited!.entries).toEqual([]);
      expect(vLimited!.withheld!.join('\n')).toContain(`entry of model spec-limited: covers 11 of ${N} samples`);
      // Ranked together on request, the partial entries stay admin-only all the same.
      const [vMixed] = await boards(viewer, '&allowMixed=true');
      expect(vMixed!.board).toBe('mixed');
      expect(vMixed!.entries.map((e) => e.modelId).sort()).toEqual(['gen-a', 'spec-b']);
      expect(vMixed!.withheld!.join('\n')).toContain(`entry of model spec-limited: covers 11 of ${N} samples`);
      const [ab, aLimited] = await boards(admin);
      expect(ab!.entries.map((e) => [e.modelId, e.n, e.failed]).sort()).toEqual([
        ['gen-a', N, 0],
        ['gen-c', N - 1, 1],
        ['spec-b', N, 0],
      ]);
      expect(aLimited!.entries.map((e) => [e.modelId, e.n])).toEqual([['spec-limited', 11]]);
    });

    it('kind-gap rows reach a viewer only over whole sets', async () => {
      type Row = { slice: string; board: string; sliceSamples: number; n: number; gap: unknown };
      const kinds = async (query = ''): Promise<Row[]> =>
        (await get(`/v1/compare/kinds?task=mcq&dataset=sealed-diff&iterations=20${query}`, viewer)).rows as Row[];
      const size = (slice: string): number => (slice === 'all' ? N : 12);
      // The limited run is on a board of its own (every row of it partial); the main board's rows cover whole sets.
      const rows = await kinds();
      expect(rows.map((r) => [r.board, r.slice])).toEqual([
        ['main', 'all'],
        ['main', 'first'],
        ['main', 'second'],
      ]);
      // Mixed, the limited run is the best specialist on "all" and "first" (partial there); on "second" it answered nothing.
      const mixed = await kinds('&allowMixed=true');
      expect(mixed.map((r) => [r.board, r.slice])).toEqual([['mixed', 'second']]);
      for (const r of [...rows, ...mixed]) {
        expect(r.sliceSamples, r.slice).toBe(size(r.slice));
        if (r.gap !== null) expect(r.n, r.slice).toBe(size(r.slice));
      }
    });
  });
}
