import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { appendArenaVotes } from '../../gateway/store/arena-vote-repo.js';
import { toneWav } from '../datasets/fixtures.js';
import { seedDataset } from '../compare/seed-runs.js';
import { chromiumPath, hasChromium } from '../helpers/chromium.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { startArenaModelServer, type ArenaModelServer } from './arena-page-model-server.js';

/**
 * The arena page end to end (issue 16, "Tests"): a real gateway on a real
 * port with a PGlite store, two scripted chat-completions models (one
 * answering in audio), and Debian's Chromium with a fake microphone that
 * speaks a WAV file. The prompt is recorded from that microphone, both
 * answers stream in, no model name is in the DOM at any moment before the
 * vote, and the vote reveals the names (checked against the stored battle)
 * and the human ratings. In the last test one model answers in audio,
 * which the page plays through before the vote opens.
 */

// Model ids (what the vote reveals) and the upstream model names the adapters send: none may show before the vote.
const alpha = { id: 'arena-alpha-7b', upstream: 'alpha-upstream-2025', text: 'Paris is the capital of France, on the river Seine.' };
const bravo = { id: 'arena-bravo-voice', upstream: 'bravo-upstream-audio', text: 'The capital of France is Paris.' };
const secretNames = [alpha.id, bravo.id, alpha.upstream, bravo.upstream];

/** 16 kHz mono 16-bit speech from espeak-ng (CI installs it), else the tone fixture, which still tests the path. */
async function speechWav(dir: string, name: string, text: string, rateHz = 16_000): Promise<{ path: string; speech: boolean }> {
  const raw = join(dir, `${name}-raw.wav`);
  const path = join(dir, `${name}.wav`);
  const espeak = spawnSync('espeak-ng', ['-w', raw, text]);
  if (espeak.status === 0) {
    const ff = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', raw, '-ar', String(rateHz), '-ac', '1', '-c:a', 'pcm_s16le', path]);
    if (ff.status === 0) return { path, speech: true };
  }
  await writeFile(path, toneWav(1.8, 7));
  return { path, speech: false };
}

/** Sample rate, channels and PCM of a plain 16-bit WAV. */
function readWav(buf: Buffer): { rateHz: number; channels: number; pcm: Int16Array } {
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  let at = 12;
  let rateHz = 0;
  let channels = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(at + 10);
      rateHz = buf.readUInt32LE(at + 12);
    }
    if (id === 'data') {
      const bytes = buf.subarray(at + 8, at + 8 + Math.min(size, buf.length - at - 8));
      return { rateHz, channels, pcm: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1))) };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** Loudest 100 ms window's RMS, as a fraction of full scale. */
function peakRms(pcm: Int16Array, rateHz: number): number {
  const win = Math.round(rateHz / 10);
  let best = 0;
  for (let i = 0; i + win <= pcm.length; i += win) {
    let sum = 0;
    for (let j = i; j < i + win; j++) sum += (pcm[j]! / 32768) ** 2;
    best = Math.max(best, Math.sqrt(sum / win));
  }
  return best;
}

/** Every input_audio part of a chat-completions request body. */
function inputAudio(body: Record<string, unknown>): { data: string; format: string }[] {
  const out: { data: string; format: string }[] = [];
  for (const m of (body.messages as { content?: unknown }[] | undefined) ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content as { type?: string; input_audio?: { data: string; format: string } }[])
      if (p.type === 'input_audio' && p.input_audio) out.push(p.input_audio);
  }
  return out;
}

/**
 * Polls a page expression until it is truthy. Playwright's waitForFunction
 * evaluates its predicate with eval inside the page, which the arena page's
 * CSP forbids (as it should); page.evaluate goes through the debugger
 * protocol and is not subject to it.
 */
