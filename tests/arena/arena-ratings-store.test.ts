// The arena's ratings from the store (gateway/arena/arena-ratings.ts), through
// GET /v1/arena/ratings and `evalgate arena ratings`: votes seeded into a real
// database, one source at a time or combined (and said so), exclusions counted
// by reason, duplicate prompts downsampled reproducibly, and the freeze.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupPrompts, loadArenaRatings } from '../../gateway/arena/arena-ratings.js';
import registerArena from '../../gateway/cli/commands/arena.js';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { appendArenaVotes, type NewArenaVote } from '../../gateway/store/arena-vote-repo.js';
import type { Database } from '../../gateway/store/database.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { FiveLevelVote } from '../../scorers/arena/arena-vote.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { runCommandInProcess, spawnCli } from '../helpers/run-cli.js';

const early = new Date('2026-06-01T00:00:00Z');
const late = new Date('2026-09-01T00:00:00Z');
const freeze = '2026-07-01T00:00:00Z';

// Human votes, each its own battle and prompt unless `prompt` says otherwise.
interface Seed {
  readonly a: string;
  readonly b: string;
  readonly vote: FiveLevelVote;
  readonly prompt?: string;
  readonly excluded?: string;
  readonly at?: Date;
  readonly voter?: string;
}
const beats = (a: string, b: string, n: number, vote: FiveLevelVote = 'A>B'): Seed[] => Array.from({ length: n }, () => ({ a, b, vote }));
const humanSeeds: Seed[] = [
  ...beats('m1', 'm2', 6),
  ...beats('m2', 'm1', 2),
  ...beats('m2', 'm3', 6),
  ...beats('m3', 'm2', 2),
  ...beats('m1', 'm3', 5),
  ...beats('m3', 'm1', 1),
  { a: 'm1', b: 'm2', vote: 'A=B' },
  // Stored but excluded when written.
  { a: 'm3', b: 'm1', vote: 'A>>B', excluded: 'identity-leak' },
  { a: 'm3', b: 'm1', vote: 'A>>B', excluded: 'identity-leak' },
  { a: 'm3', b: 'm2', vote: 'A>>B', excluded: 'voter-daily-cap' },
  // One prompt voted three times: two are downsampled away (maxVotesPerPrompt 1).
  { a: 'm2', b: 'm3', vote: 'A>B', prompt: 'same prompt' },
  { a: 'm3', b: 'm2', vote: 'A>B', prompt: 'same prompt' },
  { a: 'm2', b: 'm3', vote: 'B>A', prompt: 'same prompt' },
  // A model in one vote only: listed, not rated (minVotes 2).
  { a: 'm4', b: 'm1', vote: 'B>A' },
  // After the freeze: a new model that only the unfrozen ratings know.
  { a: 'm5', b: 'm1', vote: 'A>B', at: late },
  { a: 'm5', b: 'm2', vote: 'A>B', at: late },
  { a: 'm1', b: 'm5', vote: 'B>A', at: late },
];
// Judge votes disagree with people: m3 first.
const judgeSeeds: Seed[] = [
  ...beats('m3', 'm1', 5),
  ...beats('m1', 'm3', 1),
  ...beats('m3', 'm2', 4),
  ...beats('m2', 'm3', 1),
  ...beats('m2', 'm1', 3),
  ...beats('m1', 'm2', 1),
];

const config: EvalgateConfig = configSchema.parse({
  server: { auth: true },
  arena: { maxVotesPerPrompt: 1, ratings: { minVotes: 2, rounds: 200, seed: 7 } },
});

