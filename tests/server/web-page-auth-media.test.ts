import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createMediaUrlSigner } from '../../gateway/server/auth/media-url-signer.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { toneWav } from '../datasets/fixtures.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { chromiumPath, hasChromium } from '../helpers/chromium.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * The web page with auth on, in Debian's Chromium (issue 19, "Media with auth
 * on"): `<img>` and `<audio>` cannot send the bearer key, so they load through
 * the signed links the API lists. Images must decode, audio must load, and no
 * request may be answered 401. The run view shows per-sample scores, the live
 * tab a session's utterance scores, and the compare tab the report's charts.
 */
describe.skipIf(!hasChromium)('web page with auth on, in Chromium', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let url: string;
  // The server's clock for media links, moved forward to expire the links a page already holds.
  let linkClockSkewMs = 0;
  let evaluatorKey: string;
  let runA: string;
  let runB: string;
  let sessionId: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const root = await mkdtemp(join(tmpdir(), 'evalgate-web-media-'));
    await writeFile(
      join(root, 'card.png'),
      await sharp({ create: { width: 64, height: 32, channels: 3, background: '#0969da' } })
        .png()
        .toBuffer(),
    );
    await writeFile(join(root, 'tone.wav'), toneWav(0.5, 3));
    const keys = ['s1', 's2', 's3', 's4'];
    const { datasetId, ids } = await seedDataset(
      db,
      'web-media',
      keys.map((key, i) => ({ key, task: 'asr' as const, reference: 'a blue card', tags: [i < 2 ? 'short' : 'long'] })),
      {
        rootDir: root,
        media: (key) =>
          [
            { kind: 'image', path: 'card.png', sha256: 'x' },
            { kind: 'audio', path: 'tone.wav', sha256: 'x' },
          ].slice(0, key === 's4' ? 1 : 2),
      },
    );
    runA = await seedRun(db, {
      model: 'gen',
      kind: 'generalist',
      datasetId,
      ids,
      task: 'asr',
      predictions: keys.map((key) => ({ key, text: 'a blue card', latencyMs: 120 })),
    });
    runB = await seedRun(db, {
      model: 'spec',
      kind: 'specialist',
      datasetId,
      ids,
      task: 'asr',
      predictions: keys.map((key) => ({ key, text: 'a card', latencyMs: 40 })),
    });
    const predictions = await db.selectFrom('predictions').select(['id', 'run_id']).execute();
    for (const p of predictions)
      await db
        .insertInto('scores')
        .values({ prediction_id: p.id, metric: 'wer', value: p.run_id === runA ? 0 : 0.3333, details: null })
        .execute();
    // A finished live session with two scored utterances.
    const session = await db
      .insertInto('stream_sessions')
      .values({ model_id: 'gen', api_key_id: null, protocol: 'native', dataset_id: datasetId, config: JSON.stringify({}), status: 'closed' })
      .returning('id')
      .executeTakeFirstOrThrow();
    sessionId = session.id;
    for (const seq of [1, 2]) {
      await db
        .insertInto('utterances')
        .values({
          session_id: sessionId,
          seq,
          sample_id: ids.get(`s${seq}`)!,
          status: 'ok',
          transcript: `utterance ${seq}`,
          latency_first_token_ms: 80,
          latency_final_ms: 210,
          scores: JSON.stringify({ wer: seq === 1 ? 0.125 : 0.5 }),
        })
        .execute();
    }
    evaluatorKey = (await createApiKey(db, { scopes: ['evaluator'] })).key;
    app = await createApp({
      config: configSchema.parse({ server: { auth: true }, logLevel: 'silent' }),
      store: ts.store,
      mediaUrls: createMediaUrlSigner({ now: () => Date.now() + linkClockSkewMs }),
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  it('loads images and audio through signed links, shows scores and charts, gets no 401, and renews an expired link', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const refused: string[] = [];
    const consoleErrors: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('response', (r) => {
        if (r.status() === 401 || r.status() === 403) refused.push(`${r.status()} ${r.url()}`);
      });
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${m.text()} at ${m.location().url}`);
      });
      await page.goto(url);
      await page.fill('#apikey', evaluatorKey);
      await page.locator('#apikey').press('Tab');
      await page.waitForSelector('#lb-out table');

      // Run view: every media element decodes, scores are shown.
      await page.click('nav button[data-tab="samples"]');
      await page.selectOption('#smp-run', runB);
      await page.click('#smp-go');
      await page.waitForSelector('#smp-out table');
      expect(await page.locator('#smp-out img').count()).toBe(4);
      expect(await page.locator('#smp-out audio').count()).toBe(3);
      // Browser-side checks are written as page expressions: this project's TypeScript has no DOM types.
      await page.waitForFunction("[...document.querySelectorAll('#smp-out img')].every((i) => i.complete && i.naturalWidth > 0)", null, { timeout: 10_000 });
      await page.waitForFunction("[...document.querySelectorAll('#smp-out audio')].every((a) => a.readyState >= 1 && a.duration > 0)", null, {
        timeout: 10_000,
      });
      const media = (await page.evaluate(`({
        widths: [...document.querySelectorAll('#smp-out img')].map((i) => i.naturalWidth),
        durations: [...document.querySelectorAll('#smp-out audio')].map((a) => Math.round(a.duration * 10) / 10),
        srcs: [...document.querySelectorAll('#smp-out img, #smp-out audio')].map((e) => e.src),
      })`)) as { widths: number[]; durations: number[]; srcs: string[] };
      expect(media.widths).toEqual([64, 64, 64, 64]);
      expect(media.durations).toEqual([0.5, 0.5, 0.5]);
      for (const src of media.srcs) expect(src).toMatch(/\/media\/\d\?expires=\d+&scope=evaluator&sig=/);
      const runText = await page.locator('#smp-out').innerText();
      expect(runText).toContain('wer');
      expect(runText).toContain('0.3333');

      // Live sessions: a session's utterances with their scores (this is an evaluator key).
      await page.click('nav button[data-tab="live"]');
      await page.click(`.live-open[data-id="${sessionId}"]`);
      await page.waitForSelector('#live-title');
      const liveText = await page.locator('#live-session').innerText();
      expect(liveText).toContain('utterance 2');
      expect(liveText).toContain('0.1250');
      expect(liveText).toContain('0.5000');

      // Compare: the report's charts, drawn by ECharts inside the sandboxed frame.
      await page.click('nav button[data-tab="compare"]');
      await page.check(`input.cmp-run[value="${runA}"]`);
      await page.check(`input.cmp-run[value="${runB}"]`);
      await page.click('#cmp-go');
      const frame = page.frameLocator('#cmp-report');
      for (const chart of ['#bars-0', '#heat-0', '#latency-0']) await frame.locator(`${chart} canvas, ${chart} svg`).first().waitFor({ timeout: 10_000 });
      expect(await page.locator('#cmp-report').getAttribute('sandbox')).toBe('allow-scripts');

      expect(await page.textContent('#error')).toBe('');
      expect(refused).toEqual([]);
      expect(consoleErrors).toEqual([]);

      // A page left open past the links' lifetime: the dead link's error brings a fresh one, and the audio plays.
      await page.click('nav button[data-tab="samples"]');
      const firstAudio = "document.querySelector('#smp-out audio')";
      const before = (await page.evaluate(`${firstAudio}.src`)) as string;
      linkClockSkewMs = 10 * 60_000;
      await page.evaluate(`${firstAudio}.load()`);
      await page.waitForFunction(`${firstAudio}.src !== ${JSON.stringify(before)} && ${firstAudio}.readyState >= 1 && ${firstAudio}.duration > 0`, null, {
        timeout: 10_000,
      });
      expect(refused.length, 'the expired link itself was refused').toBeGreaterThan(0);
      expect(refused.every((r) => r.startsWith('401 ') && r.includes('/media/'))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
