import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createApp } from '../../gateway/server/create-app.js';
import { writeRunsReport } from '../../gateway/report/write-runs-report.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { seedDataset, seedRun } from './seed-runs.js';
import { chromiumPath, hasChromium } from '../helpers/chromium.js';

describe('comparison over HTTP, the HTML report and the web page', () => {
  let ts: TestStore;
  let runA: string;
  let runB: string;
  let viewer: string;
  let admin: string;
  let root: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    root = await mkdtemp(join(tmpdir(), 'evalgate-media-'));
    await writeFile(join(root, 'q1.wav'), Buffer.from('RIFF....WAVEfmt '));
    const choices = ['cat', 'dog', 'bird', 'fish'];
    const keys = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];
    const { datasetId, ids } = await seedDataset(
      db,
      'mcq-demo',
      keys.map((key, i) => ({ key, task: 'mcq' as const, answer: 'B', choices, tags: [i < 3 ? 'video/count' : 'video/order'] })),
      { rootDir: root, media: (key) => (key === 'q1' ? [{ kind: 'audio', path: 'q1.wav', sha256: 'x' }] : []) },
    );
    runA = await seedRun(db, {
      model: 'gpt-4o',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'mcq',
      predictions: keys.map((key, i) => ({ key, text: i % 2 ? 'B' : 'A', latencyMs: 300 + i })),
    });
    runB = await seedRun(db, {
      model: 'expert',
      kind: 'specialist',
      datasetId,
      ids,
      task: 'mcq',
      predictions: keys.map((key) => ({ key, text: '(B) dog', latencyMs: 40 })),
    });
    viewer = (await createApiKey(db, { scopes: ['viewer'] })).key;
    admin = (await createApiKey(db, { scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  async function app(auth: boolean): Promise<FastifyInstance> {
    return createApp({ config: configSchema.parse({ server: { auth } }), store: ts.store });
  }

  it('serves compare and leaderboard JSON to viewers', async () => {
    const a = await app(true);
    try {
      const res = await a.inject({ url: `/v1/compare?runs=${runA},${runB}&by=tag&samples=3`, headers: { authorization: `Bearer ${viewer}` } });
      expect(res.statusCode).toBe(200);
      const c = res.json();
      expect(c.overall.runs.map((r: { value: { estimate: number } }) => r.value.estimate)).toEqual([0.5, 1]);
      expect(c.breakdown.map((b: { slice: string }) => b.slice)).toEqual(['video/count', 'video/order']);
      expect(c.disagreements).toHaveLength(3);
      const lb = await a.inject({ url: '/v1/leaderboard?task=mcq', headers: { authorization: `Bearer ${viewer}` } });
      expect(lb.json().boards[0].entries[0].modelId).toBe('expert');
      const bad = await a.inject({ url: '/v1/compare?runs=', headers: { authorization: `Bearer ${viewer}` } });
      expect(bad.statusCode).toBe(400);
      expect((await a.inject({ url: `/v1/compare?runs=${runA},${runB}` })).statusCode).toBe(401);
    } finally {
      await a.close();
    }
  });

  it('returns references in sample details only to admin keys', async () => {
    const a = await app(true);
    try {
      const asViewer = (await a.inject({ url: `/v1/runs/${runA}/samples`, headers: { authorization: `Bearer ${viewer}` } })).json();
      expect(asViewer.samples).toHaveLength(6);
      expect(asViewer.samples[0]).not.toHaveProperty('answer');
      expect(asViewer.samples[0]).not.toHaveProperty('reference');
      const asAdmin = (await a.inject({ url: `/v1/runs/${runA}/samples`, headers: { authorization: `Bearer ${admin}` } })).json();
      expect(asAdmin.samples[0].answer).toBe('B');
      const media = await a.inject({ url: '/v1/datasets/mcq-demo/samples/q1/media/0', headers: { authorization: `Bearer ${viewer}` } });
      expect(media.statusCode).toBe(200);
      expect(media.headers['content-type']).toBe('audio/wav');
      expect(media.body).toBe('RIFF....WAVEfmt ');
      expect((await a.inject({ url: '/v1/datasets/mcq-demo/samples/q2/media/0', headers: { authorization: `Bearer ${viewer}` } })).statusCode).toBe(404);
    } finally {
      await a.close();
    }
  });

  it('writes a self-contained HTML report', async () => {
    const out = join(root, 'report.html');
    const r = await writeRunsReport(ts.store.db, { runIds: [runA, runB], out });
    const html = await readFile(out, 'utf8');
    expect(r.sharedSamples).toBe(6);
    expect(html).toContain('<!doctype html>');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('echarts');
    expect(html).toContain('Capability heat map');
    expect(html).toContain('video/count');
    expect(html).toContain('Largest disagreements');
    expect(html).toContain('mcnemar');
  });

  it.skipIf(!hasChromium)('shows the leaderboard and a comparison in a real browser', async () => {
    const { chromium } = await import('playwright-core');
    const a = await app(false);
    const url = await a.listen({ host: '127.0.0.1', port: 0 });
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForSelector('#lb-out table');
      const rows = await page.locator('#lb-out tbody tr').allInnerTexts();
      expect(rows[0]).toContain('expert');
      expect(rows.join('\n')).toContain('gpt-4o');
      // The board states what its runs share, and a failed column sits beside n.
      expect(await page.locator('#lb-out .board-criteria').first().innerText()).toMatch(/samples/);
      expect(await page.locator('#lb-out thead').first().innerText()).toMatch(/failed/);
      await page.click('nav button[data-tab="compare"]');
      await page.check(`input.cmp-run[value="${runA}"]`);
      await page.check(`input.cmp-run[value="${runB}"]`);
      await page.click('#cmp-go');
      await page.waitForSelector('#cmp-title');
      expect(await page.textContent('#cmp-title')).toContain('mcq: accuracy on 6 shared samples');
      expect(await page.locator('#cmp-out').innerText()).toContain('mcnemar');
      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/web-compare.png', fullPage: true });
      expect(existsSync('test-artifacts/web-compare.png')).toBe(true);
      expect(await page.textContent('#error')).toBe('');
    } finally {
      await browser.close();
      await a.close();
    }
  });
});
