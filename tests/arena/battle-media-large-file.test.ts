// Media files too large to read whole are streamed from an open FileHandle:
// arena media over 64 MiB (gateway/server/routes/arena-battle-routes.ts) and
// dataset media of any size (media-routes.ts). A FileHandle read stream sent
// by fastify was once reported to write every byte and never end. Over a real
// socket, each response here must end with exactly the file's bytes (the tail
// checked) and must also end on the server (a response with content-length
// looks complete to the client even when the server never ends it, which
// keeps the connection and app.close open), a Range request gets 206 with
// exactly the bytes asked for, and a client that hangs up mid-download (ranged
// or not) must leave no descriptor of the file open. The file is sparse: 65 MiB
// on disk costs a few KiB. The same fixture serves a small file of known bytes
// for the byte-range answers of both routes (gateway/server/byte-range.ts):
// 206, 416, Accept-Ranges, HEAD, and refusals unchanged by a Range header.
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readlink, writeFile } from 'node:fs/promises';
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
/** Known bytes at the start of the file (the rest, up to the tail, is zeros). */
const head = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7 + 3) % 256));

/** The bytes start..end (inclusive, end < 4096 or start > size - 4096) of the large file. */
function largeSlice(start: number, end: number): Buffer {
  const out = Buffer.alloc(end - start + 1);
  for (let i = start; i <= end; i++) {
    if (i < head.length) out[i - start] = head[i]!;
    else if (i >= size - tail.length) out[i - start] = tail[i - (size - tail.length)]!;
  }
  return out;
}
/** Generous: a response that has not ended by then is taken as hung. */
const hungAfterMs = 20_000;

interface Received {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: number;
  readonly last: Buffer;
  /** The first bytes of the body (up to 4 KiB). */
  readonly first: Buffer;
}

/** GET over a fresh connection; rejects when the body has not ended within {@link hungAfterMs}. */
function get(baseUrl: string, path: string, headers: Record<string, string>): Promise<Received> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers, agent: false }, (res) => {
      let bytes = 0;
      let last = Buffer.alloc(0);
      let first = Buffer.alloc(0);
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`response did not end within ${hungAfterMs} ms: ${bytes} bytes received`));
      }, hungAfterMs);
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        last = Buffer.concat([last, chunk]).subarray(-tail.length);
        if (first.length < 4096) first = Buffer.concat([first, chunk]).subarray(0, 4096);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, last, first });
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

