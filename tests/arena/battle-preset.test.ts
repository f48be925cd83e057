// Preset prompts drawn from a dataset (FlagEval's arena offers them): the
// sample's question and media become the prompt, its tags are stored as the
// battle's hidden capability tags and never returned, and a sealed dataset
// gives presets to admin keys only.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/open-store.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';
import { sampleMarker } from '../runner/scripted-openai-server.js';
import { call, namesAModel, readEvents, startArenaGateway, type ArenaGateway } from './battle-http.js';

const TAGS = ['zqxtag-accent-us', 'zqxtag-speech-qa'];

async function seedPresetSet(store: Store, name: string, rootDir: string, sealed: boolean, wav: Buffer): Promise<void> {
  const ds = await store.db
    .insertInto('datasets')
    .values({ name, manifest_digest: `d-${name}`, merkle_root: `r-${name}`, sample_count: 2, root_dir: rootDir, sealed })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sha256 = createHash('sha256').update(wav).digest('hex');
  const rows = [
    { key: 'spoken', question: `${sampleMarker('spoken')} What does the speaker ask for?`, media: [{ kind: 'audio', path: 'a.wav', sha256 }] },
    { key: 'typed', question: `${sampleMarker('typed')} Name a primary colour.`, media: [] },
  ];
  for (const r of rows) {
    await store.db
      .insertInto('samples')
      .values({
        dataset_id: ds.id,
        sample_key: r.key,
        task: 'vqa',
        reference: JSON.stringify('secret reference'),
        question: r.question,
        tags: JSON.stringify(TAGS),
        media: JSON.stringify(r.media),
        sample_digest: `sd-${name}-${r.key}`,
      })
      .execute();
  }
}

describe.skipIf(!hasRealdata)('arena preset prompts (PGlite)', () => {
  let ts: TestStore;
  let gw: ArenaGateway;
  let root: string;
  let wav: Buffer;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'evalgate-arena-preset-'));
    await copyFile(join(realdataDir, 'jfk.wav'), join(root, 'a.wav'));
    wav = await readFile(join(root, 'a.wav'));
    ts = await createPgliteTestStore();
    await seedPresetSet(ts.store, 'preset-open', root, false, wav);
    await seedPresetSet(ts.store, 'preset-sealed', root, true, wav);
    const answers = { spoken: 'They ask what you can do for your country.', typed: 'Red.' };
    gw = await startArenaGateway(ts.store, [{ answers }, { answers }]);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ts?.dispose();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('draws an audio sample: its question and file are the prompt, its tags are stored and never shown', async () => {
    const created = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.submitter, body: { modality: 'audio', preset: { dataset: 'preset-open' } } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.prompt.text).toBe(`${sampleMarker('spoken')} What does the speaker ask for?\nAnswer the question using a single word or phrase.`);
    const id = created.body.id as string;
    const { raw, events } = await readEvents(gw, id, { authorization: `Bearer ${gw.keys.submitter}` });
    expect(events.at(-1)!.data).toEqual({ votable: true });
    const view = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter });
    expect(view.body.preset).toEqual({ dataset: 'preset-open' });
    const vote = await call(gw, 'POST', `/v1/arena/battles/${id}/vote`, { key: gw.keys.submitter, body: { vote: 'A>B' } });
    const after = await call(gw, 'GET', `/v1/arena/battles/${id}`, { key: gw.keys.submitter });
    for (const text of [created.text, raw, view.text, vote.text, after.text]) {
      for (const tag of TAGS) expect(text).not.toContain(tag);
      expect(text).not.toContain('secret reference');
    }
    expect(namesAModel(view.text)).toBe(false);
    const row = await ts.store.db.selectFrom('arena_battles').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.capability_tags).toEqual(TAGS);
    expect(row.preset_sample_key).toBe('spoken');
    // The prompt file is the dataset's file, copied into the arena folder.
    const res = await fetch(gw.baseUrl + (created.body.prompt.media[0].url as string));
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await res.arrayBuffer()).equals(wav)).toBe(true);
  });

  it('draws a text sample for a text battle', async () => {
    const created = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.submitter, body: { modality: 'text', preset: { dataset: 'preset-open' } } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.prompt).toEqual({
      text: `${sampleMarker('typed')} Name a primary colour.\nAnswer the question using a single word or phrase.`,
      media: [],
    });
  });

  it('gives presets of a sealed dataset to admin keys only, and has no image sample to draw', async () => {
    const refused = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.submitter, body: { modality: 'audio', preset: { dataset: 'preset-sealed' } } });
    expect(refused.status).toBe(404); // answered as an unknown dataset: the error does not tell which sealed names exist
    expect(refused.text).not.toContain('speaker');
    const admin = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.admin, body: { modality: 'audio', preset: { dataset: 'preset-sealed' } } });
    expect(admin.status).toBe(201);
    const none = await call(gw, 'POST', '/v1/arena/battles', { key: gw.keys.submitter, body: { modality: 'image', preset: { dataset: 'preset-open' } } });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toMatch(/no image sample/);
  });
});
