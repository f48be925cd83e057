import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import register from '../../gateway/cli/commands/report.js';
import { defaultReportPath, writeRunsReport } from '../../gateway/report/write-runs-report.js';
import type { Database } from '../../gateway/store/database.js';
import { openStore, type Store } from '../../gateway/store/open-store.js';
import { chromiumPath, hasChromium } from '../helpers/chromium.js';
import { runCommandInProcess } from '../helpers/run-cli.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';

const choices = ['a', 'b', 'c', 'd'];

/**
 * A dataset folder with real media: two samples share a file, one names a
 * link to a file outside the folder, one a file that is not there, one a file
 * that changed size since import. Two runs disagree on every sample, so every
 * sample's media are in the report's disagreement table.
 */
async function seedMediaRuns(db: Kysely<Database>, root: string, outside: string): Promise<{ runIds: string[]; files: Record<string, Buffer> }> {
  const files: Record<string, Buffer> = {
    'audio/s1.wav': Buffer.from('RIFF-s1-audio-bytes'),
    'images/s2 page.png': Buffer.from('PNG-s2-image-bytes'),
    'shared.wav': Buffer.from('RIFF-shared-bytes'),
    'grown.wav': Buffer.from('RIFF-grown-after-import'),
  };
  for (const [p, bytes] of Object.entries(files)) {
    await mkdir(join(root, p, '..'), { recursive: true });
    await writeFile(join(root, p), bytes);
  }
  await writeFile(join(outside, 'secret.txt'), 'not dataset media');
  await symlink(join(outside, 'secret.txt'), join(root, 'leak.wav'));
  const media: Record<string, string[]> = {
    s1: ['audio/s1.wav', 'shared.wav'],
    s2: ['images/s2 page.png', 'shared.wav'],
    s3: ['leak.wav', 'missing.wav'],
    s4: ['grown.wav'],
  };
  const keys = Object.keys(media);
  const { datasetId, ids } = await seedDataset(
    db,
    'media-set',
    keys.map((key) => ({ key, task: 'mcq' as const, answer: 'B', choices })),
    { rootDir: root, media: (key) => (media[key] ?? []).map((path) => ({ kind: path.endsWith('.png') ? 'image' : 'audio', path, sha256: 'x' })) },
  );
  // s4's file as recorded at import was smaller: it changed since, and the report must not pass it off as the sample's.
  await db
    .updateTable('samples')
    .set({ media_files: JSON.stringify([{ realPath: join(root, 'grown.wav'), sizeBytes: 4 }]) })
    .where('id', '=', ids.get('s4')!)
    .execute();
  const a = await seedRun(db, { model: 'm-a', kind: 'generalist', datasetId, ids, task: 'mcq', predictions: keys.map((key) => ({ key, text: 'A' })) });
  const b = await seedRun(db, { model: 'm-b', kind: 'specialist', datasetId, ids, task: 'mcq', predictions: keys.map((key) => ({ key, text: 'B' })) });
  return { runIds: [a, b], files };
}

/** The href values of the report's links, as the browser reads them (entities and percent-escapes undone). */
function hrefsOf(html: string): string[] {
  return [...html.matchAll(/<a href="([^"]*)">/g)].map((m) => decodeURIComponent((m[1] ?? '').replace(/&amp;/g, '&')));
}

