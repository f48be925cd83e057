import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { resample } from '../../experts/audio-features/streaming-resampler.js';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { float32ToPcm16 } from '../../gateway/live/audio-format.js';
import { shutdownLiveSessions } from '../../gateway/live/live-gateway.js';
import { registerLiveModelProvider, type LiveModel } from '../../gateway/live/live-model.js';
import type { ModelRequest, ModelStreamEvent, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createApp } from '../../gateway/server/create-app.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

import { hasRealdata, realdataDir } from '../helpers/realdata.js';

export { hasRealdata, realdataDir };
export const JFK_TEXT = 'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

/** A self-signed certificate for 127.0.0.1, made with openssl. */
export async function selfSignedCert(): Promise<{ cert: Buffer; key: Buffer; certFile: string; keyFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert: await readFile(certFile), key: await readFile(keyFile), certFile, keyFile };
}

/** Reads a realdata WAV as PCM16 at the given rate. */
export async function wavPcm16(name: string, rateHz: number): Promise<Int16Array> {
  const wav = parseWav(await readFile(join(realdataDir, name)));
  const samples = wav.sampleRateHz === rateHz ? wav.samples : resample(wav.samples, wav.sampleRateHz, rateHz);
  return float32ToPcm16(samples);
}

/** Splits audio into chunks of `ms`. */
export function chunksOf(pcm: Int16Array, rateHz: number, ms: number): Int16Array[] {
  const n = Math.round((rateHz * ms) / 1000);
  const out: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += n) out.push(pcm.subarray(i, i + n));
  return out;
}

export const b64 = (pcm: Int16Array): string => Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');

/** In-process scripted model: answers after `latencyMs` with `reply(request)`, streamed as `deltas` pieces. */
export function scriptedModel(opts: { latencyMs?: number; reply?: (req: ModelRequest) => string; deltas?: number; hang?: boolean }): ModelV1 {
  const latencyMs = opts.latencyMs ?? 10;
  const reply =
    opts.reply ?? ((req) => `heard ${(req.parts.find((p) => p.type === 'audio') as { durationS?: number } | undefined)?.durationS?.toFixed(2) ?? 'nothing'} s`);
  const wait = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((res, rej) => {
      const t = setTimeout(res, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          rej(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        },
        { once: true },
      );
    });
  return {
    specificationVersion: 'v1',
    adapter: 'scripted',
    adapterVersion: '0',
    modelName: 'scripted',
    capabilities: { text: true, audio: true, image: true, multipleImages: true, video: true, streaming: true, realtime: false },
    async doGenerate(req) {
      await wait(latencyMs, req.signal);
      return { text: reply(req), warnings: [] };
    },
    async *doStream(req): AsyncIterable<ModelStreamEvent> {
      await wait(opts.hang ? 3_600_000 : latencyMs, req.signal);
      const text = reply(req);
      const n = Math.max(1, opts.deltas ?? 3);
      const size = Math.ceil(text.length / n);
      for (let i = 0; i < text.length; i += size) yield { type: 'text-delta', delta: text.slice(i, i + size) };
      yield { type: 'finish', result: { text, warnings: [] } };
    },
  };
}

/** Registers a scripted adapter under a unique name; returns the name and an unregister function. */
export function useScriptedAdapter(model: () => ModelV1): { adapter: string; dispose: () => void } {
  const adapter = `scripted-${Math.random().toString(36).slice(2, 8)}`;
  const dispose = registerLiveModelProvider(adapter, (): LiveModel => ({ kind: 'batch', model: model() }));
  return { adapter, dispose };
}

/** A gateway on port 0 over TLS with a fresh PGlite store. */
export interface TestGateway {
  readonly app: FastifyInstance;
  readonly ts: TestStore;
  /** https://127.0.0.1:port */
  readonly url: string;
  /** wss://127.0.0.1:port */
  readonly wsUrl: string;
  readonly cert: Buffer;
  key(scope: ApiKeyScope): Promise<string>;
  close(): Promise<void>;
}

export async function startGateway(opts: {
  models: EvalgateConfig['models'];
  auth?: boolean;
  tls?: boolean;
  live?: EvalgateConfig['live'];
  /** The gateway's cache folder (spoken replies are stored under it); the config default otherwise. */
  cacheDir?: string;
}): Promise<TestGateway> {
  const ts = await createPgliteTestStore();
  const config = configSchema.parse({
    server: { host: '127.0.0.1', port: 0, auth: opts.auth ?? true },
    logLevel: 'silent',
    models: opts.models,
    ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}),
    // Each test gateway journals into its own folder: never into the working tree, never another run's orphans.
    live: { journalDir: await mkdtemp(join(tmpdir(), 'evalgate-journal-')), ...opts.live },
  });
  const tls = opts.tls === false ? undefined : await selfSignedCert();
  const app = await createApp({ config, store: ts.store, ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}) });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    ts,
    url: address,
    wsUrl: address.replace(/^http/, 'ws'),
    cert: tls?.cert ?? Buffer.alloc(0),
    key: async (scope) => (await createApiKey(ts.store.db, { scopes: [scope] })).key,
    close: async () => {
      await shutdownLiveSessions(app);
      await app.close();
      await ts.dispose();
    },
  };
}

/** Inserts a one-sample ASR dataset and returns its name. */
export async function insertAsrSample(gw: TestGateway, opts: { name: string; sample: string; reference: string; lang?: string }): Promise<void> {
  const db = gw.ts.store.db;
  const ds = await db
    .insertInto('datasets')
    .values({ name: opts.name, manifest_digest: 'd', merkle_root: 'm', root_dir: realdataDir })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('samples')
    .values({ dataset_id: ds.id, sample_key: opts.sample, task: 'asr', reference: JSON.stringify(opts.reference), lang: opts.lang ?? 'en', sample_digest: 's' })
    .execute();
}

/** Polls until `check` passes (real async state; no wall-clock assertions). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A server event as a raw client sees it. */
export type Msg = { type: string; error?: { code: string; type: string; message: string }; code?: string; [k: string]: unknown };

/** A raw WebSocket client that records messages and the close code; resolves after the greeting. */
export async function rawClient(
  gw: TestGateway,
  path: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; msgs: Msg[]; closed: Promise<number>; send(m: unknown): void }> {
  const ws = new WebSocket(`${gw.wsUrl}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers }, ca: gw.cert.length ? gw.cert : undefined });
  const msgs: Msg[] = [];
  ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as Msg));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await eventually(() => msgs.find((m) => m.type === 'session.created' || m.type === 'session.ready'), 'greeting');
  return { ws, msgs, closed, send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}
