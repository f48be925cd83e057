// The arena tables (migration 20261206000000_arena) on PGlite and PostgreSQL:
// votes append idempotently by dedupe key, read back per source as the
// ratings take them, the database refuses updates and deletes, a vote must
// name its origin, and the migration goes down and up again.
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendArenaVotes, countVotesSince, listArenaVotes, toArenaVote, type NewArenaVote } from '../../gateway/store/arena-vote-repo.js';
import { migrations } from '../../migrations/index.js';
import { computeArenaRatings } from '../../scorers/arena/compute-arena-ratings.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';

const pgUp = await postgresAvailable();

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`arena votes on ${backend.name}`, () => {
    let ts: TestStore;
    let battleId: string;
    let judgeRunId: string;
    let sampleId: string;
    beforeAll(async () => {
      ts = await backend.create({ migrate: true });
      const db = ts.store.db;
      const battle = await db
        .insertInto('arena_battles')
        .values({ modality: 'text', model_a: 'm1', model_b: 'm2', prompt_text: 'Say hi', prompt_hash: 'h1', creator_key: 'key-1' })
        .returning('id')
        .executeTakeFirstOrThrow();
      battleId = battle.id;
      const { datasetId, ids } = await seedDataset(db, 'arena-ds', [{ key: 's1', task: 'asr', reference: 'x' }]);
      sampleId = ids.get('s1')!;
      judgeRunId = await seedRun(db, { model: 'judge-x', kind: 'generalist', datasetId, ids, task: 'asr', predictions: [{ key: 's1', text: 'x' }] });
    });
    afterAll(async () => {
      await ts?.dispose();
    });

    const human = (over: Partial<NewArenaVote> = {}): NewArenaVote => ({
      source: 'human',
      battle_id: battleId,
      modality: 'text',
      model_a: 'm1',
      model_b: 'm2',
      vote: 'A>B',
      voter_key: 'key-1',
      dedupe_key: `battle:${battleId}`,
      ...over,
    });

    it('appends once per dedupe key, and reads back per source as ArenaVote values', async () => {
      const db = ts.store.db;
      expect(await appendArenaVotes(db, [human()])).toBe(1);
      // A retried write (lost reply) is not a second vote.
      expect(await appendArenaVotes(db, [human({ vote: 'B>>A' })])).toBe(0);
      const judge: NewArenaVote = {
        source: 'judge',
        judge_run_id: judgeRunId,
        sample_id: sampleId,
        modality: 'audio',
        model_a: 'm2',
        model_b: 'm1',
        vote: 'A>>B',
        voter_key: 'judge-x',
        style: { a: { length: 10, headers: 0, lists: 1, bold: 0 }, b: { length: 4, headers: 0, lists: 0, bold: 0 } },
        dedupe_key: `judge:${judgeRunId}:${sampleId}:AB`,
      };
      expect(await appendArenaVotes(db, [judge, judge])).toBe(1);

      const humans = await listArenaVotes(db, { source: 'human' });
      expect(humans.map((v) => [v.model_a, v.model_b, v.vote, v.both_bad, v.excluded_reason])).toEqual([['m1', 'm2', 'A>B', false, null]]);
      expect(humans.map(toArenaVote)).toEqual([{ modelA: 'm1', modelB: 'm2', vote: 'A>B', source: 'human', voterKey: 'key-1' }]);
      const judged = await listArenaVotes(db, { judgeRunId });
      expect(judged.map(toArenaVote)).toEqual([{ modelA: 'm2', modelB: 'm1', vote: 'A>>B', source: 'judge', voterKey: 'judge-x', style: judge.style }]);
      expect(await listArenaVotes(db, { modality: 'audio', source: 'human' })).toEqual([]);
      expect((await listArenaVotes(db)).length).toBe(2);

      // The rows feed the ratings unchanged: the human source sees only its vote.
      const ratings = computeArenaRatings((await listArenaVotes(db)).map(toArenaVote), { source: 'human', rounds: 10 });
      expect(ratings.votes.used).toBe(1);
      expect(ratings.votes.otherSource).toBe(1);
    });

    it('counts a voter’s votes since a time (daily caps)', async () => {
      const db = ts.store.db;
      expect(await countVotesSince(db, 'key-1', new Date(Date.now() - 86_400_000))).toBe(1);
      expect(await countVotesSince(db, 'key-1', new Date(Date.now() + 60_000))).toBe(0);
      expect(await countVotesSince(db, 'nobody', new Date(0))).toBe(0);
    });

    it('refuses updates and deletes on every arena table, and votes without an origin or on one model', async () => {
      const db = ts.store.db;
      await expect(db.updateTable('arena_votes').set({ vote: 'B>>A' }).execute()).rejects.toThrow(/append-only/);
      await expect(db.deleteFrom('arena_votes').execute()).rejects.toThrow(/append-only/);
      await expect(db.updateTable('arena_battles').set({ model_a: 'm3' }).execute()).rejects.toThrow(/append-only/);
      await db.insertInto('arena_answers').values({ battle_id: battleId, side: 'A', status: 'ok', output_text: 'hi' }).execute();
      await expect(db.deleteFrom('arena_answers').execute()).rejects.toThrow(/append-only/);
      // A second answer for the same side is refused by the key, not overwritten.
      await expect(db.insertInto('arena_answers').values({ battle_id: battleId, side: 'A', status: 'ok', output_text: 'other' }).execute()).rejects.toThrow();
      await expect(appendArenaVotes(db, [human({ battle_id: null, dedupe_key: 'no-origin' })])).rejects.toThrow(/arena_votes_origin/);
      await expect(appendArenaVotes(db, [human({ model_b: 'm1', dedupe_key: 'same-model' })])).rejects.toThrow(/arena_votes_two_models/);
      await expect(appendArenaVotes(db, [human({ vote: 'A>>>B' as never, dedupe_key: 'bad-level' })])).rejects.toThrow();
      expect((await listArenaVotes(db)).length).toBe(2);
    });

    it('the migration goes down and up again', async () => {
      const db = ts.store.db;
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      // Down to the migration before the arena: later ones go down first, the arena last.
      const down = await migrator.migrateTo('20261205010000_dataset_digest_version');
      expect(down.error).toBeUndefined();
      expect(down.results?.at(-1)?.migrationName).toBe('20261206000000_arena');
      const tables = await sql<{ n: string | number }>`select count(*) as n from information_schema.tables where table_name like 'arena_%'`.execute(db);
      expect(Number(tables.rows[0]!.n)).toBe(0);
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      expect(await listArenaVotes(db)).toEqual([]);
    });
  });
}