async function seed(db: Kysely<Database>): Promise<void> {
  const { datasetId, ids } = await seedDataset(db, 'arena-ds', [{ key: 's1', task: 'asr', reference: 'x' }]);
  const judgeRun = await seedRun(db, { model: 'judge-x', kind: 'generalist', datasetId, ids, task: 'asr', predictions: [{ key: 's1', text: 'x' }] });
  const votes: NewArenaVote[] = [];
  for (const [i, s] of humanSeeds.entries()) {
    const battle = await db
      .insertInto('arena_battles')
      .values({ modality: 'text', model_a: s.a, model_b: s.b, prompt_text: s.prompt ?? `prompt ${i}`, prompt_hash: s.prompt ?? `h${i}`, creator_key: 'k' })
      .returning('id')
      .executeTakeFirstOrThrow();
    votes.push({
      source: 'human',
      battle_id: battle.id,
      modality: i % 7 === 0 ? 'audio' : 'text',
      model_a: s.a,
      model_b: s.b,
      vote: s.vote,
      voter_key: s.voter ?? `voter-${i % 5}`,
      excluded_reason: s.excluded ?? null,
      dedupe_key: `battle:${battle.id}`,
      created_at: s.at ?? early,
    });
  }
  for (const [i, s] of judgeSeeds.entries()) {
    votes.push({
      source: 'judge',
      judge_run_id: judgeRun,
      sample_id: ids.get('s1')!,
      modality: 'text',
      model_a: s.a,
      model_b: s.b,
      vote: s.vote,
      voter_key: 'judge-x',
      dedupe_key: `judge:${judgeRun}:${i}`,
      created_at: early,
    });
  }
  expect(await appendArenaVotes(db, votes)).toBe(votes.length);
}

