// Media files too large to read whole are streamed from an open FileHandle:
// arena media over 64 MiB (gateway/server/routes/arena-battle-routes.ts) and
// dataset media of any size (media-routes.ts). A FileHandle read stream sent
// by fastify was once reported to write every byte and never end. Over a real
// socket, each response here must end with exactly the file's bytes (the tail
// checked) and must also end on the server (a response with content-length
// looks complete to the client even when the server never ends it, which
// keeps the connection and app.close open), a Range request must still get a complete, consistent answer, and
// a client that hangs up mid-download must leave no descriptor of the file
// open. The file is sparse: 65 MiB on disk costs a few KiB.
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readlink } from 'node:fs/promises';
import { request as httpRequest, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertArenaBattle } from '../../gateway/store/arena-battle-repo.js';
import { seedDataset } from '../compare/seed-runs.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';
import { startArenaGateway, type ArenaGateway } from './battle-http.js';

/** Just over the arena's 64 MiB read-whole limit. */
const size = 65 * 1024 * 1024;
const tail = Buffer.from('END-OF-LARGE-MEDIA');
/** Generous: a response that has not ended by then is taken as hung. */
const hungAfterMs = 20_000;

interface Received {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: number;
  readonly last: Buffer;
}

/** GET over a fresh connection; rejects when the body has not ended within {@link hungAfterMs}. */
function get(baseUrl: string, path: string, headers: Record<string, string>): Promise<Received> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers, agent: false }, (res) => {
      let bytes = 0;
      let last = Buffer.alloc(0);
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`response did not end within ${hungAfterMs} ms: ${bytes} bytes received`));
      }, hungAfterMs);
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        last = Buffer.concat([last, chunk]).subarray(-tail.length);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, last });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `true` once the server has finished a response, `false` when its connection closed first. */
const serverDone: Promise<boolean>[] = [];

/** Whether the server finished the response to the request made after `count` responses were seen. */
async function serverFinished(count: number): Promise<boolean | 'not finished'> {
  expect(serverDone.length).toBe(count + 1);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'not finished'>((resolve) => (timer = setTimeout(() => resolve('not finished'), hungAfterMs)));
  try {
    return await Promise.race([serverDone[count]!, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** How many of this process's descriptors are open on `file`. */
async function descriptorsOn(file: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target === file) n++;
  }
  return n;
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('media files over the read-whole limit, streamed over a real socket', () => {
  let ts: TestStore;
  let gw: ArenaGateway;
  let bigFile = '';
  const routes: Record<string, string> = {};

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    gw = await startArenaGateway(ts.store, [{ answers: {} }, { answers: {} }]);
    gw.app.server.on('request', (_req, res: ServerResponse) => {
      serverDone.push(
        new Promise((resolve) => {
          res.once('finish', () => resolve(true));
          res.once('close', () => resolve(res.writableFinished));
        }),
      );
    });
    // One sparse file, in the arena folder, served by both routes (the dataset's root is that folder too).
    const root = join(gw.cacheDir, 'arena-media');
    await mkdir(join(root, 'ab'), { recursive: true });
    bigFile = join(root, 'ab', 'large.mp4');
    const fh = await open(bigFile, 'w');
    await fh.truncate(size);
    await fh.write(tail, 0, tail.length, size - tail.length);
    await fh.close();
    const battle = await insertArenaBattle(ts.store.db, {
      modality: 'video',
      model_a: 'zqxleft-model',
      model_b: 'zqxright-model',
      prompt_text: 'What happens?',
      prompt_media: [{ kind: 'video', mime: 'video/mp4', path: 'ab/large.mp4', sha256: 'ab', sizeBytes: size }] as never,
      prompt_hash: 'large-media',
      preset_dataset_id: null,
      preset_sample_key: null,
      creator_key: 'k',
    });
    await seedDataset(ts.store.db, 'large-set', [{ key: 'a', task: 'asr', reference: 'x' }], {
      rootDir: root,
      media: () => [{ kind: 'video', path: 'ab/large.mp4', sha256: 'ab' }],
    });
    routes.arena = `/v1/arena/battles/${battle.id}/media/prompt-0`;
    routes.dataset = '/v1/datasets/large-set/samples/a/media/0';
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await ts?.dispose();
  });

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${gw.keys.admin}` });

  for (const route of ['arena', 'dataset']) {
    it(`${route} media: a full GET ends with every byte, the last ones included`, async () => {
      for (let i = 0; i < 3; i++) {
        const seen = serverDone.length;
        const r = await get(gw.baseUrl, routes[route]!, auth());
        expect(await serverFinished(seen)).toBe(true);
        expect(r.status).toBe(200);
        expect(r.headers['content-length']).toBe(String(size));
        expect(r.bytes).toBe(size);
        expect(r.last.equals(tail)).toBe(true);
      }
    });

    it(`${route} media: Range requests (a-b, open-ended, suffix) end with a complete, consistent body`, async () => {
      for (const range of ['bytes=0-99', `bytes=${size - 1000}-`, 'bytes=-500']) {
        const seen = serverDone.length;
        const r = await get(gw.baseUrl, routes[route]!, { ...auth(), range });
        expect(await serverFinished(seen)).toBe(true);
        if (r.status === 206) {
          const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(r.headers['content-range']));
          expect(m, `content-range for ${range}`).not.toBeNull();
          expect(Number(m![3])).toBe(size);
          expect(r.bytes).toBe(Number(m![2]) - Number(m![1]) + 1);
        } else {
          // Range is optional for a server (RFC 9110 §14.2): ignored, the whole file.
          expect(r.status).toBe(200);
          expect(r.bytes).toBe(size);
          expect(r.last.equals(tail)).toBe(true);
        }
      }
    });

    it.skipIf(!existsSync('/proc/self/fd'))(`${route} media: a client that hangs up mid-download leaves the file closed`, async () => {
      expect(await descriptorsOn(bigFile)).toBe(0);
      const { hostname, port } = new URL(gw.baseUrl);
      let openWhileDownloading = 0;
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ host: hostname, port, path: routes[route], headers: auth(), agent: false }, (res) => {
          res.once('data', () => {
            // Stop reading: the server's stream is held by backpressure with the file open.
            res.pause();
            void descriptorsOn(bigFile).then((n) => {
              openWhileDownloading = n;
              req.destroy();
              resolve();
            }, reject);
          });
        });
        req.on('error', () => undefined);
        req.end();
      });
      // The check below can only pass because the server closed the file, not because it never opened it.
      expect(openWhileDownloading).toBe(1);
      expect(await waitFor(async () => (await descriptorsOn(bigFile)) === 0, 10_000)).toBe(true);
    });
  }
});
