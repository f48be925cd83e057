// Arena prompts with media, over real HTTP with real ffmpeg: a microphone
// clip recorded as WebM/Opus (as Chromium's MediaRecorder makes it) is
// decoded by the server to 16 kHz mono WAV, that WAV is what both models get
// and what the battle keeps (content-addressed), and the browser fetches it
// through a signed link with nosniff and a sandbox CSP. Images go to the
// models as they were uploaded; too-long audio is refused.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';
import { sampleMarker } from '../runner/scripted-openai-server.js';
import { call, namesAModel, readEvents, startArenaGateway, type ArenaGateway } from './battle-http.js';

const run = promisify(execFile);
const pgUp = await postgresAvailable();

interface ChatBody {
  messages: { content: string | { type: string; input_audio?: { data: string; format: string }; image_url?: { url: string } }[] }[];
}

/** The content parts the scripted server received for a prompt key (every request). */
function partsFor(
  gw: ArenaGateway,
  server: 0 | 1,
  key: string,
): { type: string; input_audio?: { data: string; format: string }; image_url?: { url: string } }[] {
  const bodies = gw.servers[server].bodies as ChatBody[];
  const body = bodies.find((b) => JSON.stringify(b).includes(sampleMarker(key)));
  if (!body) throw new Error(`no request for ${key}`);
  return body.messages.flatMap((m) => (typeof m.content === 'string' ? [{ type: 'text' }] : m.content));
}

