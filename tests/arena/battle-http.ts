// Helpers the arena battle tests share: a gateway on a real socket with two
// scripted OpenAI-compatible models, JSON calls, and an SSE reader over fetch
// (as the /arena page reads the event stream).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import type { Store } from '../../gateway/store/open-store.js';
import { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from '../runner/scripted-openai-server.js';

/** Model ids and provider names: none of them may appear in a response before the vote. */
export const MODEL_IDS = ['zqxleft-model', 'zqxright-model'] as const;
export const PROVIDER_NAMES = ['zqxprovider-one', 'zqxprovider-two'] as const;

/** A listening gateway with two scripted models. */
export interface ArenaGateway {
  readonly app: FastifyInstance;
  readonly baseUrl: string;
  readonly servers: readonly [ScriptedServer, ScriptedServer];
  readonly cacheDir: string;
  /** A key per scope name (submitter2 is a second submitter). */
  readonly keys: Readonly<Record<'viewer' | 'submitter' | 'submitter2' | 'admin', string>>;
  close(): Promise<void>;
}

/** Starts the gateway on port 0 with `arena` config overrides and per-model scripted answers. */
export async function startArenaGateway(
  store: Store,
  scripts: readonly [Omit<ScriptedServerOptions, 'latencyMs'>, Omit<ScriptedServerOptions, 'latencyMs'>],
  arena: Record<string, unknown> = {},
  /** Other top-level config keys (e.g. `server`). */
  extra: Record<string, unknown> = {},
): Promise<ArenaGateway> {
  const servers = [await startScriptedServer(scripts[0]), await startScriptedServer(scripts[1])] as const;
  const cacheDir = await mkdtemp(join(tmpdir(), 'evalgate-arena-'));
  const models = MODEL_IDS.map((id, i) => ({ id, adapter: 'openai-chat', kind: 'generalist', baseUrl: servers[i]!.baseUrl, model: PROVIDER_NAMES[i] }));
  const config = configSchema.parse({
    ...extra,
    cacheDir,
    models,
    arena: { models: { text: [...MODEL_IDS], audio: [...MODEL_IDS], image: [...MODEL_IDS], video: [...MODEL_IDS] }, ...arena },
  });
  const app = await createApp({ config, store });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const key = async (scopes: ApiKeyScope[]): Promise<string> => (await createApiKey(store.db, { scopes })).key;
  const keys = { viewer: await key(['viewer']), submitter: await key(['submitter']), submitter2: await key(['submitter']), admin: await key(['admin']) };
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    servers,
    cacheDir,
    keys,
    close: async () => {
      await app.close();
      await Promise.all(servers.map((s) => s.close()));
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** A JSON response: status, headers, raw text (for leak checks) and parsed body. */
export interface JsonReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
  readonly body: any;
}

/** One HTTP call over the real socket. */
export async function call(
  gw: ArenaGateway,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(gw.baseUrl + path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (media)
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** One server-sent event. */
export interface SseEvent {
  readonly event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- event payloads vary by type
  readonly data: any;
}

/** Reads `GET …/events` with fetch until the server ends it; returns the events and the raw text. */
export async function readEvents(
  gw: ArenaGateway,
  battleId: string,
  headers: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ events: SseEvent[]; raw: string; contentType: string | null }> {
  const res = await fetch(`${gw.baseUrl}/v1/arena/battles/${battleId}/events`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`events answered ${res.status}: ${await res.text()}`);
  const raw = await res.text();
  const events: SseEvent[] = [];
  for (const block of raw.split('\n\n')) {
    const lines = block.split('\n');
    const ev = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
    if (ev && data !== undefined) events.push({ event: ev, data: JSON.parse(data) });
  }
  return { events, raw, contentType: res.headers.get('content-type') };
}

/** Whether a text names any model (id or provider name). */
export function namesAModel(text: string): boolean {
  return [...MODEL_IDS, ...PROVIDER_NAMES].some((n) => text.includes(n));
}