describe('arena ratings from the store', () => {
  let dir: string;
  let store: Awaited<ReturnType<typeof openStore>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-arena-ratings-'));
    store = await openStore({ pgliteDir: join(dir, 'db'), migrate: true });
    await seed(store.db);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const humanInTime = humanSeeds.filter((s) => !s.at);
  const lateCount = humanSeeds.length - humanInTime.length;

  it('human votes only, with every exclusion counted by reason', async () => {
    const v = await loadArenaRatings(store.db, config, { source: 'human', freezeAt: new Date(freeze) });
    expect([v.source, v.label, v.combined, v.ratings.sources]).toEqual(['human', 'human', false, ['human']]);
    expect(v.votes.excluded).toEqual({
      'identity-leak': 2,
      'voter-daily-cap': 1,
      'duplicate-prompt': 2,
      'superseded-judge-run': 0,
      'voter-outlier': 0,
      'min-votes': 1,
    });
    expect(v.votes.considered).toBe(humanInTime.length);
    expect(v.votes.afterFreeze).toBe(lateCount);
    expect(v.votes.used).toBe(humanInTime.length - 2 - 1 - 2 - 1);
    const byModel = new Map(v.ratings.models.map((m) => [m.model, m]));
    expect(byModel.get('m1')!.rating!).toBeGreaterThan(byModel.get('m2')!.rating!);
    expect(byModel.get('m2')!.rating!).toBeGreaterThan(byModel.get('m3')!.rating!);
    expect(byModel.get('m4')).toMatchObject({ rating: null, rank: null, unrankedReason: 'min-votes', votes: 1 });
    expect(byModel.has('m5')).toBe(false);
    expect(v.options).toMatchObject({ source: 'human', minVotes: 2, rounds: 200, seed: 7, maxVotesPerPrompt: 1, frozenAt: '2026-07-01T00:00:00.000Z' });
  });

  it('the freeze ignores later votes; without it they count', async () => {
    const all = await loadArenaRatings(store.db, config, { source: 'human' });
    expect(all.votes.afterFreeze).toBe(0);
    expect(all.votes.considered).toBe(humanSeeds.length);
    expect(all.ratings.models.map((m) => m.model)).toContain('m5');
  });

  it('judge votes are rated on their own, and combined says combined', async () => {
    const judge = await loadArenaRatings(store.db, config, { source: 'judge' });
    expect([judge.label, judge.ratings.sources, judge.votes.used]).toEqual(['judge', ['judge'], judgeSeeds.length]);
    const j = new Map(judge.ratings.models.map((m) => [m.model, m.rating!]));
    expect(j.get('m3')!).toBeGreaterThan(j.get('m1')!);
    const combined = await loadArenaRatings(store.db, config, { source: 'combined', freezeAt: new Date(freeze) });
    expect([combined.label, combined.combined, combined.ratings.sources]).toEqual(['combined (human + judge)', true, ['human', 'judge']]);
    expect(combined.votes.considered).toBe(humanInTime.length + judgeSeeds.length);
  });

  it('a modality filter reads only that modality', async () => {
    const audio = await loadArenaRatings(store.db, config, { source: 'human', modality: 'audio' });
    expect(audio.votes.considered).toBe(humanSeeds.filter((_, i) => i % 7 === 0).length);
  });

  it('duplicate prompts keep the same seeded choice every time, and none are dropped under a larger cap', () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({ id: `v${i}`, source: 'human', prompt_hash: i < 4 ? 'p' : `q${i}` }));
    const once = dedupPrompts(rows, 1, 42);
    expect(once.dropped).toBe(3);
    expect(once.kept.filter((r) => r.prompt_hash === 'p')).toHaveLength(1);
    expect(
      dedupPrompts([...rows].reverse(), 1, 42)
        .kept.map((r) => r.id)
        .sort(),
    ).toEqual(once.kept.map((r) => r.id).sort());
    expect(dedupPrompts(rows, 4, 42).dropped).toBe(0);
    // Judge votes have no battle prompt and are never downsampled.
    expect(
      dedupPrompts(
        rows.map((r) => ({ ...r, source: 'judge' })),
        1,
        42,
      ).dropped,
    ).toBe(0);
  });

  it('GET /v1/arena/ratings gives a viewer the same ratings, source defaulting to human', async () => {
    const viewer = (await createApiKey(store.db, { scopes: ['viewer'] })).key;
    const app = await createApp({ config, store });
    try {
      const get = (q: string) => app.inject({ method: 'GET', url: `/v1/arena/ratings${q}`, headers: { authorization: `Bearer ${viewer}` } });
      const res = await get(`?freeze=${freeze}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const direct = await loadArenaRatings(store.db, config, { source: 'human', freezeAt: new Date(freeze) });
      expect(body).toEqual(JSON.parse(JSON.stringify(direct)));
      const comb = (await get('?source=combined')).json();
      expect(comb.label).toBe('combined (human + judge)');
      expect((await get('?source=everyone')).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/v1/arena/ratings' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('evalgate arena ratings --help names its options (built CLI)', async () => {
    const r = await spawnCli(['arena', 'ratings', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--source <source>', '--modality <m>', '--freeze <time>', '--json', 'default: human', 'duplicate-prompt']) expect(r.stdout).toContain(s);
  });

  it('evalgate arena ratings prints the source it rated, a table, and JSON', async () => {
    await store.close();
    const configPath = join(dir, 'evalgate.config.json');
    await writeFile(
      configPath,
      JSON.stringify({ database: { pgliteDir: join(dir, 'db') }, arena: { maxVotesPerPrompt: 1, ratings: { minVotes: 2, rounds: 200, seed: 7 } } }),
    );
    try {
      const text = await runCommandInProcess(registerArena, ['--config', configPath, 'arena', 'ratings', '--freeze', freeze]);
      expect(text.stdout).toContain('source: human (the default');
      expect(text.stdout).toMatch(/rank\s+model\s+rating\s+interval\s+votes\s+unranked/);
      expect(text.stdout).toMatch(/m4 .*min-votes/);
      expect(text.stdout).toContain('identity-leak 2, voter-daily-cap 1, duplicate-prompt 2, superseded-judge-run 0, voter-outlier 0, min-votes 1');
      const comb = await runCommandInProcess(registerArena, ['--config', configPath, 'arena', 'ratings', '--source', 'combined']);
      expect(comb.stdout).toContain('source: combined (human + judge)');
      const json = await runCommandInProcess(registerArena, ['--config', configPath, 'arena', 'ratings', '--source', 'judge', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ source: 'judge', label: 'judge', votes: { used: judgeSeeds.length } });
      const bad = await runCommandInProcess(registerArena, ['--config', configPath, 'arena', 'ratings', '--source', 'people']);
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr).toContain('EVALGATE_ERR_BAD_INPUT');
    } finally {
      store = await openStore({ pgliteDir: join(dir, 'db'), migrate: true });
    }
  }, 60_000);
});
