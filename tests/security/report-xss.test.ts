import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { writeRunsReport } from '../../gateway/report/write-runs-report.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { chromiumPath, hasChromium } from '../helpers/chromium.js';

// Names an attacker can give media files (and sample ids) in a dataset folder.
const hostileMedia = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(2)',
  'data:text/html,<script>alert(3)</script>',
  '"><img src=x onerror=alert(4)>',
  '//evil.example/x.wav',
];

/** Relative names stay inside the dataset folder; an absolute one (`//host/…` is `/host/…` on disk) is never a dataset file. */
const insideRoot = (name: string): boolean => !name.startsWith('/');

describe('report.html with hostile media names (finding 3)', () => {
  let ts: TestStore;
  let out: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    const db = ts.store.db;
    const root = await mkdtemp(join(tmpdir(), 'evalgate-xss-'));
    // The files really exist under those names: `javascript:alert(1)` is a legal file name (the report
    // links only media it copied beside itself, so each must be a real file of the dataset to be linked).
    for (const name of hostileMedia.filter(insideRoot)) {
      await mkdir(dirname(join(root, name)), { recursive: true });
      await writeFile(join(root, name), 'RIFF');
    }
    const keys = ['s1', 's2', 's3', '<img src=x onerror=alert(5)>'];
    const { datasetId, ids } = await seedDataset(
      db,
      'xss-demo',
      keys.map((key) => ({ key, task: 'mcq' as const, answer: 'B', choices: ['a', 'b', 'c', 'd'] })),
      { rootDir: root, media: () => hostileMedia.map((path) => ({ kind: 'audio', path, sha256: 'x' })) },
    );
    // Every sample disagrees, so every sample's media links are in the disagreement table.
    const a = await seedRun(db, { model: 'm-a', kind: 'generalist', datasetId, ids, task: 'mcq', predictions: keys.map((key) => ({ key, text: 'A' })) });
    const b = await seedRun(db, { model: 'm-b', kind: 'specialist', datasetId, ids, task: 'mcq', predictions: keys.map((key) => ({ key, text: 'B' })) });
    out = join(root, 'report.html');
    await writeRunsReport(db, { runIds: [a, b], out });
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  it('links media only by relative or http(s) URLs', async () => {
    const html = await readFile(out, 'utf8');
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => defined(m[1], `the URL of ${m[0]}`));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(h.replace(/&amp;/g, '&'))?.[1]?.toLowerCase();
      expect(scheme === undefined || scheme === 'http' || scheme === 'https', `href ${h}`).toBe(true);
      expect(h.startsWith('//'), `protocol-relative href ${h}`).toBe(false);
    }
    expect(html).not.toContain('<img src=x');
  });

  it.skipIf(!hasChromium)('runs no script when opened and its links are clicked in Chromium', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(pathToFileURL(out).href);
      const links = page.locator('a[href]');
      const n = await links.count();
      // Every name that is a file of the dataset, in each of the 4 samples; `//evil.example/x.wav` is an absolute path
      // outside the dataset and is shown as text only.
      expect(n).toBe(hostileMedia.filter(insideRoot).length * 4);
      expect(await page.locator('a', { hasText: 'evil.example' }).count()).toBe(0);
      const protocols = await page.$$eval('a[href]', (as) => as.map((a) => (a as unknown as { protocol: string }).protocol));
      expect(new Set(protocols)).toEqual(new Set(['file:']));
      // Click each link in a fresh page: a javascript: URL would run in the report's origin.
      for (let i = 0; i < hostileMedia.length; i++) {
        const p = await browser.newPage();
        p.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await p.goto(pathToFileURL(out).href);
        await p.locator('a[href]').nth(i).click({ noWaitAfter: true });
        await p.waitForTimeout(150);
        await p.close();
      }
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
