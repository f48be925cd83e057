// The arena battle flow over real HTTP (docs/api.md "Arena"), on PGlite and
// PostgreSQL: two scripted OpenAI-compatible models answer (streamed, real
// sockets), the creator follows the SSE stream, votes once, and only then
// learns the model names. Failed sides, identity leaks, the daily cap,
// access rules and bad input are checked on the same gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArenaVotes } from '../../gateway/store/arena-vote-repo.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { sampleMarker } from '../runner/scripted-openai-server.js';
import { call, MODEL_IDS, namesAModel, readEvents, startArenaGateway, type ArenaGateway } from './battle-http.js';

const pgUp = await postgresAvailable();

// Each prompt names the answers the two scripted models give for it.
const answers = [
  {
    plain: 'Left says: the sky is blue because of Rayleigh scattering.',
    slow: 'Left slow answer.',
    fail: 'never sent',
    leak: 'As a model made by OpenAI, I think so.',
    cap1: 'a1',
    cap2: 'a2',
    cap3: 'a3',
  },
  {
    plain: 'Right says: **blue** light scatters more.\n- short waves',
    slow: 'Right slow answer.',
    fail: 'Right answers fine.',
    leak: 'Yes.',
    cap1: 'b1',
    cap2: 'b2',
    cap3: 'b3',
  },
] as const;

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !pgUp)(`arena battles over HTTP on ${backend.name}`, () => {
    let ts: TestStore;
    let gw: ArenaGateway;
    beforeAll(async () => {
      ts = await backend.create({ migrate: true });
      gw = await startArenaGateway(
        ts.store,
        [
          // Left fails `fail` for good (a 400 is not retried); both are slow on `slow`.
          // `plain` waits 1 s before streaming, so the test's stream is connected before the first delta.
          {
            answers: answers[0],
            scripts: { fail: [{ kind: 'error', status: 400 }], slow: [{ kind: 'ok', delayMs: 1500 }], plain: [{ kind: 'ok', delayMs: 1000 }] },
          },
          { answers: answers[1], scripts: { slow: [{ kind: 'ok', delayMs: 1500 }], plain: [{ kind: 'ok', delayMs: 1000 }] } },
        ],
        { maxVotesPerDay: 2, rateLimit: { battlesPerMinute: 100, votesPerMinute: 100 } },
      );
    }, 60_000);
    afterAll(async () => {
      await gw?.close();
      await ts?.dispose();
    });

    const create = (key: string, prompt: string) => call(gw, 'POST', '/v1/arena/battles', { key, body: { modality: 'text', prompt } });

    it('streams both answers, hides the models until the vote, then reveals them', async () => {
      const created = await create(gw.keys.submitter, `${sampleMarker('plain')} Why is the sky blue?`);
      expect(created.status).toBe(201);
      expect(created.body.sides).toEqual({ A: { status: 'pending' }, B: { status: 'pending' } });
      expect(created.body.token).toBeUndefined();
      expect(namesAModel(created.text)).toBe(false);
      const id = created.body.id as string;

      const { events, raw, contentType } = await readEvents(gw, id, { authorization: `Bearer ${gw.keys.submitter}` });
      expect(contentType).toMatch(/^text\/event-stream/);
      expect(namesAModel(raw)).toBe(false);
      expect(events[0]!.event).toBe('battle.state');
      expect(events.at(-1)).toEqual({ event: 'battle.ready', data: { votable: true } });
      const done = events.filter((e) => e.event === 'answer.done');
      expect(done.map((e) => e.data.side).sort()).toEqual(['A', 'B']);
      // The answers arrived as deltas first (the adapter streams), and the deltas add up to the answer.
      for (const side of ['A', 'B'] as const) {
        const deltas = events.filter((e) => e.event === 'answer.delta' && e.data.side === side).map((e) => e.data.delta as string);
        const final = done.find((e) => e.data.side === side)!.data.text as string;
        expect(deltas.length).toBeGreaterThan(1);
        expect(deltas.join('')).toBe(final);
        expect([answers[0].plain, answers[1].plain]).toContain(final);
      }

      const before = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter });
      expect(before.status).toBe(200);
      expect(namesAModel(before.text)).toBe(false);
      expect(before.body.models).toBeNull();
      expect(before.body.votable).toBe(true);
      expect(before.body.sides.A.status).toBe('ok');

      const vote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'A>B' } });
      expect(vote.status).toBe(200);
      expect(vote.body).toMatchObject({ battleId: id, vote: 'A>B', bothBad: false, counted: true, excludedReason: null });
      expect([vote.body.models.A, vote.body.models.B].sort()).toEqual([...MODEL_IDS].sort());
      // Side A shows the answer of the model named A.
      const leftIsA = vote.body.models.A === MODEL_IDS[0];
      expect(before.body.sides.A.text).toBe(leftIsA ? answers[0].plain : answers[1].plain);

      const after = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter });
      expect(after.body.models).toEqual(vote.body.models);
      expect(after.body.vote).toMatchObject({ vote: 'A>B', bothBad: false });
      expect(after.body.votable).toBe(false);

      // The same vote again is the same answer; another one is refused; one row is stored.
      const again = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'A>B' } });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(vote.body);
      const other = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'B>>A', bothBad: true } });
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('EVALGATE_ERR_CONFLICT');
      const stored = (await listArenaVotes(ts.store.db, { source: 'human' })).filter((v) => v.battle_id === id);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ vote: 'A>B', model_a: vote.body.models.A, model_b: vote.body.models.B, excluded_reason: null });
      // Style of both answers is stored with the vote (style control); B's answer has bold and a list when it is the right model's.
      const styles = stored[0]!.style!;
      const rightStyle = leftIsA ? styles.b : styles.a;
      expect(rightStyle).toMatchObject({ bold: 1, lists: 1, length: answers[1].plain.length });
    });

    it('refuses a vote while an answer is pending, and accepts it once both are in', async () => {
      const created = await create(gw.keys.submitter, `${sampleMarker('slow')} Take your time.`);
      const id = created.body.id as string;
      const early = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'A=B' } });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('EVALGATE_ERR_ARENA_NOT_VOTABLE');
      expect(namesAModel(early.text)).toBe(false);
      const pending = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter });
      expect(pending.body.votable).toBe(false);
      expect(pending.body.sides.A.status).toBe('pending');
      const { events } = await readEvents(gw, id, { authorization: `Bearer ${gw.keys.submitter}` });
      expect(events.at(-1)!.data).toEqual({ votable: true });
      const late = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'A=B' } });
      expect(late.status).toBe(200);
    });

    it('a stream served by another gateway process (no live state there) follows the stored answers', async () => {
      // Same database, another app: it did not answer this battle, so its stream polls the rows.
      const other = await startArenaGateway(ts.store, [{ answers: answers[0] }, { answers: answers[1] }]);
      try {
        const created = await create(gw.keys.submitter, `${sampleMarker('slow')} Elsewhere.`);
        const id = created.body.id as string;
        const { events, raw } = await readEvents(other, id, { authorization: `Bearer ${gw.keys.submitter}` });
        expect(namesAModel(raw)).toBe(false);
        expect(events[0]!.event).toBe('battle.state');
        expect(events[0]!.data.sides).toEqual({ A: { status: 'pending' }, B: { status: 'pending' } });
        const done = events.filter((e) => e.event === 'answer.done');
        expect(done.map((e) => e.data.text as string).sort()).toEqual([answers[0].slow, answers[1].slow].sort());
        expect(events.at(-1)).toEqual({ event: 'battle.ready', data: { votable: true } });
      } finally {
        await other.close();
      }
    });

    it('shows a failed side as failed (code only before the vote) and never lets such a battle be voted on', async () => {
      const created = await create(gw.keys.submitter, `${sampleMarker('fail')} Anything.`);
      const id = created.body.id as string;
      const { events, raw } = await readEvents(gw, id, { authorization: `Bearer ${gw.keys.submitter}` });
      expect(namesAModel(raw)).toBe(false);
      // The left model fails at once: its failure is in the first snapshot or comes as an event.
      const state = events[0]!.data;
      const failed = [
        ...(['A', 'B'] as const).filter((s) => state.sides[s].status === 'failed').map((side) => ({ data: { side, error: state.sides[side].error } })),
        ...events.filter((e) => e.event === 'answer.failed'),
      ];
      expect(failed).toHaveLength(1);
      expect(failed[0]!.data.error).toEqual({ code: 'EVALGATE_ERR_MODEL_CALL_FAILED' });
      expect(events.at(-1)!.data).toEqual({ votable: false });
      const view = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter });
      expect(namesAModel(view.text)).toBe(false);
      const failedSide = failed[0]!.data.side as 'A' | 'B';
      expect(view.body.sides[failedSide]).toEqual({ status: 'failed', error: { code: 'EVALGATE_ERR_MODEL_CALL_FAILED' } });
      const other = failedSide === 'A' ? 'B' : 'A';
      expect(view.body.sides[other]).toMatchObject({ status: 'ok', text: answers[1].fail });
      const vote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'A>B' } });
      expect(vote.status).toBe(409);
      expect(vote.body.error.code).toBe('EVALGATE_ERR_ARENA_NOT_VOTABLE');
      // The provider was asked once: a 400 is not retried.
      expect(gw.servers[0].requests.get('fail')).toBe(1);
    });

    it('stores a vote on a battle that leaks an identity word, excluded as identity-leak', async () => {
      const created = await create(gw.keys.submitter2, `${sampleMarker('leak')} Who made you?`);
      const id = created.body.id as string;
      await readEvents(gw, id, { authorization: `Bearer ${gw.keys.submitter2}` });
      const vote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter2, body: { vote: 'B>A' } });
      expect(vote.status).toBe(200);
      expect(vote.body).toMatchObject({ counted: false, excludedReason: 'identity-leak' });
      const row = (await listArenaVotes(ts.store.db)).find((v) => v.battle_id === id)!;
      expect(row.excluded_reason).toBe('identity-leak');
      expect(row.details).toEqual({ identityWord: 'openai' });
    });

    it("stores votes over the voter's daily cap as excluded (voter-daily-cap)", async () => {
      // submitter2 cast one (leaked) vote above; the cap is 2 per UTC day, excluded votes included.
      const results = [];
      for (const k of ['cap1', 'cap2'] as const) {
        const created = await create(gw.keys.submitter2, `${sampleMarker(k)} Count.`);
        await readEvents(gw, created.body.id as string, { authorization: `Bearer ${gw.keys.submitter2}` });
        results.push((await call(gw, 'POST', `/v1/arena/battles/${created.body.id as string}/vote`, { key: gw.keys.submitter2, body: { vote: 'A>>B' } })).body);
      }
      expect(results[0]).toMatchObject({ counted: true, excludedReason: null });
      expect(results[1]).toMatchObject({ counted: false, excludedReason: 'voter-daily-cap' });
      // Another voter is not capped by submitter2's votes.
      const created = await create(gw.keys.admin, `${sampleMarker('cap3')} Count.`);
      await readEvents(gw, created.body.id as string, { authorization: `Bearer ${gw.keys.admin}` });
      const mine = await call(gw, 'POST', `/v1/arena/battles/${created.body.id as string}/vote`, { key: gw.keys.admin, body: { vote: 'A>>B' } });
      expect(mine.body).toMatchObject({ counted: true });
    });

    it('keeps a battle to its creator: another key gets 404, admin may read but not vote, viewers may not create, no key is 401', async () => {
      const created = await create(gw.keys.submitter, `${sampleMarker('plain')} Mine.`);
      const id = created.body.id as string;
      await readEvents(gw, id, { authorization: `Bearer ${gw.keys.submitter}` });
      const stranger = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter2 });
      expect(stranger.status).toBe(404);
      expect((await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter2, body: { vote: 'A>B' } })).status).toBe(404);
      const admin = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.admin });
      expect(admin.status).toBe(200);
      expect(namesAModel(admin.text)).toBe(false);
      const adminVote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.admin, body: { vote: 'A>B' } });
      expect(adminVote.status).toBe(403);
      expect(namesAModel(adminVote.text)).toBe(false);
      const viewer = await create(gw.keys.viewer, 'hello');
      expect(viewer.status).toBe(403);
      const none = await call(gw, 'POST', '/v1/arena/battles', { body: { modality: 'text', prompt: 'hi' } });
      expect(none.status).toBe(401);
      expect((await call(gw, 'GET', `/v1/arena/battles/${id}`)).status).toBe(401);
      expect((await call(gw, 'GET', '/v1/arena/battles/not-a-battle', { key: gw.keys.submitter })).status).toBe(404);
    });

    it('refuses bad input with EVALGATE_ERR_BAD_INPUT, naming what is wrong', async () => {
      const bad = async (body: unknown, pattern: RegExp): Promise<void> => {
        const r = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.submitter, body });
        expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(r.body.error.code).toBe('EVALGATE_ERR_BAD_INPUT');
        expect(r.body.error.message).toMatch(pattern);
      };
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
      await bad({ modality: 'smell', prompt: 'x' }, /modality/);
      await bad({ modality: 'text' }, /needs a prompt/);
      await bad({ modality: 'text', prompt: 'x', extra: 1 }, /unknown field\(s\) extra/);
      await bad({ modality: 'audio', media: { mime: 'audio/wav', dataBase64: 'AAAA', name: 'a.wav' } }, /media has unknown field\(s\) name/);
      await bad({ modality: 'text', prompt: 'x', media: { mime: 'image/png', dataBase64: png } }, /takes no media/);
      await bad({ modality: 'image', media: { mime: 'image/png', dataBase64: png } }, /needs a prompt/);
      await bad({ modality: 'image', prompt: 'x', media: { mime: 'image/svg+xml', dataBase64: png } }, /not accepted for image battles/);
      await bad({ modality: 'image', prompt: 'x', media: { mime: 'image/jpeg', dataBase64: png } }, /JPEG/);
      await bad({ modality: 'image', prompt: 'x', media: { mime: 'image/png', dataBase64: 'iVBO R w==' } }, /not base64/);
      // A PNG signature with no decodable image behind it.
      await bad({ modality: 'image', prompt: 'x', media: { mime: 'image/png', dataBase64: png } }, /could not be decoded/);
      await bad(
        { modality: 'audio', media: { mime: 'audio/wav', dataBase64: Buffer.from('RIFF\0\0\0\0WAVEjunkjunk').toString('base64') } },
        /could not be decoded|no samples/,
      );
      await bad({ modality: 'audio', preset: { dataset: 'x' }, prompt: 'y' }, /neither prompt nor media/);
      await bad({ modality: 'text', prompt: 'x'.repeat(8001) }, /prompt/);
      const missing = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.submitter, body: { modality: 'text', preset: { dataset: 'no-such-set' } } });
      expect(missing.status).toBe(404);
    });
  });
}
