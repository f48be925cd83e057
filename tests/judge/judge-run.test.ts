// `evalgate judge` end to end on a real database: a source run (replayed
// answers), a scripted judge speaking the OpenAI chat-completions wire format
// that sometimes answers garbage or fails, and the judged run it leaves.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { loadLeaderboardInput } from '../../gateway/compare/leaderboard.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { executeJudging, prepareJudging, type JudgeRunConfig } from '../../gateway/judge/execute-judging.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { defaultRetryPolicy } from '../../gateway/runner/retry-policy.js';
import { bigBenchAudioRubric, voicebenchOpenRubric } from '../../scorers/judge/judge-presets.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { answerMarker, startJudgeServer, type JudgeServer, type JudgeStep } from './scripted-judge-server.js';

const hasPostgres = await postgresAvailable();

// Answer kinds: the judged model's answer says how the judge treats it.
//   good: CORRECT; bad: INCORRECT; garbage: an unreadable reply every time;
//   flaky: unreadable once, then CORRECT (the re-ask works); down: HTTP 500 every time.
const kinds = ['good', 'bad', 'garbage', 'flaky', 'down', 'good', 'bad', 'good', 'garbage', 'good', 'good', 'bad'] as const;
const n = kinds.length;
const keyOf = (i: number): string => `q${String(i).padStart(3, '0')}`;
const kindOf = (key: string): (typeof kinds)[number] => kinds[Number(key.slice(1))]!;

function bbaJudge(key: string | undefined, count: number): JudgeStep {
  if (key === undefined) return { status: 400 };
  switch (kindOf(key)) {
    case 'good':
      return { text: 'CORRECT' };
    case 'bad':
      return { text: 'INCORRECT' };
    case 'garbage':
      return { text: 'As an AI language model, I think the candidate is partly right.' };
    case 'flaky':
      return count === 1 ? { text: 'Let me think about it' } : { text: 'CORRECT' };
    case 'down':
      return { status: 500 };
  }
}