async function waitFor(page: Page, expression: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const launchArgs = (micWav: string): string[] => [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // %noloop: the file is spoken once, then the microphone is silent (a loop would restart the prompt mid-recording).
  `--use-file-for-fake-audio-capture=${micWav}%noloop`,
];

// Page expressions (this project's TypeScript has no DOM types): everything a person or script could read.
const domText = 'document.documentElement.outerHTML + "\\n" + document.body.innerText';

describe.skipIf(!hasChromium)('the arena page in Chromium with a key: a spoken prompt, two anonymous streamed answers, a vote', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  let submitterKey: string;
  let alphaServer: ArenaModelServer;
  let bravoServer: ArenaModelServer;
  let mic: { path: string; speech: boolean };
  const earlierBattles: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-arena-page-'));
    mic = await speechWav(dir, 'mic', 'What is the capital of France?');
    const answerWav = await speechWav(dir, 'answer', bravo.text);
    alphaServer = await startArenaModelServer({ text: alpha.text, wordDelayMs: 200 });
    bravoServer = await startArenaModelServer({ text: bravo.text, wordDelayMs: 90, audioWav: await readFile(answerWav.path) });
    ts = await createPgliteTestStore();
    submitterKey = (await createApiKey(ts.store.db, { scopes: ['submitter'] })).key;
    // Earlier human votes between the two, each side winning at least once, so the ratings exist before this
    // test's vote (one vote alone has no maximum-likelihood fit) and the vote visibly moves them.
    const earlier: [string, string, 'A>B' | 'B>A' | 'A=B'][] = [
      [alpha.id, bravo.id, 'A>B'],
      [bravo.id, alpha.id, 'A>B'],
      [alpha.id, bravo.id, 'A=B'],
      [bravo.id, alpha.id, 'B>A'],
    ];
    for (const [i, [a, b, vote]] of earlier.entries()) {
      const row = await ts.store.db
        .insertInto('arena_battles')
        .values({
          modality: 'audio',
          model_a: a,
          model_b: b,
          prompt_text: `earlier prompt ${i}`,
          prompt_hash: `earlier-${i}`,
          creator_key: `earlier-voter-${i}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      earlierBattles.push(row.id);
      await appendArenaVotes(ts.store.db, [
        { source: 'human', battle_id: row.id, modality: 'audio', model_a: a, model_b: b, vote, voter_key: `earlier-voter-${i}`, dedupe_key: `earlier-${i}` },
      ]);
    }
    const config = configSchema.parse({
      server: { auth: true },
      logLevel: 'silent',
      cacheDir: join(dir, 'cache'),
      models: [
        { id: alpha.id, adapter: 'openai-chat', kind: 'generalist', baseUrl: alphaServer.baseUrl, model: alpha.upstream },
        { id: bravo.id, adapter: 'openai-chat', kind: 'generalist', baseUrl: bravoServer.baseUrl, model: bravo.upstream },
      ],
      arena: { models: { audio: [alpha.id, bravo.id] } },
    });
    app = await createApp({ config, store: ts.store });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
    await alphaServer?.close();
    await bravoServer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The human audio ratings by model, from the API (not the page: that body names the models, which it must not see before the vote). */
  async function ratings(): Promise<Map<string, number>> {
    const res = await app.inject({ url: '/v1/arena/ratings?source=human&modality=audio', headers: { authorization: `Bearer ${submitterKey}` } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ source: string; ratings: { models: { model: string; rating: number | null }[] } }>();
    expect(body.source).toBe('human');
    const byModel = new Map(body.ratings.models.filter((m) => m.rating !== null).map((m) => [m.model, m.rating!]));
    expect([...byModel.keys()].sort()).toEqual([alpha.id, bravo.id].sort());
    return byModel;
  }

  it('records from the fake microphone, hides the names until the vote, then reveals them and the updated ratings', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs(mic.path) });
    const consoleErrors: string[] = [];
    const apiBodiesBeforeVote: string[] = [];
    let voted = false;
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${m.text()} at ${m.location().url}`);
      });
      page.on('response', (r) => {
        if (!voted && r.url().includes('/v1/arena/') && !r.url().includes('/media/'))
          void r
            .text()
            .then((t) => apiBodiesBeforeVote.push(t))
            .catch(() => undefined);
      });
      const res = await page.goto(`${url}/arena`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'sha256-");
      // Every DOM change before the vote is checked for the names, so a name shown for a moment is caught too.
      await page.evaluate(`(() => {
        const names = ${JSON.stringify(secretNames)};
        window.__leaks = [];
        window.__checks = 0;
        const check = () => { window.__checks++; const t = ${domText}; for (const n of names) if (t.includes(n)) window.__leaks.push(n); };
        window.__observer = new MutationObserver(check);
        window.__observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
        check();
      })()`);

      // Only the audio modality has two arena models.
      expect(await page.isDisabled('input[name="modality"][value="text"]')).toBe(true);
      expect(await page.isChecked('input[name="modality"][value="audio"]')).toBe(true);
      await page.fill('#apikey', submitterKey);
      await page.locator('#apikey').press('Tab');

      // Speak the prompt: the fake microphone plays the WAV once; stop after it has been said.
      await page.getByRole('button', { name: 'Record from the microphone' }).click();
      await waitFor(page, "document.getElementById('rec-state').textContent.startsWith('Recording… 3')", 10_000);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await waitFor(page, "document.getElementById('rec-state').textContent.startsWith('Recorded')", 5_000);
      const recordedSeconds = Number(/Recorded ([\d.]+) s/.exec((await page.textContent('#rec-state')) ?? '')?.[1]);
      expect(recordedSeconds).toBeGreaterThan(2.5);

      await page.getByRole('button', { name: 'Start the battle' }).click();
      await page.waitForSelector('#battle:not([hidden])');
      // While the answers are coming the vote stays closed.
      expect(await page.isDisabled('#vote-buttons button[data-vote="A>B"]')).toBe(true);
      // Text streams in before it is finished (the models pace their words).
      await waitFor(
        page,
        "['A', 'B'].some((s) => document.getElementById('answer-' + s).textContent.length > 0 && !document.getElementById('state-' + s).textContent.startsWith('finished'))",
        15_000,
      );
      await waitFor(page, "['A', 'B'].every((s) => document.getElementById('state-' + s).textContent.startsWith('finished'))", 20_000);
      const answers = { A: await page.textContent('#answer-A'), B: await page.textContent('#answer-B') };
      expect(new Set(Object.values(answers))).toEqual(new Set([alpha.text, bravo.text]));

      // The prompt reached both models as the recorded speech, decoded by the server to 16 kHz mono WAV.
      for (const server of [alphaServer, bravoServer]) {
        expect(server.bodies.length).toBeGreaterThan(0);
        const parts = inputAudio(server.bodies[0]!);
        expect(parts).toHaveLength(1);
        expect(parts[0]!.format).toBe('wav');
        const wav = readWav(Buffer.from(parts[0]!.data, 'base64'));
        expect(wav.rateHz).toBe(16_000);
        expect(wav.channels).toBe(1);
        const seconds = wav.pcm.length / wav.rateHz;
        expect(seconds).toBeGreaterThan(recordedSeconds - 1);
        expect(seconds).toBeLessThan(recordedSeconds + 1);
        // Not silence: the fake microphone's speech is in it.
        expect(peakRms(wav.pcm, wav.rateHz)).toBeGreaterThan(0.02);
      }

      // Here no model is configured to speak (options.outputAudio): the arena drops spoken answers for now, and the
      // spoken answer has its own test below.
      expect(bravoServer.bodies.map((b) => b.modalities)).toEqual([undefined]);
      // Both answers are stored: the vote opens (no audio answer to hear first).
      await waitFor(page, "document.getElementById('vote').dataset.open === '1'", 10_000);
      expect(await page.locator('#media-A audio, #media-B audio').count()).toBe(0);

      // Before the vote: no name anywhere in the DOM, at any moment, nor in any arena API body the page received.
      const beforeVote = (await page.evaluate(`({ leaks: window.__leaks, checks: window.__checks, now: ${domText} })`)) as {
        leaks: string[];
        checks: number;
        now: string;
      };
      expect(beforeVote.checks).toBeGreaterThan(20);
      expect(beforeVote.leaks).toEqual([]);
      for (const n of secretNames) expect(beforeVote.now).not.toContain(n);
      expect(apiBodiesBeforeVote.length).toBeGreaterThan(0);
      for (const body of apiBodiesBeforeVote) for (const n of secretNames) expect(body).not.toContain(n);

      const ratingsBefore = await ratings();

      voted = true;
      await page.evaluate('window.__observer.disconnect()');
      await page.getByRole('button', { name: 'A is better (A>B)' }).click();
      await page.waitForSelector('#revealed-A');

      // The names shown are the stored battle's, and each sits over the answer its model gave.
      const battle = await ts.store.db.selectFrom('arena_battles').selectAll().where('id', 'not in', earlierBattles).executeTakeFirstOrThrow();
      expect(await page.textContent('#revealed-A')).toBe(`Model A was ${battle.model_a}`);
      expect(await page.textContent('#revealed-B')).toBe(`Model B was ${battle.model_b}`);
      expect(answers.A).toBe(battle.model_a === alpha.id ? alpha.text : bravo.text);
      expect(await page.textContent('#counted')).toBe('Your vote counts in the ratings.');
      const vote = await ts.store.db.selectFrom('arena_votes').selectAll().where('battle_id', '=', battle.id).executeTakeFirstOrThrow();
      expect([vote.vote, vote.both_bad, vote.source, vote.model_a, vote.model_b]).toEqual(['A>B', false, 'human', battle.model_a, battle.model_b]);

      // The human ratings: the page shows them as they are after the vote, and the vote moved them: the winner
      // (side A) gained on the loser.
      const ratingsAfter = await ratings();
      await page.waitForSelector('#ratings');
      const rows = (await page.evaluate(
        "[...document.querySelectorAll('#ratings tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent))",
      )) as string[][];
      const shown = (id: string): number => Number(rows.find((r) => r[1] === id)?.[2]);
      expect(rows.map((r) => r[1]).sort()).toEqual([alpha.id, bravo.id].sort());
      for (const id of [alpha.id, bravo.id]) expect(shown(id)).toBeCloseTo(ratingsAfter.get(id)!, 1);
      const gap = (r: Map<string, number>): number => r.get(battle.model_a)! - r.get(battle.model_b)!;
      expect(gap(ratingsAfter)).toBeGreaterThan(gap(ratingsBefore));

      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/arena-page.png', fullPage: true });
      expect(existsSync('test-artifacts/arena-page.png')).toBe(true);
      expect(await page.textContent('#error')).toBe('');
      expect(consoleErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});

describe.skipIf(!hasChromium)('the arena page in Chromium with arena.public and no key: a typed prompt, the battle token, a vote', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let url: string;
  let alphaServer: ArenaModelServer;
  let bravoServer: ArenaModelServer;
  let uploadPng: string;
  let uploadMp4: string;
  const hiddenTag = 'capability-tag-handwriting-9f3';

  beforeAll(async () => {
    alphaServer = await startArenaModelServer({ text: alpha.text, wordDelayMs: 30 });
    bravoServer = await startArenaModelServer({ text: bravo.text, wordDelayMs: 30 });
    ts = await createPgliteTestStore();
    const config = configSchema.parse({
      server: { auth: true },
      logLevel: 'silent',
      cacheDir: join(await mkdtemp(join(tmpdir(), 'evalgate-arena-public-')), 'cache'),
      models: [
        { id: alpha.id, adapter: 'openai-chat', kind: 'generalist', baseUrl: alphaServer.baseUrl, model: alpha.upstream },
        { id: bravo.id, adapter: 'openai-chat', kind: 'generalist', baseUrl: bravoServer.baseUrl, model: bravo.upstream },
      ],
      arena: {
        public: true,
        publicPresetDatasets: ['arena-presets'],
        models: { text: [alpha.id, bravo.id], image: [alpha.id, bravo.id], video: [alpha.id, bravo.id] },
      },
    });
    // A picture to upload, and an open dataset with one image sample (tagged) to draw a preset prompt from.
    const root = await mkdtemp(join(tmpdir(), 'evalgate-arena-preset-'));
    const png = await sharp({ create: { width: 96, height: 48, channels: 3, background: '#1a7f37' } })
      .png()
      .toBuffer();
    await writeFile(join(root, 'card.png'), png);
    uploadPng = join(root, 'upload.png');
    await writeFile(uploadPng, png);
    uploadMp4 = join(root, 'clip.mp4');
    const ff = spawnSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10:duration=2',
      '-pix_fmt',
      'yuv420p',
      uploadMp4,
    ]);
    expect(ff.status, String(ff.stderr)).toBe(0);
    await seedDataset(ts.store.db, 'arena-presets', [{ key: 'p1', task: 'ocr', reference: 'x', tags: [hiddenTag] }], {
      rootDir: root,
      media: () => [{ kind: 'image', path: 'card.png', sha256: 'x' }],
    });
    app = await createApp({ config, store: ts.store });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
    await alphaServer?.close();
    await bravoServer?.close();
  });

  it('battles and votes without a key, through the token the battle was created with; a failed side closes the vote', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const consoleErrors: string[] = [];
    const arenaRequests: { url: string; authorization?: string; token?: string }[] = [];
    let ratingsRequests = 0;
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${m.text()} at ${m.location().url}`);
      });
      page.on('request', (r) => {
        if (r.url().includes('/v1/arena/ratings')) ratingsRequests++;
        if (r.url().includes('/v1/arena/battles'))
          arenaRequests.push({ url: r.url(), authorization: r.headers().authorization, token: r.headers()['x-arena-token'] });
      });
      await page.goto(`${url}/arena`);
      expect(await page.textContent('header')).toContain('API key (optional)');
      expect(await page.isChecked('input[name="modality"][value="text"]')).toBe(true);
      expect(await page.isDisabled('input[name="modality"][value="audio"]')).toBe(true);
      await page.getByLabel('Prompt', { exact: true }).fill('Name the capital of France in one sentence.');
      await page.getByRole('button', { name: 'Start the battle' }).click();
      await waitFor(page, "document.getElementById('vote').dataset.open === '1'", 20_000);
      const before = (await page.evaluate(domText)) as string;
      for (const n of secretNames) expect(before).not.toContain(n);
      expect(before).toContain('Name the capital of France in one sentence.');

      await page.getByLabel('Both are bad').check();
      await page.getByRole('button', { name: 'B is much better (B≫A)' }).click();
      await page.waitForSelector('#revealed-B');
      const battle = await ts.store.db.selectFrom('arena_battles').selectAll().executeTakeFirstOrThrow();
      expect(await page.textContent('#revealed-B')).toBe(`Model B was ${battle.model_b}`);
      expect(await page.textContent('#name-A')).toBe(`: ${battle.model_a}`);
      const vote = await ts.store.db.selectFrom('arena_votes').selectAll().executeTakeFirstOrThrow();
      expect([vote.battle_id, vote.vote, vote.both_bad]).toEqual([battle.id, 'B>>A', true]);

      // No key anywhere; after the POST, every battle request carried the token it returned.
      expect(arenaRequests.length).toBeGreaterThan(2);
      expect(arenaRequests.every((r) => r.authorization === undefined)).toBe(true);
      expect(arenaRequests[0]!.token).toBeUndefined();
      const token = arenaRequests[1]!.token;
      expect(token).toBeTruthy();
      expect(arenaRequests.slice(1).every((r) => r.token === token)).toBe(true);
      // The ratings want a key: the page says so instead of collecting a 401 (a failed authentication of this address).
      expect(await page.textContent('#result')).toContain('Enter an API key (top right) to see the ratings.');
      expect(ratingsRequests).toBe(0);
      expect(await page.textContent('#error')).toBe('');
      expect(consoleErrors).toEqual([]);

      // A new battle in which one model fails (HTTP 400, not retried): that side shows only the error code, the
      // other side its answer, the vote never opens, and still no name is shown.
      alphaServer.failWith = 400;
      await page.getByRole('button', { name: 'New battle' }).click();
      expect(await page.isHidden('#battle')).toBe(true);
      await page.getByRole('button', { name: 'Start the battle' }).click();
      await waitFor(page, "document.getElementById('vote-hint').textContent.startsWith('A model failed')", 20_000);
      await waitFor(page, "['A', 'B'].some((s) => document.getElementById('state-' + s).textContent.startsWith('finished'))", 20_000);
      const second = await ts.store.db.selectFrom('arena_battles').selectAll().where('id', '<>', battle.id).executeTakeFirstOrThrow();
      const failedSide = second.model_a === alpha.id ? 'A' : 'B';
      const okSide = failedSide === 'A' ? 'B' : 'A';
      expect(await page.textContent(`#state-${failedSide}`)).toMatch(/^failed \(EVALGATE_ERR_[A-Z_]+\): this battle cannot be voted on/);
      expect(await page.textContent(`#answer-${failedSide}`)).toBe('');
      expect(await page.textContent(`#answer-${okSide}`)).toBe(bravo.text);
      expect(await page.isDisabled('#vote-buttons button[data-vote="A=B"]')).toBe(true);
      expect(await page.textContent('#result')).toBe('');
      const after = (await page.evaluate(domText)) as string;
      for (const n of secretNames) expect(after).not.toContain(n);
      expect(await page.textContent('#error')).toBe('');
      expect(consoleErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('sends an uploaded image or video with its question, and draws a preset prompt whose capability tags stay hidden', async () => {
    alphaServer.failWith = undefined;
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const consoleErrors: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${m.text()} at ${m.location().url}`);
      });
      await page.goto(`${url}/arena`);
      await page.getByLabel('Image').check();
      expect(await page.isHidden('#recorder')).toBe(true);
      const seen = { alpha: alphaServer.bodies.length, bravo: bravoServer.bodies.length };

      // Upload: the picture goes to both models with the question, and the page shows it back through its signed link.
      await page.setInputFiles('#prompt-file', uploadPng);
      await page.getByLabel('Prompt', { exact: true }).fill('What colour is this card?');
      await page.getByRole('button', { name: 'Start the battle' }).click();
      await waitFor(page, "document.getElementById('vote').dataset.open === '1'", 20_000);
      for (const body of [alphaServer.bodies[seen.alpha]!, bravoServer.bodies[seen.bravo]!]) {
        const text = JSON.stringify(body.messages);
        expect(text).toContain('What colour is this card?');
        expect(text).toContain('data:image/png;base64,');
      }
      await waitFor(page, "(() => { const i = document.querySelector('#prompt-shown img'); return i && i.complete && i.naturalWidth === 96; })()", 10_000);

      await page.getByRole('button', { name: 'A=B' }).click();
      await page.waitForSelector('#revealed-A');
      await page.getByRole('button', { name: 'New battle' }).click();

      // A video: the models get frames of it (images), and the page shows the clip back.
      await page.getByLabel('Video').check();
      expect(await page.getAttribute('#prompt-file', 'accept')).toBe('video/mp4,video/webm');
      seen.alpha = alphaServer.bodies.length;
      await page.setInputFiles('#prompt-file', uploadMp4);
      await page.getByLabel('Prompt', { exact: true }).fill('What is moving in this clip?');
      await page.getByRole('button', { name: 'Start the battle' }).click();
      await waitFor(page, "document.getElementById('vote').dataset.open === '1'", 30_000);
      const videoRequest = JSON.stringify(alphaServer.bodies[seen.alpha]!.messages);
      expect(videoRequest).toContain('What is moving in this clip?');
      expect(videoRequest.split('data:image/').length - 1).toBeGreaterThanOrEqual(2);
      await waitFor(page, "(() => { const v = document.querySelector('#prompt-shown video'); return v && v.readyState >= 1 && v.duration > 1.5; })()", 10_000);
      await page.getByRole('button', { name: 'A=B' }).click();
      await page.waitForSelector('#revealed-A');
      await page.getByRole('button', { name: 'New battle' }).click();

      // Preset: the server draws the dataset's image sample; its question and image are shown, its tags never.
      await page.getByLabel('Image').check();
      await page.getByLabel('Or draw a preset prompt from dataset').fill('arena-presets');
      await page.getByRole('button', { name: 'Draw a preset prompt' }).click();
      await waitFor(page, "document.getElementById('vote').dataset.open === '1'", 20_000);
      await waitFor(page, "(() => { const i = document.querySelector('#prompt-shown img'); return i && i.complete && i.naturalWidth === 96; })()", 10_000);
      const preset = await ts.store.db.selectFrom('arena_battles').selectAll().where('preset_sample_key', '=', 'p1').executeTakeFirstOrThrow();
      expect(preset.capability_tags).toEqual([hiddenTag]);
      expect(preset.prompt_text).toBeTruthy();
      expect(await page.textContent('#prompt-shown')).toContain(preset.prompt_text!);
      const dom = (await page.evaluate(domText)) as string;
      expect(dom).not.toContain(hiddenTag);
      for (const n of secretNames) expect(dom).not.toContain(n);
      expect(await page.textContent('#error')).toBe('');
      expect(consoleErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

// A spoken answer (ModelResult.audio: openai-chat with options.outputAudio) is stored by the battle service as the
// side's media and played in the page; the vote waits until it has been heard.
describe.skipIf(!hasChromium)('the arena page in Chromium: an audio answer must be played through before the vote', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  let key: string;
  let alphaServer: ArenaModelServer;
  let bravoServer: ArenaModelServer;
  let answerSeconds: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-arena-audio-'));
    // OpenAI speaks at 24 kHz; a streamed answer comes as raw pcm16 at that rate.
    const answer = await speechWav(dir, 'answer', bravo.text, 24_000);
    const answerWav = await readFile(answer.path);
    answerSeconds = readWav(answerWav).pcm.length / 24_000;
    alphaServer = await startArenaModelServer({ text: alpha.text, wordDelayMs: 30 });
    bravoServer = await startArenaModelServer({ text: bravo.text, wordDelayMs: 30, audioWav: answerWav });
    ts = await createPgliteTestStore();
    key = (await createApiKey(ts.store.db, { scopes: ['submitter'] })).key;
    const config = configSchema.parse({
      server: { auth: true },
      logLevel: 'silent',
      cacheDir: join(dir, 'cache'),
      models: [
        { id: alpha.id, adapter: 'openai-chat', kind: 'generalist', baseUrl: alphaServer.baseUrl, model: alpha.upstream },
        {
          id: bravo.id,
          adapter: 'openai-chat',
          kind: 'generalist',
          baseUrl: bravoServer.baseUrl,
          model: bravo.upstream,
          options: { outputAudio: { voice: 'alloy', format: 'wav' } },
        },
      ],
      arena: { models: { text: [alpha.id, bravo.id] } },
    });
    app = await createApp({ config, store: ts.store });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
    await alphaServer?.close();
    await bravoServer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plays the spoken answer, keeps the vote closed after a skip to the end, opens it once the answer was heard', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
    });
    const consoleErrors: string[] = [];
    const refused: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${m.text()} at ${m.location().url}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) refused.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${url}/arena`);
      await page.fill('#apikey', key);
      await page.locator('#apikey').press('Tab');
      await page.getByLabel('Prompt', { exact: true }).fill('Name the capital of France in one sentence.');
      await page.getByRole('button', { name: 'Start the battle' }).click();
      await waitFor(page, "['A', 'B'].every((s) => document.getElementById('state-' + s).textContent.startsWith('finished'))", 20_000);
      // bravo was asked to speak (streamed: pcm16) and the page got its answer as an <audio> on one side only.
      expect(bravoServer.bodies.map((b) => b.modalities)).toEqual([['text', 'audio']]);
      expect(await page.locator('#media-A audio, #media-B audio').count()).toBe(1);
      const audioSide = (await page.locator('#media-A audio').count()) === 1 ? 'A' : 'B';
      const audio = `document.querySelector('#media-${audioSide} audio')`;
      await waitFor(page, `${audio}.readyState >= 1 && ${audio}.duration > 0`, 10_000);
      expect((await page.evaluate(`${audio}.duration`)) as number).toBeCloseTo(answerSeconds, 1);
      expect(await page.isDisabled('#vote-buttons button[data-vote="A>B"]')).toBe(true);
      expect(await page.textContent('#vote-hint')).toBe('Play the audio answer to the end to open the vote.');

      // Racing through it at 16× fires ended, but that is not listening: the vote stays closed. (A seek to the end
      // would be the natural skip, but the media route sends no byte ranges, so Chromium cannot seek these files.)
      await page.evaluate(`(() => { const a = ${audio}; a.playbackRate = 16; return a.play(); })()`);
      await waitFor(page, `${audio}.ended`, 10_000);
      await waitFor(page, "document.getElementById('status').textContent.includes('skipped through')", 5_000);
      expect(await page.isDisabled('#vote-buttons button[data-vote="A>B"]')).toBe(true);

      // Played from the start to the end: the vote opens.
      await page.evaluate(`(() => { const a = ${audio}; a.playbackRate = 1; a.currentTime = 0; })()`);
      await page.getByRole('button', { name: `Play Model ${audioSide}'s answer` }).click();
      await waitFor(page, "document.getElementById('vote').dataset.open === '1'", 20_000);
      expect((await page.evaluate(`${audio}.ended`)) as boolean).toBe(true);
      const before = (await page.evaluate(domText)) as string;
      for (const n of secretNames) expect(before).not.toContain(n);

      await page.getByRole('button', { name: 'B is much better (B≫A)' }).click();
      await page.waitForSelector('#revealed-B');
      const battle = await ts.store.db.selectFrom('arena_battles').selectAll().executeTakeFirstOrThrow();
      expect(audioSide === 'A' ? battle.model_a : battle.model_b).toBe(bravo.id);
      expect(await page.textContent('#revealed-B')).toBe(`Model B was ${battle.model_b}`);
      // The spoken side is stored as one canonical WAV with no text shown; the model's own transcript is kept
      // privately for the identity-word check.
      const spoken = await ts.store.db.selectFrom('arena_answers').selectAll().where('side', '=', audioSide).executeTakeFirstOrThrow();
      expect(spoken.output_text).toBe('');
      expect(spoken.spoken_transcript).toBe(bravo.text);
      expect(spoken.output_media.map((m) => m.mime)).toEqual(['audio/wav']);
      expect(before).not.toContain(bravo.text);
      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/arena-page-audio-answer.png', fullPage: true });
      expect(refused).toEqual([]);
      expect(await page.textContent('#error')).toBe('');
      expect(consoleErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
