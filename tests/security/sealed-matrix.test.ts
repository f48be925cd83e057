import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { scriptedModel, startGateway, useScriptedAdapter, type TestGateway } from '../live/live-kit.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import type { ScriptedRealtimeServer } from '../models/servers/scripted-realtime-server.js';
import { routeFillers, type DatasetFixture } from './route-fillers.js';
import { SPOKEN_EXPERT, SPOKEN_HEARD, SPOKEN_MODEL, SPOKEN_SELF, startSpokenUpstream } from './spoken-upstream.js';

/**
 * The sealed-dataset promise, checked on every route of the server's own
 * route list and both WebSocket endpoints, for every scope, on a sealed and
 * an open dataset. Content-based: references carry planted markers that must
 * never reach a non-admin caller; per-sample scores and aggregates over
 * fewer than `sealed.minSliceSize` samples of the sealed set must not either.
 * Each dataset also has judged runs (`evalgate judge`'s `judge-score`), whose
 * predictions are per-sample scores and whose failed replies can quote the
 * reference: every route is asked about them too.
 * Each WebSocket endpoint is driven with a model answering in text and with
 * one answering in speech (heard by a local ASR expert, `?asr_model=`): the
 * spoken turn's events (audio deltas, speech measures) get the same checks,
 * and no server path of its stored audio reaches a caller below admin.
 */

const MIN_SLICE = 10;
/** The sample (index) spoken-answer turns are bound to. */
const SPOKEN_SAMPLE = 1;
const scopes = ['none', 'viewer', 'submitter', 'evaluator', 'admin'] as const;
type Scope = (typeof scopes)[number];
// The model answers without the marker word, so transcripts (which viewers may read) never carry it.
const ANSWER = 'kumquat lantern';
const refOf = (marker: string, i: number): string => `kumquat ${marker}${String(i).padStart(2, '0')} lantern`;
const markers = { sealed: 'ZQXREFSEALED', open: 'ZQXREFOPEN' } as const;
// Every WebSocket route is driven once per way a model can answer.
const voices = ['text', 'spoken'] as const;
type Voice = (typeof voices)[number];
// The spoken sample's reference holds the marker and the words the expert hears ("HELLO WORLD", scored as written),
// padded so that the turn's WER is a fraction of its own on each dataset (sealed 5/7, open 7/9): the matrix looks for
// it, at any precision, in every spoken event and every body that shows a spoken session to a scope too low for it.
const spokenPad = { sealed: 4, open: 6 } as const;
const spokenRefOf = (kind: 'sealed' | 'open'): string => ['HELLO', `${markers[kind]}SPOKEN`, 'WORLD', ...Array<string>(spokenPad[kind]).fill('HOLD')].join(' ');
/** Per-utterance scores of a live turn: admin keys on a sealed set, evaluator keys and up on an open one (on sockets and session pages). */
const liveScoresAllowed = (scope: Scope, sealed: boolean): boolean => scope === 'admin' || (!sealed && scope === 'evaluator');
// Timings vary from run to run and are rounded to 2–4 decimals: a score is looked for there only at full precision.
const timingKey = /(ms|Ms|seconds|Seconds|_s|real_time_factor|realTimeFactor|rtf|p\d\d)$/;
// vqa human answers are references too: planted in every sample's human_answers, they must never reach a lower scope either.
const humanMarkers = { sealed: 'ZQXHUMSEALED', open: 'ZQXHUMOPEN' } as const;
// Planted in each dataset's media file: a sealed set's media goes to admin keys only, by key or by signed link.
const mediaMarkers = { sealed: 'ZQXMEDIASEALED', open: 'ZQXMEDIAOPEN' } as const;
// A judged run's predictions are the judge's per-sample scores. Written with a plus sign (the judge-score scorer
// reads them as numbers all the same), so only the prediction text shows them: an aggregate, even over one
// sample of an open set, prints the number without it.
const judgeMarks = ['+6.283185', '+1.414213'] as const;
/** What `evalgate judge` records as a judged run's `config` (gateway/judge/execute-judging.ts), judge fields that compare reads included. */
const judgeConfig = (sourceRunId: string) => ({
  kind: 'judge-score',
  sourceRunId,
  sourceTask: 'asr',
  judge: { rubric: 'matrix', modelId: 'judge-m', promptTemplate: 'Rate {answer}', temperature: 0, samples: 1, parseRule: 'number' },
});

