import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import type { ApiKeyScope } from '../../gateway/store/database.js';
import { scriptedModel, startGateway, useScriptedAdapter, type TestGateway } from '../live/live-kit.js';
import { seedDataset, seedRun } from '../compare/seed-runs.js';
import { routeFillers, type DatasetFixture } from './route-fillers.js';

/**
 * The sealed-dataset promise, checked on every route of the server's own
 * route list and both WebSocket endpoints, for every scope, on a sealed and
 * an open dataset. Content-based: references carry planted markers that must
 * never reach a non-admin caller; per-sample scores and aggregates over
 * fewer than `sealed.minSliceSize` samples of the sealed set must not either.
 * Each dataset also has judged runs (`evalgate judge`'s `judge-score`), whose
 * predictions are per-sample scores and whose failed replies can quote the
 * reference: every route is asked about them too.
 */

const MIN_SLICE = 10;
const scopes = ['none', 'viewer', 'submitter', 'evaluator', 'admin'] as const;
type Scope = (typeof scopes)[number];
// The model answers without the marker word, so transcripts (which viewers may read) never carry it.
const ANSWER = 'kumquat lantern';
const refOf = (marker: string, i: number): string => `kumquat ${marker}${String(i).padStart(2, '0')} lantern`;
const markers = { sealed: 'ZQXREFSEALED', open: 'ZQXREFOPEN' } as const;
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

describe('security matrix: every route × scope × sealed/open dataset', () => {
  let gw: TestGateway;
  let disposeAdapter: () => void;
  const keys = new Map<Scope, string | undefined>();
  const fixtures: DatasetFixture[] = [];

  /** Opens a socket, binds a sample, sends audio, and returns every server message (raw text). */
  async function wsExchange(kind: 'native' | 'realtime', scope: Scope, d: DatasetFixture): Promise<{ opened: boolean; messages: string[] }> {
    const key = keys.get(scope);
    const path = kind === 'native' ? '/v1/stream?model=scripted' : '/v1/realtime?model=scripted';
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
    const waitFor = async (pred: (m: { type?: string }) => boolean): Promise<void> => {
      for (let i = 0; i < 400; i++) {
        if (messages.some((m) => pred(parse(m) as { type?: string }))) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no expected message on ${kind}; got ${messages.join('\n')}`);
    };
    const sample = { dataset: d.name, sample: d.sampleKey };
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
    gw = await startGateway({ models: [{ id: 'scripted', adapter: scripted.adapter, kind: 'generalist', options: {} }], tls: false });
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
        keysOf.map((key, i) => ({ key, task: 'asr' as const, reference: refOf(marker, i), tags: [i < 10 ? 'big' : 'tiny'], lang: 'en' })),
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
      fixtures.push({ name, id: datasetId, sealed: kind === 'sealed', runs: [a, b, small], judgedRuns, sampleKey, sessions: [], mediaLinks });
    }
    // Live sessions bound to each dataset, made by an admin, so the session pages have scored utterances.
    for (const d of fixtures) {
      for (const kind of ['native', 'realtime'] as const) {
        const { messages } = await wsExchange(kind, 'admin', d);
        const ready = messages
          .map((m) => parse(m) as { type?: string; sessionId?: string; session?: { id?: string } })
          .find((m) => m.type === 'session.ready' || m.type === 'session.created');
        (d.sessions as string[]).push((ready?.sessionId ?? ready?.session?.id)!);
      }
    }
  });
  afterAll(async () => {
    await gw?.close();
    disposeAdapter?.();
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
            const { opened, messages } = await wsExchange(filler.ws, scope, d);
            if (opened) seen.wsRuns++;
            bodies.push(...messages);
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
          }
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
      wsRuns: 2 * 2 * 3,
    });
  });
});