/** Channels, rate and seconds of a canonical PCM WAV. */
function wavInfo(bytes: Buffer): { channels: number; rateHz: number; seconds: number } {
  expect(bytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
  expect(bytes.subarray(8, 12).toString('ascii')).toBe('WAVE');
  const channels = bytes.readUInt16LE(22);
  const rateHz = bytes.readUInt32LE(24);
  const dataBytes = bytes.readUInt32LE(40);
  return { channels, rateHz, seconds: dataBytes / 2 / channels / rateHz };
}

for (const backend of backends) {
  describe.skipIf(!hasRealdata || (backend.name === 'postgres' && !pgUp))(`arena prompts with media on ${backend.name}`, () => {
    let ts: TestStore;
    let gw: ArenaGateway;
    let work: string;
    let webm: Buffer;
    let longWebm: Buffer;
    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'evalgate-arena-mic-'));
      const jfk = join(realdataDir, 'jfk.wav');
      // What a browser microphone recording looks like: Opus in WebM, 48 kHz.
      await run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        jfk,
        '-ar',
        '48000',
        '-c:a',
        'libopus',
        '-b:a',
        '32k',
        '-f',
        'webm',
        join(work, 'mic.webm'),
      ]);
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-stream_loop', '1', '-i', jfk, '-c:a', 'libopus', '-f', 'webm', join(work, 'long.webm')]);
      webm = await readFile(join(work, 'mic.webm'));
      longWebm = await readFile(join(work, 'long.webm'));
      ts = await backend.create({ migrate: true });
      const answers = { mic: 'You heard a speech.', img: 'A line of text.', vid: 'Someone does yoga.' };
      gw = await startArenaGateway(ts.store, [{ answers }, { answers }], { maxAudioSeconds: 15 });
    }, 90_000);
    afterAll(async () => {
      await gw?.close();
      await ts?.dispose();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('decodes a WebM/Opus microphone clip to 16 kHz mono WAV, sends that to both models, and serves it by signed link', async () => {
      expect(webm.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
      const created = await call(gw, 'POST', '/v1/arena/battles', {
        key: gw.keys.submitter,
        body: {
          modality: 'audio',
          prompt: `${sampleMarker('mic')} What is said?`,
          media: { mime: 'audio/webm;codecs=opus', dataBase64: webm.toString('base64') },
        },
      });
      expect(created.status, created.text).toBe(201);
      expect(namesAModel(created.text)).toBe(false);
      const [media] = created.body.prompt.media as { kind: string; mime: string; url: string; urlExpiresAt: string }[];
      expect(media).toMatchObject({ kind: 'audio', mime: 'audio/wav' });
      const { events } = await readEvents(gw, created.body.id as string, { authorization: `Bearer ${gw.keys.submitter}` });
      expect(events.at(-1)!.data).toEqual({ votable: true });

      // Both models got the same WAV: mono, 16 kHz, as long as the recording (jfk.wav is 11.0 s).
      const sent = [0, 1].map((i) => {
        const audio = partsFor(gw, i as 0 | 1, 'mic').find((p) => p.type === 'input_audio')!;
        expect(audio.input_audio!.format).toBe('wav');
        return Buffer.from(audio.input_audio!.data, 'base64');
      });
      expect(sent[0]!.equals(sent[1]!)).toBe(true);
      const info = wavInfo(sent[0]!);
      expect(info.channels).toBe(1);
      expect(info.rateHz).toBe(16_000);
      expect(info.seconds).toBeGreaterThan(10.8);
      expect(info.seconds).toBeLessThan(11.3);

      // The link works without a header (an <audio> tag), serves those bytes, and says nosniff and sandbox.
      const res = await fetch(gw.baseUrl + media!.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/wav');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      const served = Buffer.from(await res.arrayBuffer());
      expect(served.equals(sent[0]!)).toBe(true);
      // Stored under its content name in the arena folder of the cache.
      const sha = createHash('sha256').update(served).digest('hex');
      expect((await stat(join(gw.cacheDir, 'arena-media', 'media', 'sha256', sha.slice(0, 2), `${sha}.wav`))).size).toBe(served.length);

      // A tampered link opens nothing, and still carries the headers.
      const tampered = await fetch(gw.baseUrl + media!.url.replace(/sig=[^&]+/, 'sig=AAAA'));
      expect(tampered.status).toBe(401);
      expect(((await tampered.json()) as { error: { code: string } }).error.code).toBe('EVALGATE_ERR_MEDIA_LINK_INVALID');
      expect(tampered.headers.get('x-content-type-options')).toBe('nosniff');
      // A link to one file opens no other: the same signature on another name is refused.
      const other = await fetch(gw.baseUrl + media!.url.replace('/media/prompt-0', '/media/A-0'));
      expect(other.status).toBe(401);
      await other.body?.cancel();
      // With the creator's key and no link, the file is served too; another key gets 404.
      const path = media!.url.split('?')[0]!;
      const byKey = await fetch(gw.baseUrl + path, { headers: { authorization: `Bearer ${gw.keys.submitter}` } });
      expect(byKey.status).toBe(200);
      expect(Buffer.from(await byKey.arrayBuffer()).equals(served)).toBe(true);
      const stranger = await fetch(gw.baseUrl + path, { headers: { authorization: `Bearer ${gw.keys.submitter2}` } });
      expect(stranger.status).toBe(404);
      await stranger.body?.cancel();
    });

    it('refuses a spoken prompt longer than arena.maxAudioSeconds', async () => {
      const r = await call(gw, 'POST', '/v1/arena/battles', {
        key: gw.keys.submitter,
        body: { modality: 'audio', media: { mime: 'audio/webm', dataBase64: longWebm.toString('base64') } },
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
      expect(r.body.error.message).toMatch(/longer than 15 s/);
    });

    it('reads a video upload over 256 KiB in the parse worker, and sends the models 8 sampled frames', async () => {
      const mp4 = await readFile(join(realdataDir, 'yoga.mp4'));
      expect(mp4.length).toBeGreaterThan(256 * 1024);
      const created = await call(gw, 'POST', '/v1/arena/battles', {
        key: gw.keys.submitter,
        body: { modality: 'video', prompt: `${sampleMarker('vid')} What happens?`, media: { mime: 'video/mp4', dataBase64: mp4.toString('base64') } },
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body.prompt.media[0]).toMatchObject({ kind: 'video', mime: 'video/mp4' });
      const { events } = await readEvents(gw, created.body.id as string, { authorization: `Bearer ${gw.keys.submitter}` }, 60_000);
      expect(events.at(-1)!.data).toEqual({ votable: true });
      const frames = partsFor(gw, 1, 'vid').filter((p) => p.type === 'image_url');
      expect(frames).toHaveLength(8);
      const res = await fetch(gw.baseUrl + (created.body.prompt.media[0].url as string));
      expect(Buffer.from(await res.arrayBuffer()).equals(mp4)).toBe(true);
    }, 90_000);

    it('refuses a large body with bad base64, bad JSON or a __proto__ key, read in the worker', async () => {
      const big = 'A'.repeat(400 * 1024);
      const post = (raw: string) =>
        fetch(`${gw.baseUrl}/v1/arena/battles`, {
          method: 'POST',
          headers: { authorization: `Bearer ${gw.keys.submitter}`, 'content-type': 'application/json' },
          body: raw,
        });
      const cases: [string, RegExp][] = [
        [JSON.stringify({ modality: 'video', prompt: 'x', media: { mime: 'video/mp4', dataBase64: `${big}-_==` } }), /not base64/],
        [`{"modality": "video", "prompt": "${big}"`, /not valid JSON/],
        [`{"modality": "video", "prompt": "x", "media": {"mime": "video/mp4", "dataBase64": "${big}"}, "__proto__": {"x": 1}}`, /__proto__/],
      ];
      for (const [raw, pattern] of cases) {
        const res = await post(raw);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(res.status).toBe(400);
        expect(body.error.code).toBe('EVALGATE_ERR_BAD_INPUT');
        expect(body.error.message).toMatch(pattern);
      }
    });

    it('sends an uploaded image to the models as uploaded and serves it as image/jpeg', async () => {
      const jpg = await readFile(join(realdataDir, 'en_rec.jpg'));
      const created = await call(gw, 'POST', '/v1/arena/battles', {
        key: gw.keys.submitter,
        body: { modality: 'image', prompt: `${sampleMarker('img')} Read the text.`, media: { mime: 'image/jpeg', dataBase64: jpg.toString('base64') } },
      });
      expect(created.status, created.text).toBe(201);
      await readEvents(gw, created.body.id as string, { authorization: `Bearer ${gw.keys.submitter}` });
      const image = partsFor(gw, 0, 'img').find((p) => p.type === 'image_url')!;
      expect(image.image_url!.url.startsWith('data:image/jpeg;base64,')).toBe(true);
      expect(Buffer.from(image.image_url!.url.split(',')[1]!, 'base64').equals(jpg)).toBe(true);
      const res = await fetch(gw.baseUrl + (created.body.prompt.media[0].url as string));
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await res.arrayBuffer()).equals(jpg)).toBe(true);
    });
  });
}