type Json = unknown;

/** Per-sample details a scorer emits into compare rows: S/D/I counts, extracted letters, exact matches. */
const perSampleDetail = /^(S=\d+ D=\d+ I=\d+|extracted [A-Z]|exact|unanswered)$/;

/**
 * Every violation of the sealed policy that `body` shows for a non-admin
 * caller. Objects that name an open dataset (boards, kind rows, run rows)
 * are skipped: lists such as /v1/runs mix both datasets.
 */
function sealedViolations(body: Json, open: { name: string; id: string }, path = '$'): string[] {
  const out: string[] = [];
  const containsEstimate = (v: Json): boolean =>
    v !== null && typeof v === 'object' && (Object.hasOwn(v, 'estimate') || Object.values(v as object).some(containsEstimate));
  if (Array.isArray(body)) body.forEach((v, i) => out.push(...sealedViolations(v, open, `${path}[${i}]`)));
  else if (body !== null && typeof body === 'object') {
    const o = body as Record<string, Json>;
    if (o.dataset === open.name || o.dataset_id === open.id) return out;
    if (Array.isArray(o.disagreements) && o.disagreements.length > 0) out.push(`${path}.disagreements has ${o.disagreements.length} per-sample rows`);
    if (o.scores !== undefined && o.scores !== null) out.push(`${path}.scores is present`);
    if (typeof o.score === 'number') out.push(`${path}.score is a per-sample score`);
    for (const sizeKey of ['n', 'sliceSamples']) {
      const n = o[sizeKey];
      if (typeof n === 'number' && n < MIN_SLICE && containsEstimate(o)) out.push(`${path} shows an aggregate over ${sizeKey}=${n} samples`);
    }
    const counts = o.counts as { ok?: number } | undefined;
    if (counts && typeof counts.ok === 'number' && counts.ok < MIN_SLICE && o.metrics != null) out.push(`${path}.metrics over ${counts.ok} samples`);
    for (const [k, v] of Object.entries(o)) out.push(...sealedViolations(v, open, `${path}.${k}`));
  } else if (typeof body === 'string' && perSampleDetail.test(body)) out.push(`${path} = "${body}" is a per-sample detail`);
  return out;
}

/** Every `url` a response hands out (signed media links): the matrix follows each without a header, as a browser would. */
function linksIn(body: Json): string[] {
  if (Array.isArray(body)) return body.flatMap(linksIn);
  if (body === null || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, Json>).flatMap(([k, v]) => (k === 'url' && typeof v === 'string' && v.startsWith('/') ? [v] : linksIn(v)));
}