describe('report media beside the file', () => {
  let tmp: string;
  let store: Store;
  let runIds: string[];
  let files: Record<string, Buffer>;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'evalgate-report-media-'));
    await mkdir(join(tmp, 'dataset'));
    await mkdir(join(tmp, 'outside'));
    store = await openStore({ pgliteDir: join(tmp, 'db') });
    ({ runIds, files } = await seedMediaRuns(store.db, join(tmp, 'dataset'), join(tmp, 'outside')));
  });
  afterAll(async () => {
    await store?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('links copies that still resolve after the report and its folder are moved', async () => {
    const written = await writeRunsReport(store.db, { runIds, out: join(tmp, 'first', 'report.html') });
    expect(written.path).toBe(join(tmp, 'first', 'report.html'));
    expect(written.media).toEqual({ dir: join(tmp, 'first', 'report-media'), files: 3, bytes: 19 + 18 + 17 });

    // Move the whole folder, then follow every link from the file's new place.
    await rename(join(tmp, 'first'), join(tmp, 'moved'));
    const html = await readFile(join(tmp, 'moved', 'report.html'), 'utf8');
    const hrefs = hrefsOf(html);
    // s1: 2, s2: 2 (the shared file linked from both samples); s3 and s4: none.
    expect(hrefs).toHaveLength(4);
    const copies = await Promise.all(hrefs.map((h) => readFile(resolve(join(tmp, 'moved'), h))));
    expect(copies.map((c) => c.toString()).sort()).toEqual(
      [files['audio/s1.wav'], files['shared.wav'], files['images/s2 page.png'], files['shared.wav']].map((b) => String(b)).sort(),
    );
    for (const h of hrefs) expect(h.startsWith('./report-media/'), h).toBe(true);
    // One copy per file, however many samples name it.
    expect((await readdir(join(tmp, 'moved', 'report-media'))).sort()).toEqual(['1-s1.wav', '2-shared.wav', '3-s2_page.png']);
  });

  it.skipIf(!hasChromium)('opens from its new place in Chromium: charts drawn, no script error, media links reach the copies', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
      await page.goto(pathToFileURL(join(tmp, 'moved', 'report.html')).href);
      for (const id of ['bars-0', 'heat-0', 'latency-0']) await page.waitForSelector(`#${id} canvas`);
      // The heat map is as tall as its rows, turned labels and legend need (not the old fixed 360 px).
      const heights = await page.$$eval('.chart', (els) => els.map((e) => (e as unknown as { style: { height: string } }).style.height));
      for (const h of heights) expect(h).toMatch(/^\d+px$/);
      // Each link as the browser resolves it from the file's new place names a copy with the dataset file's bytes.
      const urls = await page.$$eval('a[href]', (as) => as.map((a) => (a as unknown as { href: string }).href));
      expect(urls).toHaveLength(4);
      for (const url of urls) {
        expect(url.startsWith(pathToFileURL(join(tmp, 'moved', 'report-media')).href + '/'), url).toBe(true);
        expect(Object.values(files).map(String)).toContain(await readFile(fileURLToPath(url), 'utf8'));
      }
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('copies nothing but the recorded media: a link out of the dataset, a missing file and a changed one are named, not linked', async () => {
    const written = await writeRunsReport(store.db, { runIds, out: join(tmp, 'second', 'r.html') });
    const html = await readFile(written.path, 'utf8');
    expect(html).toContain('leak.wav (escape, not copied)');
    expect(html).toContain('missing.wav (missing, not copied)');
    expect(html).toContain('grown.wav (changed since import, not copied)');
    const dir = join(tmp, 'second', 'r-media');
    const copied = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
    expect(copied).not.toContain('not dataset media');
    expect(copied).not.toContain(String(files['grown.wav']));
  });
});

describe('evalgate report without --out', () => {
  let home: string;
  let runIds: string[];

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'evalgate-report-home-'));
    await mkdir(join(home, 'dataset'));
    await mkdir(join(home, 'outside'));
    const store = await openStore({ pgliteDir: join(home, 'db') });
    try {
      ({ runIds } = await seedMediaRuns(store.db, join(home, 'dataset'), join(home, 'outside')));
    } finally {
      await store.close();
    }
    await writeFile(join(home, 'evalgate.config.json'), JSON.stringify({ database: { pgliteDir: 'db' }, cacheDir: 'cache' }));
  });
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('is report.html in the resolved cache folder', () => {
    expect(defaultReportPath('.evalgate/cache')).toBe(resolve('.evalgate/cache', 'report.html'));
    expect(defaultReportPath('/var/cache/evalgate')).toBe('/var/cache/evalgate/report.html');
  });

  it('writes into the configured cache folder, not the working folder, and says where', async () => {
    const inCwd = resolve('report.html');
    const before = existsSync(inCwd) ? (await stat(inCwd)).mtimeMs : null;
    const r = await runCommandInProcess(register, ['--config', join(home, 'evalgate.config.json'), 'report', '--runs', runIds.join(',')]);
    expect(r.stderr).toBe('');
    const expected = join(home, 'cache', 'report.html');
    expect(r.stdout).toContain(`wrote ${expected} (`);
    expect(r.stdout).toContain(`copied to ${join(home, 'cache', 'report-media')}`);
    expect(await readFile(expected, 'utf8')).toContain('<!doctype html>');
    expect(existsSync(inCwd) ? (await stat(inCwd)).mtimeMs : null).toBe(before);
  });

  it('writes where --out says', async () => {
    const out = join(home, 'elsewhere', 'mine.html');
    const r = await runCommandInProcess(register, [
      '--config',
      join(home, 'evalgate.config.json'),
      'report',
      '--runs',
      runIds.join(','),
      '--out',
      out,
      '--json',
    ]);
    const doc = JSON.parse(r.stdout) as { path: string; media: { dir: string; files: number } };
    expect(doc.path).toBe(out);
    expect(doc.media).toMatchObject({ dir: join(home, 'elsewhere', 'mine-media'), files: 3 });
    expect(existsSync(out)).toBe(true);
  });
});
