import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { errorRegistry } from '../../gateway/errors.js';
import { shutdownLiveSessions } from '../../gateway/live/live-gateway.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createApp } from '../../gateway/server/create-app.js';
import type { TestStore } from '../helpers/test-stores.js';
import { fastTestStore } from '../server/fast-test-store.js';
import { scriptedModel, useScriptedAdapter } from '../live/live-kit.js';
import { captureLog } from '../server/log-capture.js';
import { anyJson, base64Bytes, documentedCloseCodes, fuzzParams, isDocumentedCode, watchProcess } from './fuzz-kit.js';

/** What one fuzzed frame is: a text frame (JSON or not) or a binary frame. */
type Frame = { readonly text: string } | { readonly binary: Uint8Array };

const asText = (v: unknown): Frame => ({ text: JSON.stringify(v) });

/** A message built from `type` plus a few fields from the protocol's vocabulary, with values of any kind. */
function vocabularyMessage(types: readonly string[], fields: readonly string[]): fc.Arbitrary<Frame> {
  return fc
    .tuple(fc.constantFrom(...types), fc.dictionary(fc.constantFrom(...fields), anyJson, { maxKeys: 3 }))
    .map(([type, extra]) => asText({ ...extra, type }));
}

/** Even-length PCM (a valid frame) or any bytes (odd lengths are a protocol error). */
const pcmFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 2400 }).map((n) => ({ binary: new Uint8Array(n * 2) })), weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 4096 }).map((b) => ({ binary: b })), weight: 1 },
);

const rawText: fc.Arbitrary<Frame> = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => ({ text })),
  fc.constantFrom('{', '[]', 'null', '42', '"type"', '{"type":5}', '{"type":null}', '{"type":"' + 'x'.repeat(300) + '"}').map((text) => ({ text })),
);

// ---- native protocol (/v1/stream, docs/protocol.md) ----
const nativeTypes = ['configure', 'commit', 'respond', 'clear', 'cancel', 'text', 'image', 'video', 'end', 'bogus', ''];
const nativeFields = ['format', 'turnDetection', 'sample', 'respond', 'text', 'mimeType', 'data', 'timestampS', 'dataset', 'question', 'responseId'];
const nativeConfigure: fc.Arbitrary<Frame> = fc
  .record(
    {
      format: fc.oneof(
        fc.record({ encoding: fc.constantFrom('pcm16', 'mulaw', 7), sampleRateHz: fc.constantFrom(16000, 24000, 8000, 0, -1, 1.5, '16000') }),
        anyJson,
      ),
      turnDetection: fc.oneof(
        fc.constantFrom('manual', 'server_vad', null, 'nope'),
        fc.record(
          { type: fc.constantFrom('server_vad', 'semantic_vad', 'x'), threshold: fc.double(), silenceDurationMs: fc.integer(), prefixPaddingMs: fc.integer() },
          { requiredKeys: ['type'] },
        ),
      ),
    },
    { requiredKeys: [] },
  )
  .map((r) => asText({ type: 'configure', ...r }));
const nativeImage: fc.Arbitrary<Frame> = fc
  .record({ mimeType: fc.constantFrom('image/png', 'image/jpeg', 'text/plain', 'image/'), data: fc.oneof(base64Bytes(256), fc.string({ maxLength: 40 })) })
  .map((r) => asText({ type: 'image', ...r }));
const nativeFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: nativeConfigure, weight: 2 },
  {
    arbitrary: vocabularyMessage(
      nativeTypes.filter((t) => t !== 'end'),
      nativeFields,
    ),
    weight: 4,
  },
  { arbitrary: fc.constantFrom(asText({ type: 'commit' }), asText({ type: 'respond' }), asText({ type: 'text', text: 'hello' })), weight: 2 },
  { arbitrary: nativeImage, weight: 1 },
  { arbitrary: pcmFrame, weight: 3 },
  { arbitrary: rawText, weight: 1 },
);

/** A well-formed turn, so sequences also reach responses and not only errors. */
const nativeTurn: fc.Arbitrary<Frame[]> = fc
  .integer({ min: 1, max: 4800 })
  .map((n) => [asText({ type: 'configure' }), { binary: new Uint8Array(n * 2) }, asText({ type: 'commit' })]);
