// `evalgate runs show --samples`, `runs export` and run id prefixes everywhere,
// through the compiled bin against real PostgreSQL (run `npm run build` first).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { spawnCli } from '../helpers/run-cli.js';
import { createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { seedAsrDataset, seedScoredRun, type SeedScoredPrediction } from './seed-scored-runs.js';

const twinA = 'abcdef12-1111-4000-8000-00000000000a';
const twinB = 'abcdef12-2222-4000-8000-00000000000b';

// Predictions a CSV writer can get wrong: commas, quotes, LF, CRLF, a lone CR, a leading formula sign, non-ASCII.
const openPredictions: SeedScoredPrediction[] = [
  { key: 'o1', status: 'ok', text: 'the cat, sat "on" mat', scores: { wer: 0.2, substitutions: 0 }, details: { note: 'a, "b"' }, latencyMs: 120 },
  { key: 'o2', status: 'ok', text: 'line one\nline two\r\nline "three"\rend', scores: { wer: 1.5, substitutions: 2 }, latencyMs: 340.5 },
  {
    key: 'o3',
    status: 'failed',
    error: { code: 'http', message: 'HTTP 500: upstream, "bad"', statusCode: 500, retryable: true },
    attempts: 3,
    latencyMs: 9000,
  },
  { key: 'o4', status: 'skipped', error: { code: 'input', message: 'audio could not be decoded' } },
  { key: 'o5', status: 'ok', text: "=cmd|' /C calc'!A0 naïve café — 你好", scores: { wer: 0, substitutions: 0 }, latencyMs: 80 },
];
const openRefs: Record<string, string | string[]> = {
  o1: 'the cat, sat "on" the mat',
  o2: ['hello world', 'hello, world'],
  o3: 'three',
  o4: 'four',
  o5: 'five',
};
// Planted in the sealed set: none of these may appear without --include-sealed.
const sealedRefs = { s1: 'SEALEDREF-alpha-7731', s2: ['SEALEDREF-beta-9924', 'SEALEDREF-gamma-1188'], s3: 'SEALEDREF-delta-5521' };
const sealedPredictions: SeedScoredPrediction[] = [
  { key: 's1', status: 'ok', text: 'alpha', scores: { wer: 0.123456 }, details: { extracted: 'SEALEDDETAIL' }, latencyMs: 50 },
  { key: 's2', status: 'ok', text: 'beta', scores: { wer: 0.654321 }, details: { extracted: 'SEALEDDETAIL' }, latencyMs: 60 },
  { key: 's3', status: 'failed', error: { code: 'timeout', message: 'no answer within 100 ms' } },
];
// The scores as the text view rounds them too.
const leaks = ['SEALEDREF', 'SEALEDDETAIL', '0.123456', '0.654321', '0.1235', '0.6543'];

const pgUp = await postgresAvailable();

describe.skipIf(!pgUp)('runs show --samples, runs export and run id prefixes (CLI, PostgreSQL)', () => {
  let ts: TestStore;
  let dir: string;
  let openRun: string;
  let otherRun: string;
  let sealedRun: string;
  const cli = (args: string[]) => {
    // No config file and no embedded database: the test database only.
    const { EVALGATE_CONFIG: _c, EVALGATE_DB_DIR: _d, ...env } = process.env;
    return spawnCli(args, { cwd: dir, env: { ...env, DATABASE_URL: ts.url } });
  };

  beforeAll(async () => {
    ts = await createPostgresTestStore();
    dir = await mkdtemp(join(tmpdir(), 'evalgate-runs-cli-'));
    const db = ts.store.db;
    const open = await seedAsrDataset(
      db,
      'open-asr',
      Object.entries(openRefs).map(([key, reference]) => ({ key, reference })),
    );
    openRun = await seedScoredRun(db, { model: 'qwen', ...open, predictions: openPredictions });
    otherRun = await seedScoredRun(db, {
      model: 'whisper',
      ...open,
      predictions: Object.entries(openRefs).map(([key, r]) => ({ key, status: 'ok' as const, text: typeof r === 'string' ? r : r[0] })),
    });
    for (const id of [twinA, twinB]) await seedScoredRun(db, { id, model: 'twin', ...open, predictions: [{ key: 'o1', status: 'ok', text: 'x' }] });
    const sealed = await seedAsrDataset(
      db,
      'sealed-asr',
      Object.entries(sealedRefs).map(([key, reference]) => ({ key, reference })),
      { sealed: true },
    );
    sealedRun = await seedScoredRun(db, { model: 'qwen', ...sealed, predictions: sealedPredictions });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('show --samples --json: every field per sample, references on an open dataset, in sample-key order', async () => {
    const res = await cli(['runs', 'show', openRun.slice(0, 8), '--samples', '--json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc.run).toEqual({ runId: openRun, modelId: 'qwen', task: 'asr', dataset: 'open-asr', sealed: false });
    expect(doc).toMatchObject({ filter: 'all', total: 5, offset: 0, limit: 50, withheld: [] });
    expect(doc.samples.map((s: { sampleKey: string }) => s.sampleKey)).toEqual(['o1', 'o2', 'o3', 'o4', 'o5']);
    expect(doc.samples[0]).toEqual({
      sampleKey: 'o1',
      status: 'ok',
      prediction: 'the cat, sat "on" mat',
      scores: { substitutions: 0, wer: 0.2 },
      details: { note: 'a, "b"' },
      error: null,
      latencyMs: { total: 120, request: null, firstToken: null },
      audioSeconds: null,
      attempts: 1,
      reference: 'the cat, sat "on" the mat',
      answer: null,
    });
    expect(doc.samples[1].reference).toEqual(['hello world', 'hello, world']);
    expect(doc.samples[2]).toMatchObject({
      status: 'failed',
      prediction: null,
      scores: {},
      error: { code: 'http', message: 'HTTP 500: upstream, "bad"', statusCode: 500, retryable: true },
      attempts: 3,
    });
  });

  it('show --samples --failed keeps failed and skipped samples; --limit/--offset page the text view', async () => {
    const failed = JSON.parse((await cli(['runs', 'show', openRun, '--samples', '--failed', '--json'])).stdout);
    expect(failed.total).toBe(2);
    expect(failed.samples.map((s: { sampleKey: string; status: string }) => [s.sampleKey, s.status])).toEqual([
      ['o3', 'failed'],
      ['o4', 'skipped'],
    ]);
    const text = await cli(['runs', 'show', openRun, '--samples', '--limit', '2', '--offset', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('samples 2-3 of 5');
    expect(text.stdout).toContain('o2  ok  substitutions 2  wer 1.5  341 ms');
    expect(text.stdout).toContain('prediction: "line one\\nline two\\r\\nline \\"three\\"\\rend"');
    expect(text.stdout).toContain('reference:  "[\\"hello world\\",\\"hello, world\\"]"');
    expect(text.stdout).toContain('error:      [http, HTTP 500] "HTTP 500: upstream, \\"bad\\""');
    expect(text.stdout).not.toMatch(/^o1 /m);
    expect(text.stdout).toContain('more: --offset 3');
    const bad = await cli(['runs', 'show', openRun, '--samples', '--limit', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--limit must be an integer from 1 to 10000');
  });

  it('export --format jsonl writes one record per sample, the same records as show --json', async () => {
    const out = join(dir, 'open.jsonl');
    const res = await cli(['runs', 'export', openRun.slice(0, 8), '--format', 'jsonl', '--out', out, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ rows: 5, format: 'jsonl', path: out, withheld: [] });
    const lines = (await readFile(out, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    const shown = JSON.parse((await cli(['runs', 'show', openRun, '--samples', '--json'])).stdout);
    expect(lines.map((l) => JSON.parse(l))).toEqual(shown.samples);
    // Standard output, when no --out is given; only failed rows with --failed.
    const piped = await cli(['runs', 'export', openRun, '--format', 'jsonl', '--failed']);
    expect(piped.code).toBe(0);
    expect(
      piped.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).sampleKey),
    ).toEqual(['o3', 'o4']);
  });

  it('export --format csv quotes commas, quotes, CR and LF (RFC 4180), read back by csv-parse and by Python', async () => {
    const out = join(dir, 'open.csv');
    const res = await cli(['runs', 'export', openRun, '--format', 'csv', '--out', out]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('wrote 5 rows');
    const raw = await readFile(out, 'utf8');
    // CRLF ends every record (the CRs inside quoted fields aside).
    expect(raw.endsWith('\r\n')).toBe(true);
    const header = [
      'sample_key',
      'status',
      'prediction',
      'score_substitutions',
      'score_wer',
      'details',
      'error_code',
      'error_message',
      'error_status_code',
      'latency_total_ms',
      'latency_request_ms',
      'latency_first_token_ms',
      'audio_seconds',
      'attempts',
      'reference',
      'answer',
    ];
    const expected = [
      header,
      ['o1', 'ok', 'the cat, sat "on" mat', '0', '0.2', '{"note":"a, \\"b\\""}', '', '', '', '120', '', '', '', '1', 'the cat, sat "on" the mat', ''],
      ['o2', 'ok', 'line one\nline two\r\nline "three"\rend', '2', '1.5', '', '', '', '', '340.5', '', '', '', '1', '["hello world","hello, world"]', ''],
      ['o3', 'failed', '', '', '', '', 'http', 'HTTP 500: upstream, "bad"', '500', '9000', '', '', '', '3', 'three', ''],
      ['o4', 'skipped', '', '', '', '', 'input', 'audio could not be decoded', '', '', '', '', '', '1', 'four', ''],
      ['o5', 'ok', "=cmd|' /C calc'!A0 naïve café — 你好", '0', '0', '', '', '', '', '80', '', '', '', '1', 'five', ''],
    ];
    expect(parse(raw, { relax_column_count: false })).toEqual(expected);
    // An independent reader: Python's csv module, as a pandas or spreadsheet user's tools read it.
    await writeFile(
      join(dir, 'read.py'),
      'import csv, json, sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f:\n    print(json.dumps(list(csv.reader(f))))\n',
    );
    const py = execFileSync('/usr/bin/python3', [join(dir, 'read.py'), out], { encoding: 'utf8' });
    expect(JSON.parse(py)).toEqual(expected);
  });

  it("a sealed dataset's references, per-sample scores and details never leave show or export without --include-sealed", async () => {
    const outputs: string[] = [];
    for (const args of [
      ['runs', 'show', sealedRun, '--samples'],
      ['runs', 'show', sealedRun, '--samples', '--json'],
      ['runs', 'show', sealedRun, '--samples', '--failed', '--json'],
      ['runs', 'export', sealedRun, '--format', 'jsonl'],
      ['runs', 'export', sealedRun, '--format', 'csv'],
      ['runs', 'export', sealedRun, '--format', 'csv', '--out', join(dir, 'sealed.csv'), '--json'],
      ['runs', 'export', sealedRun, '--format', 'jsonl', '--out', join(dir, 'sealed.jsonl')],
    ]) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(0);
      outputs.push(res.stdout, res.stderr);
    }
    outputs.push(await readFile(join(dir, 'sealed.csv'), 'utf8'), await readFile(join(dir, 'sealed.jsonl'), 'utf8'));
    const all = outputs.join('\n');
    for (const leak of leaks) expect(all).not.toContain(leak);
    // Positive controls: the rows are there, with predictions, errors and the note of what was withheld.
    expect(all).toContain('"prediction": "alpha"');
    expect(all).toContain('no answer within 100 ms');
    expect(all).toContain('withheld: references and answer letters (sealed dataset; --include-sealed');
    const doc = JSON.parse((await cli(['runs', 'show', sealedRun, '--samples', '--json'])).stdout);
    expect(doc.run.sealed).toBe(true);
    expect(doc.samples).toHaveLength(3);
    for (const s of doc.samples) {
      expect(s).not.toHaveProperty('reference');
      expect(s).not.toHaveProperty('answer');
      expect(s).not.toHaveProperty('scores');
      expect(s).not.toHaveProperty('details');
    }
    expect(parse(await readFile(join(dir, 'sealed.csv'), 'utf8'))[0]).not.toContain('reference');
    // With the explicit opt-in the operator reads them from the database (so the check above can fail).
    const text = (await cli(['runs', 'show', sealedRun, '--samples', '--include-sealed'])).stdout;
    for (const shown of ['SEALEDREF-alpha-7731', 'SEALEDREF-beta-9924', 'wer 0.1235']) expect(text).toContain(shown);
    const csv = (await cli(['runs', 'export', sealedRun, '--format', 'csv', '--include-sealed'])).stdout;
    for (const shown of ['SEALEDREF-alpha-7731', 'SEALEDREF-beta-9924', '0.123456', 'SEALEDDETAIL']) expect(csv).toContain(shown);
  });

  it('compare, report and runs show take 8+ character prefixes; ambiguous and short prefixes are errors that say so', async () => {
    const cmp = await cli(['compare', '--runs', `${openRun.slice(0, 8)},${otherRun.slice(0, 12)}`, '--iterations', '20', '--json']);
    expect(cmp.stderr).toBe('');
    expect(Object.keys(JSON.parse(cmp.stdout).samplesPerRun).sort()).toEqual([openRun, otherRun].sort());
    const ambiguous = await cli(['compare', '--runs', `abcdef12,${openRun}`, '--iterations', '20']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('run id prefix "abcdef12" is ambiguous');
    expect(ambiguous.stderr).toContain(twinA);
    expect(ambiguous.stderr).toContain(twinB);
    expect(ambiguous.stderr).toContain('EVALGATE_ERR_BAD_INPUT');
    const short = await cli(['compare', '--runs', `${openRun.slice(0, 7)},${otherRun}`]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain(`run id "${openRun.slice(0, 7)}" is shorter than 8 characters`);
    const report = await cli(['report', '--runs', `${openRun.slice(0, 8)},${otherRun.slice(0, 8)}`, '--out', join(dir, 'r.html'), '--json']);
    expect(report.stderr).toBe('');
    expect(JSON.parse(report.stdout).path).toBe(join(dir, 'r.html'));
    const show = await cli(['runs', 'show', 'abcdef12']);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain(twinB);
    expect((await cli(['runs', 'export', 'abc', '--format', 'csv'])).stderr).toContain('shorter than 8 characters');
    expect(JSON.parse((await cli(['runs', 'show', twinB.slice(0, 10), '--json'])).stdout).runId).toBe(twinB);
  });

  it('the HTTP routes take the same prefixes; /v1/runs/:id/samples keeps references to admin keys', async () => {
    const db = ts.store.db;
    const viewer = (await createApiKey(db, { scopes: ['viewer'] })).key;
    const admin = (await createApiKey(db, { scopes: ['admin'] })).key;
    const app = await createApp({ config: configSchema.parse({ server: { auth: true } }), store: ts.store });
    try {
      const get = (url: string, key: string) => app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      const asViewer = await get(`/v1/runs/${openRun.slice(0, 8)}/samples`, viewer);
      expect(asViewer.statusCode).toBe(200);
      expect(asViewer.json().run.id).toBe(openRun);
      expect(asViewer.json().samples).toHaveLength(5);
      expect(asViewer.body).not.toContain('the cat, sat \\"on\\" the mat');
      expect((await get(`/v1/runs/${openRun.slice(0, 8)}/samples`, admin)).body).toContain('the cat, sat \\"on\\" the mat');
      const sealedViewer = await get(`/v1/runs/${sealedRun.slice(0, 8)}/samples`, viewer);
      expect(sealedViewer.statusCode).toBe(200);
      for (const leak of leaks) expect(sealedViewer.body).not.toContain(leak);
      const ambiguous = await get('/v1/runs/abcdef12/samples', viewer);
      expect(ambiguous.statusCode).toBe(400);
      expect(ambiguous.body).toContain(twinA);
      expect((await get('/v1/runs/abc/samples', viewer)).statusCode).toBe(400);
      expect((await get('/v1/runs/00000000/samples', viewer)).statusCode).toBe(404);
      const cmp = await get(`/v1/compare?runs=${openRun.slice(0, 8)},${otherRun.slice(0, 8)}&iterations=20`, viewer);
      expect(cmp.statusCode).toBe(200);
      expect(Object.keys(cmp.json().samplesPerRun).sort()).toEqual([openRun, otherRun].sort());
    } finally {
      await app.close();
    }
  });
});