/** A small media file of known bytes: byte i is (i * 7 + 3) mod 256. */
const known = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 256));

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
    await fh.write(head, 0, head.length, 0);
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
    // A small file of known bytes for the byte-range answers (read whole by the arena route), and a sealed dataset.
    await writeFile(join(root, 'ab', 'known.mp4'), known);
    const small = await insertArenaBattle(ts.store.db, {
      modality: 'video',
      model_a: 'zqxleft-model',
      model_b: 'zqxright-model',
      prompt_text: 'What happens?',
      prompt_media: [{ kind: 'video', mime: 'video/mp4', path: 'ab/known.mp4', sha256: 'ab', sizeBytes: known.length }] as never,
      prompt_hash: 'known-media',
      preset_dataset_id: null,
      preset_sample_key: null,
      creator_key: 'k',
    });
    for (const sealed of [false, true]) {
      const { datasetId } = await seedDataset(ts.store.db, sealed ? 'sealed-range-set' : 'range-set', [{ key: 'a', task: 'asr', reference: 'x' }], {
        rootDir: root,
        media: () => [{ kind: 'video', path: 'ab/known.mp4', sha256: 'ab' }],
      });
      await ts.store.db.updateTable('datasets').set({ sealed }).where('id', '=', datasetId).execute();
    }
    routes.smallArena = `/v1/arena/battles/${small.id}/media/prompt-0`;
    routes.smallDataset = '/v1/datasets/range-set/samples/a/media/0';
    routes.sealed = '/v1/datasets/sealed-range-set/samples/a/media/0';
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

    it(`${route} media: Range requests (a-b, open-ended, suffix) get 206 with exactly those bytes`, async () => {
      const cases: [string, number, number][] = [
        ['bytes=0-99', 0, 99],
        [`bytes=${size - 1000}-`, size - 1000, size - 1],
        ['bytes=-500', size - 500, size - 1],
        // Over the arena's read-whole limit: streamed from the FileHandle from an offset.
        ['bytes=1-', 1, size - 1],
      ];
      for (const [range, start, end] of cases) {
        const seen = serverDone.length;
        const r = await get(gw.baseUrl, routes[route]!, { ...auth(), range });
        expect(await serverFinished(seen)).toBe(true);
        expect(r.status, range).toBe(206);
        expect(r.headers['content-range'], range).toBe(`bytes ${start}-${end}/${size}`);
        expect(r.headers['content-length'], range).toBe(String(end - start + 1));
        expect(r.headers['accept-ranges']).toBe('bytes');
        expect(r.bytes, range).toBe(end - start + 1);
        expect(r.first.equals(largeSlice(start, Math.min(end, start + r.first.length - 1))), range).toBe(true);
        expect(r.last.equals(largeSlice(end - r.last.length + 1, end)), range).toBe(true);
      }
    });

    // A range over the arena's read-whole limit is streamed from an offset, as a seek in a long video is.
    for (const range of [undefined, 'bytes=1-']) {
      it.skipIf(!existsSync('/proc/self/fd'))(
        `${route} media: a client that hangs up mid-download${range ? ' of a range' : ''} leaves the file closed`,
        async () => {
          expect(await descriptorsOn(bigFile)).toBe(0);
          const { hostname, port } = new URL(gw.baseUrl);
          let openWhileDownloading = 0;
          await new Promise<void>((resolve, reject) => {
            const req = httpRequest({ host: hostname, port, path: routes[route], headers: range ? { ...auth(), range } : auth(), agent: false }, (res) => {
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
        },
      );
    }
  }

  describe('byte ranges of a small file of known bytes (the arena reads it whole)', () => {
    const admin = (): Record<string, string> => ({ authorization: `Bearer ${gw.keys.admin}` });
    const fetchMedia = async (path: string, headers: Record<string, string>, method = 'GET') => {
      const res = await fetch(gw.baseUrl + path, { method, headers });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    };
    const expectHardened = (res: Response, type: string | null = 'video/mp4'): void => {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      if (type) expect(res.headers.get('content-type')).toBe(type);
    };

    const small = { arena: 'smallArena', dataset: 'smallDataset' } as const;
    for (const route of ['arena', 'dataset'] as const) {
      it(`${route}: a GET without Range is 200, the whole file, with Accept-Ranges`, async () => {
        const { res, body } = await fetchMedia(routes[small[route]]!, admin());
        expect(res.status).toBe(200);
        expect(res.headers.get('accept-ranges')).toBe('bytes');
        expect(res.headers.get('content-length')).toBe(String(known.length));
        expect(res.headers.get('content-range')).toBeNull();
        expectHardened(res);
        expect(body.equals(known)).toBe(true);
      });

      it(`${route}: a satisfiable range is 206 with exactly those bytes`, async () => {
        const cases: [string, number, number][] = [
          ['bytes=100-199', 100, 199],
          ['bytes=0-0', 0, 0],
          ['bytes=990-', 990, 999],
          ['bytes=-10', 990, 999],
          ['bytes=-5000', 0, 999],
          ['bytes=500-99999', 500, 999],
        ];
        for (const [range, start, end] of cases) {
          const { res, body } = await fetchMedia(routes[small[route]]!, { ...admin(), range });
          expect(res.status, range).toBe(206);
          expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${known.length}`);
          expect(res.headers.get('content-length'), range).toBe(String(end - start + 1));
          expect(res.headers.get('accept-ranges')).toBe('bytes');
          expectHardened(res);
          expect(body.equals(known.subarray(start, end + 1)), range).toBe(true);
        }
      });

      it(`${route}: an unsatisfiable range is 416 with Content-Range bytes */size and no body`, async () => {
        for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
          const { res, body } = await fetchMedia(routes[small[route]]!, { ...admin(), range });
          expect(res.status, range).toBe(416);
          expect(res.headers.get('content-range')).toBe(`bytes */${known.length}`);
          expectHardened(res, null);
          expect(body.length).toBe(0);
        }
      });

      it(`${route}: a range it does not honour (several, b < a, another unit) sends the whole file`, async () => {
        for (const range of ['bytes=0-1,5-6', 'bytes=5-4', 'items=0-1', 'bytes=junk']) {
          const { res, body } = await fetchMedia(routes[small[route]]!, { ...admin(), range });
          expect(res.status, range).toBe(200);
          expect(res.headers.get('content-range')).toBeNull();
          expect(body.equals(known)).toBe(true);
        }
      });

      it(`${route}: HEAD answers the whole file's headers and no body, Range or not`, async () => {
        for (const extra of [{}, { range: 'bytes=0-9' }] as Record<string, string>[]) {
          const { res, body } = await fetchMedia(routes[small[route]]!, { ...admin(), ...extra }, 'HEAD');
          expect(res.status).toBe(200);
          expect(res.headers.get('content-length')).toBe(String(known.length));
          expect(res.headers.get('accept-ranges')).toBe('bytes');
          expectHardened(res);
          expect(body.length).toBe(0);
        }
      });
    }

    it('a refused caller is refused the same way with a Range header', async () => {
      const refusals: [string, Record<string, string>, number][] = [
        // Sealed dataset media below admin.
        [routes.sealed!, { authorization: `Bearer ${gw.keys.viewer}` }, 403],
        // No key at all.
        [routes.smallDataset!, {}, 401],
        [routes.smallArena!, {}, 401],
        // A key that neither created the battle nor is admin.
        [routes.smallArena!, { authorization: `Bearer ${gw.keys.submitter2}` }, 404],
        // A bad media-link signature.
        [`${routes.smallArena!}?expires=9999999999&sig=AAAA`, {}, 401],
        [`${routes.smallDataset!}?expires=9999999999&scope=viewer&sig=AAAA`, {}, 401],
      ];
      for (const [path, headers, status] of refusals) {
        const without = await fetchMedia(path, headers);
        expect(without.res.status, path).toBe(status);
        for (const range of ['bytes=0-9', 'bytes=5000-']) {
          const withRange = await fetchMedia(path, { ...headers, range });
          expect(withRange.res.status, `${path} ${range}`).toBe(status);
          expect(withRange.res.headers.get('content-range')).toBeNull();
          expect(withRange.res.headers.get('accept-ranges')).toBeNull();
          expect(JSON.parse(withRange.body.toString()).error).toEqual(JSON.parse(without.body.toString()).error);
        }
      }
      // Admin reads the sealed file, ranges included.
      const sealed = await fetchMedia(routes.sealed!, { ...admin(), range: 'bytes=1-2' });
      expect(sealed.res.status).toBe(206);
      expect(sealed.body.equals(known.subarray(1, 3))).toBe(true);
    });
  });
});