describe.each(backends.filter((b) => b.name === 'pglite' || hasPostgres))('evalgate judge ($name)', ({ create }) => {
  let ts: TestStore;
  let dir: string;
  let server: JudgeServer;
  let voiceServer: JudgeServer;
  let config: EvalgateConfig;
  let sourceRunId: string;
  const retry = { ...defaultRetryPolicy, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-judge-'));
    // Text-only vqa samples with a question and a reference; sample 12 gets no replayed answer (the source run fails it).
    const lines = Array.from({ length: n + 1 }, (_, i) => JSON.stringify({ id: keyOf(i), task: 'vqa', question: `Question ${i}?`, reference: `ref ${i}` }));
    await writeFile(join(dir, 'open.jsonl'), lines.join('\n') + '\n');
    const preds = kinds.map((k, i) => JSON.stringify({ id: keyOf(i), prediction: `${answerMarker(keyOf(i))} answer ${k}` }));
    await writeFile(join(dir, 'preds.jsonl'), preds.join('\n') + '\n');
    server = await startJudgeServer(bbaJudge);
    // VoiceBench's 3 samples: 4, 5 and [[3]] → mean 4; q002's second sample is garbage every time.
    voiceServer = await startJudgeServer((key, count) => {
      if (key === 'q002' && count >= 2) return { text: 'I would rate it highly' };
      return { text: ['4', '5', 'Score: [[3]]'][(count - 1) % 3]! };
    });
    config = configSchema.parse({
      cacheDir: join(dir, 'cache'),
      models: [
        { id: 'answerer', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'preds.jsonl') } },
        { id: 'judge-a', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'judge-model-a' },
        { id: 'judge-b', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'judge-model-b' },
        { id: 'judge-v', adapter: 'openai-chat', kind: 'generalist', baseUrl: voiceServer.baseUrl, model: 'voice-judge' },
      ],
      judge: { model: 'judge-a', rubrics: { vqa: 'big-bench-audio' } },
    });
    ts = await create();
    const prepared = await prepareRun(ts.store.db, config, { dataset: join(dir, 'open.jsonl'), modelId: 'answerer' }, (m) => createModel(m));
    const result = await executeLocalRun(ts.store.db, prepared, { concurrency: 4, timeoutMs: 5000 });
    expect(result.report.counts).toMatchObject({ ok: n, failed: 1 });
    sourceRunId = prepared.run.id;
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await voiceServer?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops after some answers, then the same request judges only the rest', async () => {
    const prepared = await prepareJudging(ts.store.db, config, { run: sourceRunId.slice(0, 8) }, (m) => createModel(m));
    expect(prepared.resumed).toBe(false);
    expect(prepared.rubric.name).toBe('big-bench-audio'); // judge.rubrics.vqa
    const abort = new AbortController();
    let stored = 0;
    const first = await executeJudging(ts.store.db, prepared, {
      concurrency: 1,
      timeoutMs: 5000,
      retry,
      signal: abort.signal,
      onAnswer: () => {
        if (++stored === 5) abort.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    const doneFirst = first.counts.ok + first.counts.failed;
    // Two task loops per slot: the answer beside the fifth may still be stored; the rest stays pending.
    // Plus the sample the source run failed, stored as failed at the source stage before any judging.
    expect(doneFirst).toBeGreaterThanOrEqual(6);
    expect(doneFirst).toBeLessThanOrEqual(7);
    const okKeysFirst = (
      await ts.store.db
        .selectFrom('predictions as p')
        .innerJoin('samples as s', 's.id', 'p.sample_id')
        .select('s.sample_key')
        .where('p.run_id', '=', prepared.run.id)
        .where('p.status', '=', 'ok')
        .execute()
    ).map((r) => r.sample_key);
    const asked = new Map(okKeysFirst.map((k) => [k, server.count(k)]));

    const again = await prepareJudging(ts.store.db, config, { run: sourceRunId }, (m) => createModel(m));
    expect(again.resumed).toBe(true);
    expect(again.run.id).toBe(prepared.run.id);
    const second = await executeJudging(ts.store.db, again, { concurrency: 3, timeoutMs: 5000, retry });
    // Answers judged ok the first time were never asked again.
    for (const [k, c] of asked) expect(server.count(k), k).toBe(c);
    expect(second.status).toBe('completed');

    // good ×5 and flaky → 1, bad ×3 → 0; garbage ×2 and down ×1 → failed, never scored.
    // …and the sample the source run failed is counted as failed (stage source), not dropped.
    expect(second.counts).toMatchObject({ ok: 9, failed: 4, pending: 0, total: n + 1 });
    expect(second.source).toEqual({ answered: n, unanswered: 1 });
    expect(second.metrics).toEqual({ judge_score: 6 / 9, n: 9 });

    const rows = await ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .leftJoin('scores as sc', 'sc.prediction_id', 'p.id')
      .select(['s.sample_key', 'p.status', 'p.output_text', 'p.error', 'p.attempts', 'sc.value'])
      .where('p.run_id', '=', prepared.run.id)
      .orderBy('s.sample_key')
      .execute();
    expect(rows).toHaveLength(n + 1);
    const unanswered = rows.find((r) => r.sample_key === keyOf(n))!;
    expect([unanswered.status, unanswered.error?.code, unanswered.value]).toEqual(['failed', 'source', null]);
    expect(unanswered.error?.message).toContain('failed this sample');
    // The judge was asked as often as the stored attempts say, plus, at most, the requests of one call that
    // was in flight when the first execution was cancelled (it stores nothing; resume asks again). Which
    // sample that is depends on timing (CI once cancelled mid-way through the failing one).
    const expectAskedAsRecorded = (key: string, attempts: number, perCall: number): void => {
      const extra = server.count(key) - attempts;
      expect(extra >= 0 && extra <= perCall, `${key}: asked ${server.count(key)}, recorded ${attempts}`).toBe(true);
    };
    for (const r of rows.filter((x) => x.sample_key !== keyOf(n))) {
      const kind = kindOf(r.sample_key);
      if (kind === 'garbage' || kind === 'down') {
        expect(r.status, r.sample_key).toBe('failed');
        expect(r.output_text).toBeNull();
        expect(r.value).toBeNull(); // no score row at all: not 0
        expect(r.error?.code).toBe('judge');
        if (kind === 'garbage') {
          expect(r.error?.message).toContain('could not be read');
          // Each execution asks once and re-asks twice (a failed answer is tried again on resume); attempts add up.
          expect(r.attempts % (1 + bigBenchAudioRubric.reask.max)).toBe(0);
          expectAskedAsRecorded(r.sample_key, r.attempts, 1 + bigBenchAudioRubric.reask.max);
        } else {
          expect(r.error?.message).toContain('judge call failed (http 500)');
          expect(r.error?.statusCode).toBe(500);
          expect(r.attempts % retry.maxAttempts).toBe(0);
          expectAskedAsRecorded(r.sample_key, r.attempts, retry.maxAttempts);
        }
      } else {
        const expected = kind === 'bad' ? 0 : 1;
        expect([r.sample_key, r.status, r.output_text, r.value]).toEqual([r.sample_key, 'ok', String(expected), expected]);
      }
    }
    // The source sample with no answer was never judged.
    expect(server.count(keyOf(n))).toBe(0);
  });

  it('records the judge settings with the judged run, and leaves the source run untouched', async () => {
    const prepared = await prepareJudging(ts.store.db, config, { run: sourceRunId }, (m) => createModel(m));
    const run = prepared.run;
    expect(run.task).toBe('judge-score');
    expect(run.model_id).toBe('answerer'); // ranked as the answering model's judged score
    const cfg = run.config as unknown as JudgeRunConfig;
    expect(cfg.sourceRunId).toBe(sourceRunId);
    expect(cfg.judge).toMatchObject({
      rubric: 'big-bench-audio',
      modelId: 'judge-a',
      providerModel: 'judge-model-a',
      promptTemplate: bigBenchAudioRubric.template,
      temperature: 0,
      samples: 1,
      parseRule: 'correct-incorrect',
      reask: { max: 2, promptSuffix: null, temperatureStep: 0 },
    });
    expect(run.prompt_template).toBe(bigBenchAudioRubric.template);
    // What the judge was sent: the rubric's prompt with the question, reference and answer, at its temperature.
    const req = server.seen.find((s) => s.key === 'q000')!;
    expect(req.prompt).toContain('START QUESTION Question 0? \n\nEND QUESTION');
    expect(req.prompt).toContain('The OFFICIAL ANSWER:ref 0');
    expect(req.temperature).toBe(0);
    const source = await ts.store.db.selectFrom('predictions').select('status').where('run_id', '=', sourceRunId).execute();
    expect(source).toHaveLength(n + 1);
  });

  it('VoiceBench: 3 samples averaged; one unreadable sample fails the answer instead of averaging the others', async () => {
    const prepared = await prepareJudging(ts.store.db, config, { run: sourceRunId, judge: 'judge-v', rubric: 'voicebench-open' }, (m) => createModel(m));
    const report = await executeJudging(ts.store.db, prepared, { concurrency: 2, timeoutMs: 5000, retry });
    expect(report.counts).toMatchObject({ ok: n - 1, failed: 2 });
    expect(report.metrics).toEqual({ judge_score: 4, n: n - 1 });
    const failed = await ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key', 'p.error', 'p.raw_response'])
      .where('p.run_id', '=', prepared.run.id)
      .where('p.status', '=', 'failed')
      .orderBy('s.sample_key')
      .execute();
    expect(failed.map((f) => [f.sample_key, f.error?.code])).toEqual([
      ['q002', 'judge'],
      [keyOf(n), 'source'],
    ]);
    const asks = (failed[0]!.raw_response as { asks: { value: number | null }[] }).asks;
    // First sample read (4), the second unreadable on its ask and both re-asks.
    expect(asks.map((a) => a.value)).toEqual([4, null, null, null]);
    const seen = voiceServer.seen.find((s) => s.key === 'q000')!;
    expect([seen.temperature, seen.system]).toEqual([voicebenchOpenRubric.temperature, voicebenchOpenRubric.system]);
  });

  it('compare warns when two judged runs differ in judge settings', async () => {
    const a = await prepareJudging(ts.store.db, config, { run: sourceRunId }, (m) => createModel(m));
    const b = await prepareJudging(ts.store.db, config, { run: sourceRunId, judge: 'judge-b' }, (m) => createModel(m));
    expect(b.run.id).not.toBe(a.run.id);
    await executeJudging(ts.store.db, b, { concurrency: 3, timeoutMs: 5000, retry });
    const cmp = compareRuns(await loadRunOutcomes(ts.store.db, [a.run.id, b.run.id]), { iterations: 50 });
    expect(cmp.metric).toBe('judge_score');
    expect(cmp.warnings.some((w) => w.includes('different judge modelId (judge-a vs judge-b)'))).toBe(true);
    expect(cmp.warnings.some((w) => w.includes('judge temperature'))).toBe(false);

    const v = await prepareJudging(ts.store.db, config, { run: sourceRunId, judge: 'judge-v', rubric: 'voicebench-open' }, (m) => createModel(m));
    const cmp2 = compareRuns(await loadRunOutcomes(ts.store.db, [a.run.id, v.run.id]), { iterations: 50 });
    for (const field of ['modelId', 'promptTemplate', 'temperature', 'samples', 'parseRule']) {
      expect(
        cmp2.warnings.some((w) => w.includes(`different judge ${field} `)),
        field,
      ).toBe(true);
    }
  });

  it('with the cache, a new judged run replays readable temperature-0 verdicts and asks again about unreadable ones', async () => {
    const first = await prepareJudging(ts.store.db, config, { run: sourceRunId, forceNew: true }, (m) => createModel(m));
    await executeJudging(ts.store.db, first, { concurrency: 2, timeoutMs: 5000, retry, cacheDir: config.cacheDir });
    const before = new Map(kinds.map((_, i) => [keyOf(i), server.count(keyOf(i))]));
    const second = await prepareJudging(ts.store.db, config, { run: sourceRunId, forceNew: true }, (m) => createModel(m));
    expect(second.run.id).not.toBe(first.run.id);
    const report = await executeJudging(ts.store.db, second, { concurrency: 2, timeoutMs: 5000, retry, cacheDir: config.cacheDir });
    expect(report.metrics).toEqual({ judge_score: 6 / 9, n: 9 });
    for (const [i, kind] of kinds.entries()) {
      const k = keyOf(i);
      const asked = server.count(k) - before.get(k)!;
      // flaky answers readably by now (only its very first reply was garbage), so its verdict is cached too.
      if (kind === 'good' || kind === 'bad' || kind === 'flaky') expect(asked, k).toBe(0);
      else expect(asked, k).toBeGreaterThan(0); // unreadable replies are never cached; 500s never are
    }
  });

  it('refuses to judge a judged run, and names the presets for an unknown rubric', async () => {
    const a = await prepareJudging(ts.store.db, config, { run: sourceRunId }, (m) => createModel(m));
    await expect(prepareJudging(ts.store.db, config, { run: a.run.id }, (m) => createModel(m))).rejects.toThrow(/holds judge scores/);
    // `run --resume` does not take a judged run (it is continued with `evalgate judge`).
    await expect(prepareRun(ts.store.db, config, { resume: a.run.id }, (m) => createModel(m))).rejects.toThrow(/cannot be resumed/);
    await expect(prepareJudging(ts.store.db, config, { run: sourceRunId, rubric: 'nope' }, (m) => createModel(m))).rejects.toThrow(
      /unknown rubric "nope".*audiobench-open, mm-vet, voicebench-open, big-bench-audio/,
    );
  });

  it("a judged run's board counts the source dataset's samples, and the source's unanswered sample as failed", async () => {
    const input = await loadLeaderboardInput(ts.store.db, { task: 'judge-score' });
    const ds = input.datasets[0]!;
    // The dataset defines n + 1 vqa samples; no manifest defines judge-score samples (this was "samples N of 0").
    expect(ds.datasetSampleCount).toBe(n + 1);
    for (const run of ds.runs) {
      const unanswered = run.outcomes.find((o) => o.sampleKey === keyOf(n));
      expect(unanswered?.status, run.run.id).toBe('failed');
    }
  });
});