function parse(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Where `body` shows one of `scores` (a live turn's fractional per-sample scores): a number equal to one of them at
 * the precision the number is written with (3 decimals or more), or exactly where the key names a timing.
 */
function scoreValuesIn(body: string, scores: readonly number[], path = '$'): string[] {
  const near = (written: string, v: number): boolean => {
    const decimals = /\.(\d+)$/.exec(written)?.[1]?.length ?? 0;
    return decimals >= 3 && Math.abs(Number(written) - v) <= 0.5 * 10 ** -decimals + 1e-12;
  };
  const json = parse(body);
  if (typeof json === 'string') {
    // Not JSON (pages, Prometheus text): every decimal number in it.
    return [...body.matchAll(/-?\d+\.\d+/g)].flatMap((m) => scores.filter((v) => near(m[0], v)).map((v) => `${path} has ${m[0]} (a score ${v})`));
  }
  const out: string[] = [];
  const walk = (v: Json, at: string, key: string): void => {
    if (typeof v === 'number') {
      const hit = scores.find((s) => (timingKey.test(key) ? v === s : near(String(v), s)));
      if (hit !== undefined) out.push(`${at} = ${v} (a score ${hit})`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`, key));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`, k);
  };
  walk(json, path, '');
  return out;
}

/** Every key of `body` (JSON) that names one of `keys`, with its path. */
function keysIn(body: string, keys: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const walk = (v: Json, at: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (keys.has(k)) out.push(`${at}.${k}`);
        walk(x, `${at}.${k}`);
      }
  };
  walk(parse(body), '$');
  return out;
}

/** The session id a live socket's greeting names. */
function sessionIdIn(messages: readonly string[]): string {
  const ready = messages
    .map((m) => parse(m) as { type?: string; sessionId?: string; session?: { id?: string } })
    .find((m) => m.type === 'session.ready' || m.type === 'session.created');
  return defined(ready?.sessionId ?? ready?.session?.id, 'a session id in the greeting');
}

describe('security matrix: every route × scope × sealed/open dataset', () => {
  let gw: TestGateway;
  let disposeAdapter: () => void;
  let spokenUp: ScriptedRealtimeServer;
  /** The gateway's cache folder: spoken replies are stored under it, so no caller below admin may see it. */
  let cacheDir: string;
  const keys = new Map<Scope, string | undefined>();
  const fixtures: DatasetFixture[] = [];
  /** The fractional scores of each dataset's spoken turn, as an admin key saw them; and the score keys of a turn. */
  const spokenScores = new Map<string, number[]>();
  const scoreKeys = new Set<string>();
  /** The spoken exchanges, by `${protocol} ${scope} ${dataset}`. */
  const spokenRuns = new Map<string, { opened: boolean; messages: string[] }>();
  /** Every spoken session: a body that names one shows a spoken turn. */
  const spokenSessionIds = new Set<string>();

  /** Opens a socket, binds a sample, sends audio, and returns every server message (raw text). */
  async function wsExchange(kind: 'native' | 'realtime', voice: Voice, scope: Scope, d: DatasetFixture): Promise<{ opened: boolean; messages: string[] }> {
    const key = keys.get(scope);
    const model = voice === 'text' ? 'model=scripted' : `model=${SPOKEN_MODEL}&asr_model=${SPOKEN_EXPERT}`;
    const path = kind === 'native' ? `/v1/stream?${model}` : `/v1/realtime?${model}`;
    const ws = new WebSocket(`${gw.wsUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('unexpected-response', (_req, res) => {
        res.on('data', (c: Buffer) => messages.push(c.toString()));
        res.on('end', () => resolve(false));
      });
      ws.once('error', () => resolve(false));
    });
    if (!opened) return { opened, messages };
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    // Wall clock, not a poll count: a spoken turn runs ffmpeg and the expert, and a loaded machine may be slow.
    const waitFor = async (pred: (m: { type?: string }) => boolean): Promise<void> => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        if (messages.some((m) => pred(parse(m) as { type?: string }))) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no expected message on ${kind} (${voice}); got ${messages.join('\n')}`);
    };
    const sample = { dataset: d.name, sample: voice === 'text' ? d.sampleKey : d.spokenSampleKey };
    if (kind === 'native') {
      await waitFor((m) => m.type === 'session.ready');
      ws.send(JSON.stringify({ type: 'configure', format: { encoding: 'pcm16', sampleRateHz: 16000 }, turnDetection: 'manual' }));
      await waitFor((m) => m.type === 'configured');
      ws.send(Buffer.alloc(16000)); // 0.5 s of PCM16 silence
      ws.send(JSON.stringify({ type: 'commit', sample }));
      await waitFor((m) => m.type === 'response.final' || m.type === 'error');
    } else {
      await waitFor((m) => m.type === 'session.created');
      ws.send(JSON.stringify({ type: 'session.update', session: { turn_detection: null } }));
      await waitFor((m) => m.type === 'session.updated');
      ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: Buffer.alloc(24000).toString('base64') }));
      ws.send(JSON.stringify({ type: 'input_audio_buffer.commit' }));
      ws.send(JSON.stringify({ type: 'response.create', response: { evalgate: sample } }));
      await waitFor((m) => m.type === 'response.done' || m.type === 'error');
    }
    ws.close();
    await closed;
    return { opened, messages };
  }

  beforeAll(async () => {
    const scripted = useScriptedAdapter(() => scriptedModel({ reply: () => ANSWER, latencyMs: 1 }));
    disposeAdapter = scripted.dispose;
    const spoken = await startSpokenUpstream();
    spokenUp = spoken.up;
    cacheDir = await mkdtemp(join(tmpdir(), 'evalgate-sec-cache-'));
    gw = await startGateway({
      models: [{ id: 'scripted', adapter: scripted.adapter, kind: 'generalist', options: {} }, ...spoken.models],
      tls: false,
      cacheDir,
    });
    const db = gw.ts.store.db;
    for (const scope of scopes) keys.set(scope, scope === 'none' ? undefined : await gw.key(scope as ApiKeyScope));
    const root = await mkdtemp(join(tmpdir(), 'evalgate-sec-'));
    for (const [kind, marker] of Object.entries(mediaMarkers)) await writeFile(join(root, `${kind}.wav`), `RIFF ${marker}`);
    for (const [kind, marker] of Object.entries(markers) as ['sealed' | 'open', string][]) {
      const name = `${kind}-set`;
      // 12 samples: slice "big" has 10 (at the bound), slice "tiny" has 2 (below it).
      const keysOf = Array.from({ length: 12 }, (_, i) => `${kind}-${i}`);
      const { datasetId, ids } = await seedDataset(
        db,
        name,
        keysOf.map((key, i) => ({
          key,
          task: 'asr' as const,
          reference: i === SPOKEN_SAMPLE ? spokenRefOf(kind) : refOf(marker, i),
          tags: [i < 10 ? 'big' : 'tiny'],
          lang: 'en',
        })),
        { rootDir: root, media: () => [{ kind: 'audio', path: `${kind}.wav`, sha256: 'x' }] },
      );
      await db
        .updateTable('datasets')
        .set({ sealed: kind === 'sealed' })
        .where('id', '=', datasetId)
        .execute();
      await db
        .updateTable('samples')
        .set({ human_answers: JSON.stringify([`kumquat ${humanMarkers[kind]} lantern`, 'kumquat']) })
        .where('dataset_id', '=', datasetId)
        .execute();
      const a = await seedRun(db, {
        model: `gen-${kind}`,
        kind: 'generalist',
        datasetId,
        ids,
        task: 'asr',
        predictions: keysOf.map((key, i) => ({ key, text: i % 3 ? ANSWER : 'kumquat', latencyMs: 100 })),
      });
      const b = await seedRun(db, {
        model: `spec-${kind}`,
        kind: 'specialist',
        datasetId,
        ids,
        task: 'asr',
        predictions: keysOf.map((key) => ({ key, text: ANSWER, latencyMs: 50 })),
      });
      // A small run (4 samples) whose stored summary carries metrics: an aggregate under the bound.
      const small = await seedRun(db, {
        model: `small-${kind}`,
        kind: 'specialist',
        datasetId,
        ids,
        task: 'asr',
        predictions: keysOf.slice(0, 4).map((key) => ({ key, text: 'kumquat' })),
      });
      await db
        .updateTable('runs')
        .set({ summary: JSON.stringify({ counts: { ok: 4, failed: 0 }, metrics: { wer: 0.3333 } }) })
        .where('id', '=', small)
        .execute();
      // Judged runs of the two full runs, as `evalgate judge` stores them: each answer's judge score as the
      // prediction (the two runs' scores differ on every sample) with its stored per-sample score, and a last
      // sample whose judge reply could not be read and quoted the reference.
      const judgedRuns: string[] = [];
      for (const [source, model] of [
        [a, `gen-${kind}`],
        [b, `spec-${kind}`],
      ] as const) {
        const offset = judgedRuns.length;
        const judged = await seedRun(db, {
          model,
          kind: 'generalist',
          datasetId,
          ids,
          task: 'judge-score',
          predictions: keysOf.map((key, i) => (i === keysOf.length - 1 ? { key, status: 'failed' as const } : { key, text: judgeMarks[(i + offset) % 2] })),
        });
        await db
          .updateTable('runs')
          .set({ config: JSON.stringify(judgeConfig(source)) })
          .where('id', '=', judged)
          .execute();
        await db
          .updateTable('predictions')
          .set({ error: JSON.stringify({ code: 'judge', message: `unreadable judge reply: "the reference is ${refOf(marker, keysOf.length - 1)}"` }) })
          .where('run_id', '=', judged)
          .where('status', '=', 'failed')
          .execute();
        const ok = await db.selectFrom('predictions').select(['id', 'output_text']).where('run_id', '=', judged).where('status', '=', 'ok').execute();
        await db
          .insertInto('scores')
          .values(ok.map((p) => ({ prediction_id: p.id, metric: 'judge_score', value: Number(p.output_text), details: null })))
          .execute();
        judgedRuns.push(judged);
      }
      const sampleKey = defined(keysOf[0], 'a sample key');
      const viewerLink = gw.app.mediaUrls.sign({ dataset: name, sample: sampleKey, index: 0 }, 'viewer').url;
      const mediaLinks = [viewerLink, viewerLink.replace('scope=viewer', 'scope=admin')];
      const spokenSampleKey = defined(keysOf[SPOKEN_SAMPLE], 'the spoken sample key');
      fixtures.push({ name, id: datasetId, sealed: kind === 'sealed', runs: [a, b, small], judgedRuns, sampleKey, spokenSampleKey, sessions: [], mediaLinks });
    }
    // Live sessions bound to each dataset, made by an admin, so the session pages have scored utterances.
    for (const d of fixtures) {
      for (const kind of ['native', 'realtime'] as const) {
        const { messages } = await wsExchange(kind, 'text', 'admin', d);
        (d.sessions as string[]).push(sessionIdIn(messages));
      }
    }
    // Spoken turns, every socket route's for every scope and dataset, run here once (each runs ffmpeg twice, to decode
    // the reply and to store it as FLAC; one at a time, as concurrent ones only contend for the cores). The matrix
    // judges their messages in its loop as it judges the text exchanges it runs there. Admin's are the spoken sessions
    // of the session pages, and show what a spoken turn scored.
    const wsKinds = [...new Set(Object.values(routeFillers).flatMap((f) => ('ws' in f ? [f.ws] : [])))];
    for (const kind of wsKinds) {
      for (const d of fixtures) {
        for (const scope of scopes) {
          const run = await wsExchange(kind, 'spoken', scope, d);
          spokenRuns.set(`${kind} ${scope} ${d.name}`, run);
          if (run.opened) spokenSessionIds.add(sessionIdIn(run.messages));
        }
      }
    }
    for (const d of fixtures) {
      for (const kind of wsKinds) {
        const { messages } = defined(spokenRuns.get(`${kind} admin ${d.name}`), 'the admin spoken exchange');
        (d.sessions as string[]).push(sessionIdIn(messages));
        // What the spoken turn scored, as admin keys see it: the values and keys no lower scope may see.
        const parsed = messages.map((m) => parse(m) as { scores?: Record<string, number>; response?: { evalgate?: { scores?: Record<string, number> } } });
        const scores = parsed.map((m) => m.scores ?? m.response?.evalgate?.scores).find((x) => x !== undefined);
        const turnScores = defined(scores, `the scores of the spoken turn on ${kind} (${d.name})`);
        for (const k of Object.keys(turnScores)) scoreKeys.add(k);
        const fractions = Object.values(turnScores).filter((v) => !Number.isInteger(v));
        spokenScores.set(d.name, [...new Set([...(spokenScores.get(d.name) ?? []), ...fractions])]);
      }
    }
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await spokenUp?.close();
    disposeAdapter?.();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('plants scores the spoken checks can find: the spoken turns score fractions that differ between the datasets', () => {
    const [sealed, open] = [fixtures.find((f) => f.sealed)!, fixtures.find((f) => !f.sealed)!];
    const s = spokenScores.get(sealed.name) ?? [];
    const o = spokenScores.get(open.name) ?? [];
    // The expert heard "HELLO WORLD": 5 of the 7 words of the sealed reference are missing, 7 of the 9 of the open one.
    expect(s).toContain(5 / 7);
    expect(o).toContain(7 / 9);
    expect(s.filter((v) => o.includes(v))).toEqual([]);
    expect(scoreKeys.has('wer')).toBe(true);
  });

  it('knows every route the server registers (a new route needs a filler in route-fillers.ts)', () => {
    const unknown = gw.app.routeList.filter((r) => !(r in routeFillers));
    expect(unknown, `routes without a filler in tests/security/route-fillers.ts: ${unknown.join(', ')}`).toEqual([]);
    const stale = Object.keys(routeFillers).filter((r) => !gw.app.routeList.includes(r));
    expect(stale, 'fillers for routes the server no longer has').toEqual([]);
  });

  it('never gives a reference, a per-sample score or a small sealed slice to a lower scope', async () => {
    const seen = {
      adminSealedRef: false,
      adminSealedHuman: false,
      adminSealedRows: false,
      adminSealedTiny: false,
      viewerOpenRows: false,
      evaluatorOpenScores: false,
      adminSealedScores: false,
      adminSealedMediaByLink: false,
      viewerOpenMediaByLink: false,
      adminSealedJudge: false,
      evaluatorOpenJudge: false,
      wsRuns: 0,
      spokenTurns: 0,
      adminSealedSpokenScores: false,
      evaluatorOpenSpokenScores: false,
      adminSpokenMediaPath: false,
    };
    const failures: string[] = [];
    const routes = [...new Set(gw.app.routeList)];
    for (const route of routes) {
      // A new route needs its filler here before this test can check it.
      const filler = defined(routeFillers[route], `a routeFillers entry for ${route}`);
      for (const d of fixtures) {
        for (const scope of scopes) {
          const key = keys.get(scope);
          const bodies: string[] = [];
          /** The exchanges' messages, for the checks that hold on sockets only. */
          const wsBodies: string[] = [];
          if ('http' in filler) {
            for (const url of filler.http(d)) {
              const res = await gw.app.inject({ url, headers: key ? { authorization: `Bearer ${key}` } : {} });
              bodies.push(res.body);
              // Links handed to this caller work without a header: what they open counts as this caller's.
              for (const link of linksIn(parse(res.body))) {
                const linked = await gw.app.inject({ url: link });
                bodies.push(linked.body);
                if (linked.body.includes(mediaMarkers.sealed) && scope === 'admin') seen.adminSealedMediaByLink = true;
                if (linked.body.includes(mediaMarkers.open) && scope === 'viewer') seen.viewerOpenMediaByLink = true;
              }
            }
          } else {
            for (const voice of voices) {
              const { opened, messages } =
                voice === 'text'
                  ? await wsExchange(filler.ws, voice, scope, d)
                  : defined(spokenRuns.get(`${filler.ws} ${scope} ${d.name}`), 'a spoken exchange');
              if (opened) seen.wsRuns++;
              // The spoken turn really ran: its audio reached the client and it was answered with what the expert heard.
              const joined = messages.join('\n');
              if (
                voice === 'spoken' &&
                /"(response\.output_audio\.delta|response\.audio)"/.test(joined) &&
                joined.includes(SPOKEN_HEARD) &&
                joined.includes(SPOKEN_SELF)
              )
                seen.spokenTurns++;
              bodies.push(...messages);
              wsBodies.push(...messages);
            }
          }
          for (const body of bodies) {
            const where = `${route} as ${scope} on ${d.name}`;
            // References: admin only, on every dataset. Sockets never send them, not even to admin.
            for (const marker of [...Object.values(markers), ...Object.values(humanMarkers)]) {
              if (body.includes(marker) && (scope !== 'admin' || 'ws' in filler)) failures.push(`${where}: reference marker ${marker} leaked`);
            }
            if (scope === 'admin' && d.sealed && body.includes(markers.sealed)) seen.adminSealedRef = true;
            // Judge scores are per-sample scores: admin keys on a sealed set; on an open set evaluator keys and up,
            // as /v1/runs/:id/samples gives scores, and anyone /v1/compare answers (its documents are whole there).
            const judgeScoresAllowed = scope === 'admin' || (!d.sealed && (scope === 'evaluator' || route === 'GET /v1/compare'));
            for (const mark of judgeMarks) if (!judgeScoresAllowed && body.includes(mark)) failures.push(`${where}: judge score ${mark} reached ${scope}`);
            if (scope === 'admin' && d.sealed && body.includes(judgeMarks[0])) seen.adminSealedJudge = true;
            if (scope === 'evaluator' && !d.sealed && route === 'GET /v1/runs/:id/samples' && body.includes(judgeMarks[0])) seen.evaluatorOpenJudge = true;
            if (body.includes(mediaMarkers.sealed) && scope !== 'admin') failures.push(`${where}: sealed media (${mediaMarkers.sealed}) reached ${scope}`);
            // Positive control for the human-answer markers: the leak check above can see them where they appear.
            if (scope === 'admin' && d.sealed && body.includes(humanMarkers.sealed)) seen.adminSealedHuman = true;
            const json = parse(body);
            const open = fixtures.find((f) => !f.sealed)!;
            const violations = sealedViolations(json, d.sealed ? open : { name: '', id: '' });
            if (d.sealed && scope !== 'admin') for (const v of violations) failures.push(`${where}: ${v}`);
            // Per-sample scores on an open dataset stay with evaluator keys on sockets and session pages.
            if (!d.sealed && (scope === 'viewer' || scope === 'submitter' || scope === 'none') && /"scores":\{/.test(body))
              failures.push(`${where}: scores below evaluator`);
            // Positive controls: the markers and checks can see what they guard.
            if (d.sealed && scope === 'admin' && violations.some((v) => v.includes('disagreements'))) seen.adminSealedRows = true;
            if (d.sealed && scope === 'admin' && violations.some((v) => v.includes('n=2 '))) seen.adminSealedTiny = true;
            if (d.sealed && scope === 'admin' && violations.some((v) => v.includes('.scores'))) seen.adminSealedScores = true;
            if (!d.sealed && scope === 'viewer' && violations.some((v) => v.includes('disagreements'))) seen.viewerOpenRows = true;
            if (!d.sealed && scope === 'evaluator' && /"scores":\{/.test(body)) seen.evaluatorOpenScores = true;
            // A spoken turn's scores, in its events and in every body that shows a spoken session (session pages and
            // lists): found by value, so a score copied under another name (a speech measure, say) counts too. Other
            // bodies are left out: an aggregate of the seeded runs may equal a turn's WER by chance.
            const showsSpoken = wsBodies.includes(body) || [...spokenSessionIds].some((id) => body.includes(id));
            for (const f of showsSpoken ? fixtures : []) {
              const values = scoreValuesIn(body, spokenScores.get(f.name) ?? []);
              if (!liveScoresAllowed(scope, f.sealed)) for (const v of values) failures.push(`${where}: ${f.name}'s spoken-turn score reached ${scope}: ${v}`);
              if (f.sealed && scope === 'admin' && 'ws' in filler && values.length > 0) seen.adminSealedSpokenScores = true;
              if (!f.sealed && scope === 'evaluator' && 'ws' in filler && values.length > 0) seen.evaluatorOpenSpokenScores = true;
            }
            // The stored audio's server path (or the part of it under the cache folder): admin keys only, never over a socket.
            for (const mark of [cacheDir, 'spoken-answers/sessions'])
              if (body.includes(mark) && (scope !== 'admin' || 'ws' in filler))
                failures.push(`${where}: the server path of stored spoken audio (${mark}) reached ${scope}`);
            if (scope === 'admin' && route === 'GET /v1/stream/sessions/:id' && body.includes(cacheDir)) seen.adminSpokenMediaPath = true;
          }
          // On sockets a score is named as the scorer names it (wer, cer, …) only in the `scores` of a scope allowed them.
          if (!liveScoresAllowed(scope, d.sealed))
            for (const body of wsBodies)
              for (const k of keysIn(body, scoreKeys)) failures.push(`${route} as ${scope} on ${d.name}: score key ${k} on the socket`);
        }
      }
    }
    expect(failures).toEqual([]);
    // Without these the matrix would pass by seeing nothing.
    expect(seen).toEqual({
      adminSealedRef: true,
      adminSealedHuman: true,
      adminSealedRows: true,
      adminSealedTiny: true,
      viewerOpenRows: true,
      evaluatorOpenScores: true,
      adminSealedScores: true,
      adminSealedMediaByLink: true,
      viewerOpenMediaByLink: true,
      adminSealedJudge: true,
      evaluatorOpenJudge: true,
      // Two endpoints × two datasets × the three scopes that may open a session × two voices.
      wsRuns: 2 * 2 * 3 * 2,
      spokenTurns: 2 * 2 * 3,
      adminSealedSpokenScores: true,
      evaluatorOpenSpokenScores: true,
      adminSpokenMediaPath: true,
    });
  });
});
