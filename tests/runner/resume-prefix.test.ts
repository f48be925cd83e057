// `run --resume` takes the same run-id prefixes as every other command: 8+
// characters resolve, a shorter one is an error that says so (not "not found").
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalgateError } from '../../gateway/errors.js';
import { createModel } from '../../gateway/models/create-model.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { configWithModel } from './runner-fixtures.js';
import { sampleMarker, startScriptedServer, type ScriptedServer } from './scripted-openai-server.js';

describe('run --resume with a run-id prefix (PGlite)', () => {
  let ts: TestStore;
  let server: ScriptedServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-resume-prefix-'));
    const lines = ['a', 'b'].map((id) => JSON.stringify({ id, task: 'vqa', question: `${sampleMarker(id)} What?`, reference: 'x' }));
    await writeFile(join(dir, 'm.jsonl'), `${lines.join('\n')}\n`);
    server = await startScriptedServer({ answers: { a: 'x', b: 'y' }, latencyMs: 1 });
    ts = await createPgliteTestStore();
  });
  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resolves an 8-character prefix to the run, and refuses a 4-character one with the reason', async () => {
    const config = configWithModel(server.baseUrl);
    const prepared = await prepareRun(ts.store.db, config, { dataset: join(dir, 'm.jsonl'), modelId: 'scripted' }, (m) => createModel(m));
    const id = prepared.run.id;
    const resumed = await prepareRun(ts.store.db, config, { resume: id.slice(0, 8) }, (m) => createModel(m));
    expect(resumed.resumed).toBe(true);
    expect(resumed.run.id).toBe(id);
    const short = await prepareRun(ts.store.db, config, { resume: id.slice(0, 4) }, (m) => createModel(m)).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(EvalgateError);
    expect((short as EvalgateError).code).toBe('EVALGATE_ERR_BAD_INPUT');
    expect((short as Error).message).toContain('shorter than 8 characters');
  });
});