const nativeSequence: fc.Arbitrary<Frame[]> = fc
  .array(fc.oneof({ arbitrary: nativeFrame.map((f) => [f]), weight: 5 }, { arbitrary: nativeTurn, weight: 1 }), { minLength: 1, maxLength: 8 })
  .map((chunks) => chunks.flat());

// ---- OpenAI-Realtime-compatible protocol (/v1/realtime, docs/realtime.md) ----
const realtimeTypes = [
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.delete',
  'conversation.item.truncate',
  'conversation.item.retrieve',
  'output_audio_buffer.clear',
  'transcription_session.update',
  'response.create',
  'response.cancel',
  'bogus.event',
];
const realtimeFields = ['event_id', 'session', 'audio', 'item', 'response', 'item_id', 'response_id', 'previous_item_id'];
const realtimeSession: fc.Arbitrary<Frame> = fc
  .record(
    {
      type: fc.constantFrom('realtime', 'transcription', 5),
      input_audio_format: fc.constantFrom('pcm16', 'g711_ulaw', 'x', null),
      turn_detection: fc.oneof(
        fc.constant(null),
        fc.record(
          { type: fc.constantFrom('server_vad', 'semantic_vad', 'x'), threshold: fc.double(), silence_duration_ms: fc.integer() },
          { requiredKeys: ['type'] },
        ),
        anyJson,
      ),
      instructions: fc.oneof(fc.string({ maxLength: 20 }), anyJson),
      audio: fc.oneof(
        fc.record({
          input: fc.record({ format: fc.record({ type: fc.constantFrom('audio/pcm', 'audio/pcmu', 1), rate: fc.constantFrom(24000, 16000, 44100, 0, -5) }) }),
        }),
        anyJson,
      ),
      evalgate: fc.oneof(
        fc.record({ sample_rate_hz: fc.constantFrom(16000, 24000, 1, 'x'), dataset: anyJson, sample: anyJson }, { requiredKeys: [] }),
        anyJson,
      ),
    },
    { requiredKeys: [] },
  )
  .map((session) => asText({ type: 'session.update', session }));
const realtimeAppend: fc.Arbitrary<Frame> = fc
  .oneof(
    fc.integer({ min: 1, max: 2400 }).map((n) => Buffer.alloc(n * 2).toString('base64')),
    base64Bytes(512),
    fc.string({ maxLength: 30 }),
    anyJson,
  )
  .map((audio) => asText({ type: 'input_audio_buffer.append', audio }));
const realtimeItem: fc.Arbitrary<Frame> = fc
  .record(
    {
      id: fc.oneof(fc.string({ maxLength: 70 }), anyJson),
      type: fc.constantFrom('message', 'function_call', 3),
      role: fc.constantFrom('user', 'system', 'assistant', 7),
      content: fc.oneof(
        fc.array(
          fc.oneof(
            fc.record({ type: fc.constant('input_text'), text: fc.oneof(fc.string({ maxLength: 20 }), anyJson) }),
            fc.record({
              type: fc.constant('input_image'),
              image_url: fc.oneof(
                base64Bytes(128).map((d) => `data:image/png;base64,${d}`),
                fc.string({ maxLength: 30 }),
                anyJson,
              ),
            }),
            fc.record({ type: fc.constant('input_audio'), audio: fc.oneof(base64Bytes(128), anyJson) }),
            anyJson,
          ),
          { maxLength: 3 },
        ),
        anyJson,
      ),
    },
    { requiredKeys: [] },
  )
  .map((item) => asText({ type: 'conversation.item.create', item }));
const realtimeFrame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: realtimeSession, weight: 2 },
  { arbitrary: realtimeAppend, weight: 3 },
  { arbitrary: realtimeItem, weight: 2 },
  { arbitrary: vocabularyMessage(realtimeTypes, realtimeFields), weight: 3 },
  {
    arbitrary: fc.constantFrom(asText({ type: 'input_audio_buffer.commit' }), asText({ type: 'response.create' }), asText({ type: 'response.cancel' })),
    weight: 2,
  },
  { arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ binary: b })), weight: 1 },
  { arbitrary: rawText, weight: 1 },
);

