// Arena ratings as a column beside the automatic metrics: GET /v1/leaderboard
// and `evalgate leaderboard`'s table give each model its rating from human
// votes when people rated it, from judge votes otherwise, labelled, and none
// for a model without votes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLeaderboardArena, withArenaColumns } from '../../gateway/arena/leaderboard-arena.js';
import { loadArenaRatings } from '../../gateway/arena/arena-ratings.js';
import { formatLeaderboards } from '../../gateway/compare/format-leaderboards.js';
import { buildLeaderboards } from '../../gateway/compare/leaderboard.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { writeRunsReport } from '../../gateway/report/write-runs-report.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { appendArenaVotes, type NewArenaVote } from '../../gateway/store/arena-vote-repo.js';
import type { FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

const config = configSchema.parse({ server: { auth: true }, arena: { ratings: { rounds: 100, seed: 3 } } });

describe('arena ratings beside the leaderboard', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let viewer: string;
  beforeAll(async () => {
    ts = await createPgliteTestStore({ migrate: true });
    const db = ts.store.db;
    const samples = Array.from({ length: 6 }, (_, i) => ({ key: `s${i}`, task: 'asr' as const, reference: 'a b c' }));
    const { datasetId, ids } = await seedDataset(db, 'lb-ds', samples);
    const runs: Record<string, string> = {};
    for (const [model, text] of [
      ['m1', 'a b c'],
      ['m2', 'a b'],
      ['m3', 'a'],
      ['m4', 'a b x'],
    ] as const) {
      runs[model] = await seedRun(db, { model, kind: 'generalist', datasetId, ids, task: 'asr', predictions: samples.map((s) => ({ key: s.key, text })) });
    }
    const votes: NewArenaVote[] = [];
    const human = (a: string, b: string, vote: FiveLevelVote, n: number): void => {
      for (let i = 0; i < n; i++)
        votes.push({
          source: 'human',
          battle_id: null,
          modality: 'text',
          model_a: a,
          model_b: b,
          vote,
          voter_key: `v${i}`,
          dedupe_key: `h:${a}:${b}:${vote}:${i}`,
        });
    };
    const judge = (a: string, b: string, vote: FiveLevelVote, n: number): void => {
      for (let i = 0; i < n; i++)
        votes.push({
          source: 'judge',
          judge_run_id: runs.m1!,
          modality: 'text',
          model_a: a,
          model_b: b,
          vote,
          voter_key: 'judge-x',
          dedupe_key: `j:${a}:${b}:${vote}:${i}`,
        });
    };
    // People rated m1 and m2 only; the judge rated m2 and m3 (and would put m2 first).
    human('m1', 'm2', 'A>B', 5);
    human('m2', 'm1', 'A>B', 2);
    judge('m2', 'm3', 'A>B', 4);
    judge('m3', 'm2', 'A>B', 1);
    // Human votes need a battle each.
    for (const v of votes.filter((x) => x.source === 'human')) {
      const b = await db
        .insertInto('arena_battles')
        .values({ modality: 'text', model_a: v.model_a, model_b: v.model_b, prompt_hash: v.dedupe_key, creator_key: 'k' })
        .returning('id')
        .executeTakeFirstOrThrow();
      (v as { battle_id: string | null }).battle_id = b.id;
    }
    expect(await appendArenaVotes(db, votes)).toBe(votes.length);
    viewer = (await createApiKey(db, { scopes: ['viewer'] })).key;
    app = await createApp({ config, store: ts.store });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('GET /v1/leaderboard: per model, human when people rated it, judge otherwise, null without votes', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/leaderboard?task=asr&iterations=50', headers: { authorization: `Bearer ${viewer}` } });
    expect(res.statusCode).toBe(200);
    const entries = (
      res.json() as { boards: { entries: { modelId: string; arena: { source: string; rating: number | null; rank: number | null } | null }[] }[] }
    ).boards[0]!.entries;
    const arena = new Map(entries.map((e) => [e.modelId, e.arena]));
    const human = await loadArenaRatings(ts.store.db, config, { source: 'human' });
    const judge = await loadArenaRatings(ts.store.db, config, { source: 'judge' });
    const hm = new Map(human.ratings.models.map((m) => [m.model, m]));
    const jm = new Map(judge.ratings.models.map((m) => [m.model, m]));
    expect(arena.get('m1')).toMatchObject({ source: 'human', rating: hm.get('m1')!.rating, rank: hm.get('m1')!.rank });
    expect(arena.get('m2')).toMatchObject({ source: 'human', rating: hm.get('m2')!.rating });
    expect(arena.get('m3')).toMatchObject({ source: 'judge', rating: jm.get('m3')!.rating });
    expect(arena.get('m4')).toBeNull();
  });

  it('the CLI table shows an arena column labelled by source', async () => {
    const boards = withArenaColumns(await buildLeaderboards(ts.store.db, { task: 'asr', iterations: 50 }), await loadLeaderboardArena(ts.store.db, config, {}));
    const text = formatLeaderboards(boards);
    expect(text).toContain('arena rating');
    expect(text).toMatch(/m1 .* human/);
    expect(text).toMatch(/m3 .* judge/);
  });

  it('the HTML report has a small arena table for the compared models, labelled by source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalgate-arena-report-'));
    try {
      const runIds = (await ts.store.db.selectFrom('runs').select(['id', 'model_id']).orderBy('model_id').execute())
        .filter((r) => r.model_id !== 'm2')
        .map((r) => r.id);
      await writeRunsReport(ts.store.db, { runIds, out: join(dir, 'with.html'), config });
      const html = await readFile(join(dir, 'with.html'), 'utf8');
      expect(html).toContain('<h2>Arena ratings</h2>');
      expect(html).toMatch(/<tr><td>m1<\/td><td>\d+<\/td>.*?<td>human<\/td><\/tr>/);
      expect(html).toMatch(/<tr><td>m3<\/td><td>\d+<\/td>.*?<td>judge<\/td><\/tr>/);
      expect(html).not.toContain('<tr><td>m2</td>'); // not compared
      expect(html).not.toContain('<tr><td>m4</td>'); // no votes
      await writeRunsReport(ts.store.db, { runIds, out: join(dir, 'without.html') });
      expect(await readFile(join(dir, 'without.html'), 'utf8')).not.toContain('Arena ratings');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('GET /v1/report shows the same arena table for the compared models', async () => {
    const runIds = (await ts.store.db.selectFrom('runs').select(['id', 'model_id']).orderBy('model_id').execute())
      .filter((r) => r.model_id === 'm1' || r.model_id === 'm3')
      .map((r) => r.id);
    const res = await app.inject({ method: 'GET', url: `/v1/report?runs=${runIds.join(',')}&iterations=50`, headers: { authorization: `Bearer ${viewer}` } });
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('<h2>Arena ratings</h2>');
    expect(html).toMatch(/<tr><td>m1<\/td><td>\d+<\/td>.*?<td>human<\/td><\/tr>/);
    expect(html).toMatch(/<tr><td>m3<\/td><td>\d+<\/td>.*?<td>judge<\/td><\/tr>/);
    expect(html).not.toContain('<tr><td>m2</td>');
  }, 60_000);
});