const realtimeTurn: fc.Arbitrary<Frame[]> = fc
  .integer({ min: 1, max: 4800 })
  .map((n) => [
    asText({ type: 'session.update', session: { turn_detection: null } }),
    asText({ type: 'input_audio_buffer.append', audio: Buffer.alloc(n * 2).toString('base64') }),
    asText({ type: 'input_audio_buffer.commit' }),
    asText({ type: 'response.create' }),
  ]);
const realtimeSequence: fc.Arbitrary<Frame[]> = fc
  .array(fc.oneof({ arbitrary: realtimeFrame.map((f) => [f]), weight: 5 }, { arbitrary: realtimeTurn, weight: 1 }), { minLength: 1, maxLength: 8 })
  .map((chunks) => chunks.flat());

/** What a fuzzed session did, as the client saw it. */
interface SessionOutcome {
  readonly opened: boolean;
  readonly httpStatus?: number;
  readonly closeCode: number;
  readonly messages: readonly unknown[];
  readonly nonJson: readonly string[];
}

describe('fuzzing the gateway: both WebSocket protocols over real sockets and every REST route', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let base: string;
  let adminKey: string;
  let submitterKey: string;
  let scripted: ReturnType<typeof useScriptedAdapter>;
  let watcher: ReturnType<typeof watchProcess>;
  const log = captureLog();

  beforeAll(async () => {
    watcher = watchProcess();
    scripted = useScriptedAdapter(() => scriptedModel({ latencyMs: 5, deltas: 2 }));
    ts = await fastTestStore();
    const config = configSchema.parse({
      server: { host: '127.0.0.1', port: 0, auth: true },
      models: [{ id: 'm', adapter: scripted.adapter, kind: 'specialist', options: {} }],
      // Sessions end quickly so the fuzzer is bounded by its inputs, not by drains.
      live: { maxSessionsPerKey: 256, maxSessionsTotal: 512, shutdownDrainMs: 2000, resumeGraceMs: 200, maxFrameBytes: 64 * 1024 },
    });
    app = await createApp({ config, store: ts.store, logger: { level: 'error', stream: log.stream } });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    adminKey = (await createApiKey(ts.store.db, { scopes: ['admin'] })).key;
    submitterKey = (await createApiKey(ts.store.db, { scopes: ['submitter'] })).key;
    // A little real data, so routes with ids do real work.
    const db = ts.store.db;
    await db.insertInto('models').values({ id: 'm', adapter: 'openai-chat', kind: 'generalist', model: null, base_url: null }).execute();
    const ds = await db
      .insertInto('datasets')
      .values({ name: 'fz', manifest_digest: 'd', merkle_root: 'r', root_dir: '/nonexistent' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('samples')
      .values({ dataset_id: ds.id, sample_key: 's1', task: 'asr', reference: JSON.stringify('hello world'), sample_digest: 'x' })
      .execute();
    await db
      .insertInto('runs')
      .values({ model_id: 'm', dataset_id: ds.id, task: 'asr', config: JSON.stringify({}), config_hash: 'h', evalgate_version: '0', status: 'completed' })
      .execute();
  }, 60_000);

  afterAll(async () => {
    if (app) {
      await shutdownLiveSessions(app);
      await app.close();
    }
    await ts?.dispose();
    scripted?.dispose();
    watcher?.stop();
  });

  /** Opens a socket, sends the frames, ends the session and reports what came back. */
  async function runSession(path: string, frames: readonly Frame[], finish: Frame | undefined, headers: Record<string, string> = {}): Promise<SessionOutcome> {
    const messages: unknown[] = [];
    const nonJson: string[] = [];
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, { headers: { authorization: `Bearer ${submitterKey}`, ...headers } });
    ws.on('message', (d, isBinary) => {
      const s = isBinary ? `<binary ${(d as Buffer).length}>` : d.toString();
      try {
        messages.push(JSON.parse(s));
      } catch {
        nonJson.push(s.slice(0, 200));
      }
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const opened = await new Promise<{ ok: boolean; status?: number }>((resolve) => {
      ws.once('open', () => resolve({ ok: true }));
      ws.once('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode }));
      ws.once('error', () => resolve({ ok: false }));
    });
    if (!opened.ok) {
      ws.terminate();
      return { opened: false, httpStatus: opened.status, closeCode: await closed, messages, nonJson };
    }
    // The greeting first, so the session exists before input arrives.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (messages.length > 0 || ws.readyState !== WebSocket.OPEN) {
          clearInterval(t);
          resolve();
        }
      }, 2);
    });
    const send = (f: Frame): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send('text' in f ? f.text : f.binary, { binary: !('text' in f) }, () => undefined);
    };
    for (const f of frames) send(f);
    if (finish) send(finish);
    // A protocol end (`end`) closes from the server side; otherwise close as a client would.
    const deadline = setTimeout(() => ws.close(1000), finish ? 4000 : 150);
    const closeCode = await closed;
    clearTimeout(deadline);
    return { opened: true, closeCode, messages, nonJson };
  }

  /** What the fuzzer reached, per protocol: proof that it went past the greeting. */
  const reached = { native: new Set<string>(), realtime: new Set<string>() };

  function checkOutcome(o: SessionOutcome, protocol: 'native' | 'realtime'): void {
    reached[protocol].add(`close ${o.closeCode}`);
    for (const m of o.messages as { type?: unknown; code?: unknown; error?: { code?: unknown } }[]) {
      reached[protocol].add(String(m.type));
      if (m.type === 'error') reached[protocol].add(String(protocol === 'native' ? m.code : m.error?.code));
    }
    expect(o.opened, `upgrade refused with HTTP ${o.httpStatus}`).toBe(true);
    expect(o.nonJson).toEqual([]);
    expect(documentedCloseCodes.has(o.closeCode), `close code ${o.closeCode}`).toBe(true);
    for (const m of o.messages as { type?: unknown; code?: unknown; error?: { code?: unknown } }[]) {
      expect(typeof m.type).toBe('string');
      if (m.type === 'error') {
        const code = protocol === 'native' ? m.code : m.error?.code;
        expect(isDocumentedCode(code), `error code ${String(code)} in ${JSON.stringify(m).slice(0, 300)}`).toBe(true);
      }
    }
  }

  async function healthy(): Promise<void> {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
  }

  it('native protocol: any frame sequence ends in documented errors and close codes', async () => {
    await fc.assert(
      fc.asyncProperty(nativeSequence, fc.boolean(), async (frames, configureFirst) => {
        const seq = configureFirst ? [asText({ type: 'configure' }), ...frames] : frames;
        const o = await runSession('/v1/stream?model=m', seq, asText({ type: 'end' }));
        checkOutcome(o, 'native');
        // `end` waits for pending responses: each one started has its final before the summary.
        const msgs = o.messages as { type: string; responseId?: string }[];
        const summaryAt = msgs.findIndex((m) => m.type === 'session.summary');
        if (summaryAt >= 0) {
          const finals = new Set(
            msgs
              .slice(0, summaryAt)
              .filter((m) => m.type === 'response.final')
              .map((m) => m.responseId),
          );
          for (const m of msgs.filter((x) => x.type === 'response.started')) expect(finals, `no final for ${m.responseId}`).toContain(m.responseId);
        }
      }),
      fuzzParams(40),
    );
    await healthy();
    console.log('native reached', [...reached.native].sort().join(' '));
    for (const r of ['response.final', 'session.summary', 'configured', 'close 1000', 'close 1007', 'EVALGATE_ERR_WS_OUT_OF_ORDER'])
      expect(reached.native, r).toContain(r);
  });

  it('realtime protocol: any event sequence ends in documented errors and close codes', async () => {
    await fc.assert(
      fc.asyncProperty(realtimeSequence, fc.boolean(), async (frames, beta) => {
        // Both event-name flavours: GA by default, beta with the OpenAI-Beta header.
        const o = await runSession('/v1/realtime?model=m', frames, undefined, beta ? { 'openai-beta': 'realtime=v1' } : {});
        checkOutcome(o, 'realtime');
      }),
      fuzzParams(40),
    );
    await healthy();
    console.log('realtime reached', [...reached.realtime].sort().join(' '));
    for (const r of ['response.done', 'session.updated', 'conversation.item.added', 'close 1000', 'EVALGATE_ERR_WS_BAD_AUDIO'])
      expect(reached.realtime, r).toContain(r);
  });

  it('REST: any method, query string and body on every route answers 2xx or a documented error, never 5xx', async () => {
    const routes = [
      ...new Set(
        app.routeList.map((r) => {
          const [, path] = r.split(' ');
          if (path === undefined) throw new Error(`route "${r}" is not "METHOD /path"`);
          return path;
        }),
      ),
    ];
    expect(routes.length).toBeGreaterThan(8);
    // expires, scope and sig: a signed media link's (docs/security.md#signed-media-links).
    const params = [
      'limit',
      'offset',
      'model',
      'task',
      'status',
      'runs',
      'by',
      'samples',
      'iterations',
      'seed',
      'dataset',
      'freeze',
      'session',
      'kind',
      'expires',
      'scope',
      'sig',
      'x',
    ];
    const value = fc.oneof(
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
      fc.integer({ min: -5, max: 50 }).map(String),
      fc.constantFrom(
        '',
        '-1',
        '0',
        '1e309',
        'NaN',
        '9'.repeat(30),
        'a,b,a',
        '%zz',
        '%00',
        'tag',
        'lang',
        'task',
        '2026-01-01T00:00:00Z',
        'not-a-date',
        'admin',
      ),
    );
    const query = fc
      .array(fc.tuple(fc.constantFrom(...params), value), { maxLength: 5 })
      .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
    const pathParam = fc.oneof(
      fc.constantFrom('1', '0', 'fz', 's1', 'm', '00000000-0000-0000-0000-000000000000', '..', '%2e%2e', '-1', '99999999999999999999'),
      fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
    );
    const statuses = new Set<number>();
    const request = fc.record({
      route: fc.constantFrom(...routes),
      ids: fc.array(pathParam, { minLength: 4, maxLength: 4 }),
      query,
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      contentType: fc.constantFrom(
        undefined,
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'x/y',
      ),
      body: fc.oneof(
        fc.constant(undefined),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 60 }),
      ),
      key: fc.constantFrom('admin', 'admin', 'admin', 'submitter', 'none'),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        const url = r.route.replace(/:[a-z]+/gi, () => r.ids[i++] ?? 'x') + r.query;
        const headers: Record<string, string> = {};
        if (r.key === 'admin') headers.authorization = `Bearer ${adminKey}`;
        if (r.key === 'submitter') headers.authorization = `Bearer ${submitterKey}`;
        if (r.contentType) headers['content-type'] = r.contentType;
        const res = await app.inject({
          method: r.method as 'GET',
          url,
          headers,
          ...(r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD' ? { payload: r.body } : {}),
        });
        statuses.add(res.statusCode);
        expect(res.statusCode, `${r.method} ${url} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400 && r.method !== 'HEAD') {
          const body = res.json<{ error?: { code?: string; message?: string } }>();
          expect(isDocumentedCode(body.error?.code), `${r.method} ${url}: ${res.body.slice(0, 300)}`).toBe(true);
          expect(errorRegistry[body.error!.code as keyof typeof errorRegistry].httpStatus).toBe(res.statusCode);
        }
      }),
      fuzzParams(200),
    );
    // Positive control: the generator reached working requests as well as refusals.
    expect(
      [...statuses].some((c) => c >= 200 && c < 300),
      `statuses seen: ${[...statuses].join(' ')}`,
    ).toBe(true);
    expect([...statuses].some((c) => c >= 400 && c < 500)).toBe(true);
    await healthy();
  });

  it('nothing crashed: no unhandled rejection, no uncaught exception, no error-level log line', async () => {
    // Let sessions closed by the last property finish their writes.
    await new Promise((r) => setTimeout(r, 300));
    await healthy();
    expect(watcher.fired()).toEqual([]);
    const errors = log.lines().filter((l) => l.level >= 50);
    expect(errors.map((l) => `${l.msg}: ${JSON.stringify(l.err ?? {}).slice(0, 300)}`)).toEqual([]);
  });
});
